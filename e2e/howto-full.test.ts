// The whole how-to (教師申請教育雲服務 → 啟用 G Suite for Education) as a new teacher of 朴子國民中學
// does it, in one browser: 一 the 嘉義縣 portal account, 二 the first login to the education cloud
// and its account, 三 the activation of name@go.edu.tw, 四 the sign-in to Google through the cloud.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNationalId } from '../src/identity/index.ts';
import { DEMO_COUNTY_ACCOUNTS } from '../src/platform/federation/seed-data.ts';
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
import { numberedShots } from './steps/shots.ts';
import {
  activateGSuite,
  expectPortalSignedIn,
  expectSignedInToGoogle,
  openWorkspacePortal,
  typeGoogleAddress,
} from './steps/workspace.ts';

const shot = numberedShots('howto-full');

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

/** A valid national ID of 嘉義縣 (Q), female, that no demo account uses: the first check digit that holds. */
function freshNationalId(): string {
  const taken = new Set(DEMO_COUNTY_ACCOUNTS.map((a) => a.nationalId));
  for (let digit = 0; digit <= 9; digit += 1) {
    const candidate = `Q22103654${digit}`;
    if (parseNationalId(candidate).ok && !taken.has(candidate)) return candidate;
  }
  throw new Error('no valid national ID found');
}
const NATIONAL_ID = freshNationalId();

const browser: Browser | undefined = await launchBrowser();

describe.skipIf(!browser)('the whole how-to, county registration to Google sign-in', () => {
  let demo: TestDemo;
  let page: Page;

  beforeAll(async () => {
    demo = await startTestDemo();
    page = await (browser as Browser).newPage({ locale: 'zh-TW' });
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await demo?.close();
  });

  // The whole journey through three roles in one browser: longer than one screen's test.
  it('registers, creates the cloud account, activates G Suite and signs in to Google', async () => {
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
    const later = await (browser as Browser).newContext({ locale: 'zh-TW' });
    const fresh = await later.newPage();
    await fresh.goto(demo.urls.google);
    await typeGoogleAddress(fresh, GOOGLE_EMAIL, shot);
    expect(new URL(fresh.url()).origin).toBe(new URL(demo.urls.cloud).origin);
    await signInWithCloudAccount(fresh, { name: CLOUD_NAME, password: CLOUD_PASSWORD }, shot);
    await consentIfAsked(fresh, shot, 'google-consent');
    await expectSignedInToGoogle(fresh, demo, GOOGLE_EMAIL, shot);
    await later.close();
  }, 180_000);
});
