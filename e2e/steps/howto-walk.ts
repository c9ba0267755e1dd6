// The whole how-to walked by addresses, field ids and form actions rather than labels, so that
// it serves any language; every screen a teacher meets is checked on the way (WalkReport).
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { DEMO_PASSWORD } from '../../src/platform/federation/seed-data.ts';
import type { TestDemo } from '../../src/platform/testing/demo-harness.ts';
import { clickMailLink, openMailMatching } from './mailbox.ts';
import type { WalkReport } from './page-checks.ts';
import { ANSWER } from './page-checks.ts';
import { clickAndLoad, signInToCounty, submitForm } from './walk.ts';

export interface HowtoTeacher {
  username: string;
  password: string;
  email: string;
  /** The school's official mailbox, typed in step 4. */
  mailbox: string;
  realName: string;
  nationalId: string;
  cloudName: string;
  cloudPassword: string;
}

/** 一: the portal account: registration, the mailed verification and approval, the profile check. */
export async function countyAccount(page: Page, demo: TestDemo, report: WalkReport, who: HowtoTeacher) {
  await page.goto(`${demo.urls.county}/cyc`);
  await report.check(page, 'county home');
  await clickAndLoad(page, page.locator('header a[href="/cyc/register"]'));
  await report.check(page, 'registration terms');
  await submitForm(page, '/register/start');
  await page.locator('#f-username').fill(who.username);
  await page.locator('#f-password').fill(who.password);
  await page.locator('#f-password_confirm').fill(who.password);
  await report.check(page, 'registration step 1');
  await submitForm(page, '/register/credentials');
  await page.locator('#f-email').fill(who.email);
  await report.check(page, 'registration step 2');
  await submitForm(page, '/register/email');
  await page.locator('#f-accept').check();
  await report.check(page, 'registration step 3');
  await submitForm(page, '/register/terms');
  await page.locator('#f-mailbox').fill(who.mailbox);
  await report.check(page, 'registration step 4');
  await submitForm(page, '/register/unit');
  expect(await page.textContent('main')).toContain(who.email);
  await report.check(page, 'registration submitted');

  await openMailMatching(page, demo, who.email, (text) => text.includes('/register/verify'));
  await report.check(page, 'verification mail');
  await clickMailLink(page, '/register/verify');
  await report.check(page, 'email verification');
  await submitForm(page, '/register/verify');
  await report.check(page, 'email verified');

  await openMailMatching(
    page,
    demo,
    who.mailbox,
    (text) => text.includes(who.username) && text.includes('decision='),
  );
  await report.check(page, 'review mail');
  await clickMailLink(page, 'decision=approve');
  await report.check(page, 'approval link');
  await clickAndLoad(page, page.locator('main form [type="submit"]').first());
  await report.check(page, 'approved');

  await openMailMatching(
    page,
    demo,
    who.email,
    (text) => text.includes('/login') && !text.includes('/register/'),
  );
  await report.check(page, 'approval mail');
  await clickMailLink(page, '/login');
  await page.locator('#login-username').fill(who.username);
  await page.locator('#login-password').fill(who.password);
  await report.check(page, 'county login');
  await clickAndLoad(page, page.locator('form.login [type="submit"]'));
  await page.waitForURL(/\/cyc\/profile\/check$/);
  await report.check(page, 'profile check');

  await clickAndLoad(page, page.locator('main a[href*="/profile/name"]'));
  await page.locator('#f-real_name').fill(who.realName);
  await report.check(page, 'real name');
  await submitForm(page, '/profile/name');
  await clickAndLoad(page, page.locator('main a[href*="/profile/national-id"]'));
  await page.locator('#f-national_id').fill(who.nationalId);
  await report.check(page, 'national ID');
  await submitForm(page, '/profile/national-id');
  await page.waitForURL(/\/profile\/check$/);
  await report.check(page, 'profile check, national ID sent');
  await reviewerConfirmsNationalId(page, demo, report, who);
  await page.reload();
  await submitForm(page, '/profile/unit/confirm');
  expect(await page.textContent('main')).toContain(`${who.nationalId.slice(0, 2)}******`);
  await report.check(page, 'profile complete');

  await submitForm(page, '/cyc/logout');
  await report.check(page, 'county signed out');
}

/** The school's reviewer, in another browser: the mail → the console → the number recorded. */
async function reviewerConfirmsNationalId(page: Page, demo: TestDemo, report: WalkReport, who: HowtoTeacher) {
  const browser = page.context().browser();
  if (!browser) throw new Error('no browser');
  const office = await browser.newContext({ locale: report.locale, viewport: page.viewportSize() });
  try {
    const reviewer = await office.newPage();
    await openMailMatching(
      reviewer,
      demo,
      who.mailbox,
      (text) => text.includes(who.username) && text.includes('/review') && !text.includes('decision='),
    );
    await report.check(reviewer, 'national ID mail');
    await signInToCounty(reviewer, demo, `rv-${who.mailbox.split('@')[0]}`, DEMO_PASSWORD);
    await reviewer.goto(`${demo.urls.county}/cyc/review`);
    await report.check(reviewer, 'review console, a national ID to confirm');
    await submitForm(reviewer, '/national-id/confirm');
    await report.check(reviewer, 'review console, national ID confirmed');
  } finally {
    await office.close();
  }
}

/** Clicks the allow button of a provider's consent screen when one shows; true when one did. */
async function allowIfAsked(page: Page, report: WalkReport, screen: string): Promise<boolean> {
  const allow = page.locator('form[action$="/consent"] button[value="allow"]');
  if ((await allow.count()) === 0) return false;
  await report.check(page, screen);
  await clickAndLoad(page, allow);
  return true;
}

/** 二: the first login to the cloud through the county, and the cloud account with its own name. */
export async function cloudAccount(page: Page, demo: TestDemo, report: WalkReport, who: HowtoTeacher) {
  await page.goto(demo.urls.cloud);
  await report.check(page, 'cloud home');
  await page.goto(`${demo.urls.cloud}/login`);
  await report.check(page, 'cloud login');
  await clickAndLoad(page, page.locator('ul.counties a[href^="/login/county/cyc"]'));
  await page.locator('#login-username').fill(who.username);
  await page.locator('#login-password').fill(who.password);
  await report.check(page, 'county login for the cloud');
  await clickAndLoad(page, page.locator('form.login [type="submit"]'));
  expect(await allowIfAsked(page, report, 'county consent')).toBe(true);
  await page.waitForURL(/\/first-login/);
  await report.check(page, 'first login: no cloud account');
  await submitForm(page, '/first-login/create');
  expect(await page.locator('#suggested-name').textContent()).toBe(who.username);
  await report.check(page, 'first login: suggested name');
  await clickAndLoad(page, page.locator('a[href*="/first-login/choose"]'));
  await page.locator('#name').pressSequentially(who.cloudName, { delay: 10 });
  await expect.poll(() => page.locator('#name-status').textContent(), ANSWER).toContain(who.cloudName);
  await report.check(page, 'first login: choose a name');
  await clickAndLoad(page, page.locator('#choose-name [type="submit"]').first());
  await page.locator('#password').fill(who.cloudPassword);
  await page.locator('#password_confirm').fill(who.cloudPassword);
  await report.check(page, 'first login: password');
  await submitForm(page, '/first-login/password');
  await report.check(page, 'first login: consent');
  await clickAndLoad(page, page.locator('form[action="/first-login/consent"] button[value="accept"]'));
  expect(await page.locator('#cloud-email').textContent()).toBe(`${who.cloudName}@mail.edu.tw`);
  await report.check(page, 'first login: account ready');
}

/** 三 and 四: the activation portal through the live cloud session, then Google through the cloud. */
export async function activateAndSignInToGoogle(
  page: Page,
  demo: TestDemo,
  report: WalkReport,
  who: HowtoTeacher,
) {
  const google = `${who.cloudName}@go.edu.tw`;
  await page.goto(demo.urls.workspace);
  await report.check(page, 'activation portal');
  await clickAndLoad(page, page.locator('#cloud-login'));
  await allowIfAsked(page, report, 'cloud consent for the activation portal');
  expect(await page.locator('input[type="password"]').count()).toBe(0);
  await page.locator('#cloud-account').waitFor();
  await report.check(page, 'activation portal signed in');
  await submitForm(page, '/activate');
  // The page refreshes itself while the account is made: checked once it is done.
  await page.locator('#google-address').waitFor({ timeout: 30_000 });
  expect(await page.locator('#google-address').textContent()).toContain(google);
  await report.check(page, 'G Suite activated');

  await signInToGoogle(page, demo, report, google);

  // Another day, in a fresh browser: the cloud's login form, then Google.
  const browser = page.context().browser();
  if (!browser) throw new Error('no browser');
  const later = await browser.newContext({ locale: report.locale, viewport: page.viewportSize() });
  try {
    const fresh = await later.newPage();
    await fresh.goto(demo.urls.google);
    await fresh.locator('#identifier').fill(google);
    await submitForm(fresh, '/signin');
    expect(new URL(fresh.url()).origin).toBe(new URL(demo.urls.cloud).origin);
    await fresh.locator('#name').fill(who.cloudName);
    await fresh.locator('#password').fill(who.cloudPassword);
    await report.check(fresh, 'cloud login for Google');
    await Promise.all([fresh.waitForEvent('load'), fresh.locator('#password').press('Enter')]);
    await allowIfAsked(fresh, report, 'cloud consent for Google');
    await fresh.locator('#signed-in').waitFor({ timeout: 30_000 });
    await report.check(fresh, 'Google signed in, another day');
  } finally {
    await later.close();
  }
}

async function signInToGoogle(page: Page, demo: TestDemo, report: WalkReport, google: string) {
  await page.goto(demo.urls.google);
  await page.locator('#identifier').fill(google);
  await report.check(page, 'Google sign-in');
  await submitForm(page, '/signin');
  await page.locator('#signed-in').waitFor({ timeout: 30_000 });
  expect(await page.locator('#signed-in').textContent()).toContain(google);
  await report.check(page, 'Google signed in');
}
