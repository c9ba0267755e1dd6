// The whole how-to (教師申請教育雲服務 → 啟用 G Suite for Education) as a new teacher of 朴子國民中學
// does it, in one browser: 一 the 嘉義縣 portal account, 二 the first login to the education cloud
// and its account, 三 the activation of name@go.edu.tw, 四 the sign-in to Google through the cloud.
// It is walked in zh-TW and in English, each at desktop width and on a phone, every screen checked
// with axe-core, at phone width and for its language: in zh-TW at desktop width by the how-to's own
// words, the other three by addresses and form actions; each walk by a teacher of its own, against
// one demo.
import { describe, expect, it } from 'vitest';
import type { Locale } from '../src/platform/i18n/i18n.ts';
import * as cloud from './steps/cloud.ts';
import * as county from './steps/county.ts';
import {
  activateAndSignInToGoogle,
  cloudAccount,
  countyAccount,
  type HowtoTeacher,
} from './steps/howto-walk.ts';
import { DESKTOP, WalkReport } from './steps/page-checks.ts';
import { numberedShots, type Shot } from './steps/shots.ts';
import { DemoStack, type Viewport } from './steps/stack.ts';
import * as workspace from './steps/workspace.ts';

const screenshot = numberedShots('howto-full');

const TEACHER: county.Applicant = {
  username: 'lin.yating',
  password: 'Puzi rice fields 2026',
  email: 'yating.lin@example.org',
  school: county.PUZI_JUNIOR_HIGH,
};
const REAL_NAME = '林雅婷';
const CLOUD_NAME = 'yating.lin';
const CLOUD_PASSWORD = 'Chiayi-cloud-2026!';
const CLOUD_EMAIL = `${CLOUD_NAME}@mail.edu.tw`;
const GOOGLE_EMAIL = `${CLOUD_NAME}@go.edu.tw`;

const NATIONAL_ID = county.freshNationalId('Q22103654');

/** A walk by addresses and form actions: its language, its window, and its own new teacher. */
interface Variant {
  locale: Locale;
  viewport: Viewport;
  teacher: HowtoTeacher;
}

/**
 * A new teacher of 朴子國民中學, `family.given` as the county username (at most 15 characters), the
 * cloud name the other way round; `realName` in Chinese whatever the language of the pages.
 */
function teacher(username: string, realName: string, nationalIdPrefix: string): HowtoTeacher {
  const [family, given] = username.split('.');
  return {
    username,
    password: `Walk of ${username} 2026`,
    email: `${username}@example.org`,
    mailbox: county.PUZI_JUNIOR_HIGH.mailbox,
    realName,
    nationalId: county.freshNationalId(nationalIdPrefix),
    cloudName: `${given}.${family}`,
    cloudPassword: `Chiayi-${given}-2026!`,
  };
}

const VARIANTS: Record<string, Variant> = {
  'in zh-TW on a 360 px phone': {
    locale: 'zh-TW',
    viewport: { width: 360, height: 780 },
    teacher: teacher('chen.yijun', '陳怡君', 'Q22203457'),
  },
  'in English at desktop width': {
    locale: 'en',
    viewport: DESKTOP,
    teacher: teacher('zhang.zhiming', '張志明', 'Q12203458'),
  },
  'in English on a 390 px phone': {
    locale: 'en',
    viewport: { width: 390, height: 844 },
    teacher: teacher('wang.jianhong', '王建宏', 'Q12203456'),
  },
};

/** What a walk types that its pages show back: user names, cloud names, real names and their parts. */
function namesOf(who: { username: string; cloudName: string; realName: string }): string[] {
  const { username, cloudName, realName } = who;
  return [username, cloudName, realName, realName.slice(0, 1), realName.slice(1)];
}

/**
 * The names every walk's pages may show as data: the school's review console lists the teachers
 * of the walks before, whatever the language of the page.
 */
const WALK_NAMES = [
  { username: TEACHER.username, cloudName: CLOUD_NAME, realName: REAL_NAME },
  ...Object.values(VARIANTS).map((v) => v.teacher),
].flatMap(namesOf);

/** Screens not checked as they show: the activation page reloads itself until the account exists. */
const IN_PASSING = new Set(['activating']);

/** A screenshot of each step that also checks the screen it shows (axe, phone width, language). */
function checkedShots(report: WalkReport): Shot {
  return async (page, step) => {
    await screenshot(page, step);
    if (!IN_PASSING.has(step)) await report.check(page, step);
  };
}

const stack = await DemoStack.forFile();

describe.skipIf(!stack.browser)('the whole how-to, county registration to Google sign-in', () => {
  // The whole journey through three roles in one browser: longer than one screen's test.
  it('in zh-TW at desktop width: registers, creates the cloud account, activates G Suite and signs in to Google', async () => {
    const { demo } = stack;
    const report = new WalkReport('zh-TW', WALK_NAMES);
    const shot = checkedShots(report);
    const page = await stack.newPage('zh-TW', DESKTOP);
    // 一: the 嘉義縣 portal account: register, verify, approval by the school, the profile check.
    await county.registerAndApprove(page, demo, TEACHER, shot);
    await county.signInAfterApproval(page, demo, TEACHER, shot);
    await county.enterRealName(page, REAL_NAME, shot);
    await page.getByRole('link', { name: '登錄身分證號' }).click();
    await county.enterNationalId(page, NATIONAL_ID, shot);
    await county.reviewerConfirmsNationalId(page, demo, TEACHER, shot);
    await county.confirmSchool(page, NATIONAL_ID, shot);
    // Done with the portal for now (the how-to: keep a record of the username and password).
    await county.signOutOfPortal(page);

    // 二: the first login to the education cloud with the county account; the cloud account.
    await cloud.openCloudLogin(page, demo, shot);
    const askedConsent = await cloud.signInWithCounty(
      page,
      { county: '嘉義縣', username: TEACHER.username, password: TEACHER.password },
      shot,
    );
    expect(askedConsent).toBe(true);
    // The suggested name is the county username; the teacher prefers another.
    expect(await cloud.startCloudAccount(page, REAL_NAME, shot)).toBe(TEACHER.username);
    await page.getByRole('link', { name: '我不喜歡上面的帳號' }).click();
    await cloud.chooseCloudName(page, CLOUD_NAME, shot);
    await cloud.finishCloudAccount(page, { email: CLOUD_EMAIL, password: CLOUD_PASSWORD }, shot);

    // 三: the activation portal, signed in with the cloud (no second login); the activation.
    await workspace.openWorkspacePortal(page, demo, shot);
    // The cloud session is alive: at most a consent for the portal, never a login form.
    await cloud.consentIfAsked(page, shot, 'portal-consent');
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    await workspace.expectPortalSignedIn(page, CLOUD_EMAIL, shot);
    await workspace.activateGSuite(page, GOOGLE_EMAIL, shot);

    // 四: Google's sign-in as name@go.edu.tw through the education cloud. Right after the
    // activation, the live cloud session answers Google at once.
    await page.goto(demo.urls.google);
    await workspace.typeGoogleAddress(page, GOOGLE_EMAIL, shot);
    await workspace.expectSignedInToGoogle(page, demo, GOOGLE_EMAIL, shot);

    // Another day, in a fresh browser: Google sends the teacher to the cloud's login, where the
    // cloud password (the same for Google) signs in.
    const later = await stack.newContext('zh-TW', DESKTOP);
    const fresh = await later.newPage();
    await fresh.goto(demo.urls.google);
    await workspace.typeGoogleAddress(fresh, GOOGLE_EMAIL, shot);
    expect(new URL(fresh.url()).origin).toBe(new URL(demo.urls.cloud).origin);
    await cloud.signInWithCloudAccount(fresh, { name: CLOUD_NAME, password: CLOUD_PASSWORD }, shot);
    await cloud.consentIfAsked(fresh, shot, 'google-consent');
    await workspace.expectSignedInToGoogle(fresh, demo, GOOGLE_EMAIL, shot);
    await later.close();
    await page.context().close();
    expect(report.visited.length).toBeGreaterThan(35);
    expect(report.problems.join('\n')).toBe('');
  }, 240_000);

  // Each walk passes some forty screens, each checked at three widths.
  it.each(Object.entries(VARIANTS))(
    '%s: the same walk, every screen checked',
    async (_, variant) => {
      const { demo } = stack;
      const { locale, viewport, teacher: who } = variant;
      const report = new WalkReport(locale, WALK_NAMES);
      const page = await stack.newPage(locale, viewport);
      await countyAccount(page, demo, report, who);
      await cloudAccount(page, demo, report, who);
      await activateAndSignInToGoogle(page, demo, report, who);
      await page.context().close();
      expect(report.visited.length).toBeGreaterThan(30);
      expect(report.problems.join('\n')).toBe('');
    },
    240_000,
  );
});
