// The whole how-to (教師申請教育雲服務 → 啟用 G Suite for Education) as a new teacher of 朴子國民中學
// does it, in one browser: 一 the 嘉義縣 portal account, 二 the first login to the education cloud
// and its account, 三 the activation of name@go.edu.tw, 四 the sign-in to Google through the cloud.
// It is walked twice, each screen checked with axe-core, at phone width and for its language: in
// zh-TW at desktop width by the how-to's own words, and in English on a 390 px phone.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNationalId } from '../src/identity/index.ts';
import { DEMO_COUNTY_ACCOUNTS } from '../src/platform/federation/seed-data.ts';
import type { Locale } from '../src/platform/i18n/i18n.ts';
import { launchBrowser } from '../src/platform/testing/browser.ts';
import { startTestDemo, type TestDemo } from '../src/platform/testing/demo-harness.ts';
import {
  chooseCloudName,
  consentIfAsked,
  finishCloudAccount,
  openCloudLogin,
  signInWithCloudAccount,
  signInWithCounty,
  startCloudAccount,
} from './steps/cloud.ts';
import {
  type Applicant,
  approveBySchool,
  confirmSchool,
  enterNationalId,
  enterRealName,
  fillRegistration,
  openRegistration,
  PUZI_JUNIOR_HIGH,
  reviewerConfirmsNationalId,
  signInAfterApproval,
  signOutOfPortal,
  verifyEmail,
} from './steps/county.ts';
import {
  activateAndSignInToGoogle,
  cloudAccount,
  countyAccount,
  type HowtoTeacher,
} from './steps/howto-walk.ts';
import { DESKTOP, WalkReport } from './steps/page-checks.ts';
import { numberedShots, type Shot } from './steps/shots.ts';
import {
  activateGSuite,
  expectPortalSignedIn,
  expectSignedInToGoogle,
  openWorkspacePortal,
  typeGoogleAddress,
} from './steps/workspace.ts';

const screenshot = numberedShots('howto-full');

const TEACHER: Applicant = {
  username: 'lin.yating',
  password: 'Puzi rice fields 2026',
  email: 'yating.lin@example.org',
  school: PUZI_JUNIOR_HIGH,
};
const REAL_NAME = '林雅婷';
const CLOUD_NAME = 'yating.lin';
const CLOUD_PASSWORD = 'Chiayi-cloud-2026!';
const CLOUD_EMAIL = `${CLOUD_NAME}@mail.edu.tw`;
const GOOGLE_EMAIL = `${CLOUD_NAME}@go.edu.tw`;

/** A valid national ID of 嘉義縣 (Q) that no demo account uses: the first check digit that holds. */
function freshNationalId(prefix: string): string {
  const taken = new Set(DEMO_COUNTY_ACCOUNTS.map((a) => a.nationalId));
  for (let digit = 0; digit <= 9; digit += 1) {
    const candidate = `${prefix}${digit}`;
    if (parseNationalId(candidate).ok && !taken.has(candidate)) return candidate;
  }
  throw new Error('no valid national ID found');
}
const NATIONAL_ID = freshNationalId('Q22103654');

/** The second walk's teacher, who reads the portals in English on a phone. */
const PHONE_TEACHER: HowtoTeacher = {
  username: 'wang.jianhong',
  password: 'Budai oyster beds 2026',
  email: 'jianhong.wang@example.org',
  mailbox: PUZI_JUNIOR_HIGH.mailbox,
  realName: '王建宏',
  nationalId: freshNationalId('Q12203456'),
  cloudName: 'jianhong.wang',
  cloudPassword: 'Chiayi-phone-2026!',
};
const PHONE = { width: 390, height: 844 } as const;

/** What each walk types that its pages show back: user names, cloud names, real names and their parts. */
const WALK_NAMES = [
  TEACHER.username,
  CLOUD_NAME,
  REAL_NAME,
  PHONE_TEACHER.username,
  PHONE_TEACHER.cloudName,
  PHONE_TEACHER.realName,
  '王',
  '建宏',
];

/** Screens not checked as they show: the activation page reloads itself until the account exists. */
const IN_PASSING = new Set(['activating']);

/** A screenshot of each step that also checks the screen it shows (axe, phone width, language). */
function checkedShots(report: WalkReport): Shot {
  return async (page, step) => {
    await screenshot(page, step);
    if (!IN_PASSING.has(step)) await report.check(page, step);
  };
}

const browser: Browser | undefined = await launchBrowser();

describe.skipIf(!browser)('the whole how-to, county registration to Google sign-in', () => {
  let demo: TestDemo;

  // Every role's start, seed included: longer than other hooks on a busy machine.
  beforeAll(async () => {
    demo = await startTestDemo();
  }, 240_000);
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  async function newPage(locale: Locale, viewport: { width: number; height: number }): Promise<Page> {
    return (await (browser as Browser).newContext({ locale, viewport })).newPage();
  }

  // The whole journey through three roles in one browser: longer than one screen's test.
  it('in zh-TW at desktop width: registers, creates the cloud account, activates G Suite and signs in to Google', async () => {
    const report = new WalkReport('zh-TW', WALK_NAMES);
    const shot = checkedShots(report);
    const page = await newPage('zh-TW', DESKTOP);
    // 一: the 嘉義縣 portal account: register, verify, approval by the school, the profile check.
    await openRegistration(page, demo, shot);
    await fillRegistration(page, TEACHER, shot);
    await verifyEmail(page, demo, TEACHER, shot);
    await approveBySchool(page, demo, TEACHER, shot);
    await signInAfterApproval(page, demo, TEACHER, shot);
    await enterRealName(page, REAL_NAME, shot);
    await page.getByRole('link', { name: '登錄身分證號' }).click();
    await enterNationalId(page, NATIONAL_ID, shot);
    await reviewerConfirmsNationalId(page, demo, TEACHER, shot);
    await confirmSchool(page, NATIONAL_ID, shot);
    // Done with the portal for now (the how-to: keep a record of the username and password).
    await signOutOfPortal(page);

    // 二: the first login to the education cloud with the county account; the cloud account.
    await openCloudLogin(page, demo, shot);
    const askedConsent = await signInWithCounty(
      page,
      { county: '嘉義縣', username: TEACHER.username, password: TEACHER.password },
      shot,
    );
    expect(askedConsent).toBe(true);
    // The suggested name is the county username; the teacher prefers another.
    expect(await startCloudAccount(page, REAL_NAME, shot)).toBe(TEACHER.username);
    await page.getByRole('link', { name: '我不喜歡上面的帳號' }).click();
    await chooseCloudName(page, CLOUD_NAME, shot);
    await finishCloudAccount(page, { email: CLOUD_EMAIL, password: CLOUD_PASSWORD }, shot);

    // 三: the activation portal, signed in with the cloud (no second login); the activation.
    await openWorkspacePortal(page, demo, shot);
    // The cloud session is alive: at most a consent for the portal, never a login form.
    await consentIfAsked(page, shot, 'portal-consent');
    expect(await page.locator('input[type="password"]').count()).toBe(0);
    await expectPortalSignedIn(page, CLOUD_EMAIL, shot);
    await activateGSuite(page, GOOGLE_EMAIL, shot);

    // 四: Google's sign-in as name@go.edu.tw through the education cloud. Right after the
    // activation, the live cloud session answers Google at once.
    await page.goto(demo.urls.google);
    await typeGoogleAddress(page, GOOGLE_EMAIL, shot);
    await expectSignedInToGoogle(page, demo, GOOGLE_EMAIL, shot);

    // Another day, in a fresh browser: Google sends the teacher to the cloud's login, where the
    // cloud password (the same for Google) signs in.
    const later = await (browser as Browser).newContext({ locale: 'zh-TW', viewport: DESKTOP });
    const fresh = await later.newPage();
    await fresh.goto(demo.urls.google);
    await typeGoogleAddress(fresh, GOOGLE_EMAIL, shot);
    expect(new URL(fresh.url()).origin).toBe(new URL(demo.urls.cloud).origin);
    await signInWithCloudAccount(fresh, { name: CLOUD_NAME, password: CLOUD_PASSWORD }, shot);
    await consentIfAsked(fresh, shot, 'google-consent');
    await expectSignedInToGoogle(fresh, demo, GOOGLE_EMAIL, shot);
    await later.close();
    await page.context().close();
    expect(report.visited.length).toBeGreaterThan(35);
    expect(report.problems.join('\n')).toBe('');
  }, 240_000);

  it('in English on a 390 px phone: the same walk, every screen checked', async () => {
    const report = new WalkReport('en', WALK_NAMES);
    const page = await newPage('en', PHONE);
    await countyAccount(page, demo, report, PHONE_TEACHER);
    await cloudAccount(page, demo, report, PHONE_TEACHER);
    await activateAndSignInToGoogle(page, demo, report, PHONE_TEACHER);
    await page.context().close();
    expect(report.visited.length).toBeGreaterThan(30);
    expect(report.problems.join('\n')).toBe('');
  }, 240_000);
});
