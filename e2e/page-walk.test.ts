// Every page of every role, signed out and signed in, in zh-TW and in English: each is checked
// with axe-core (WCAG 2.1 AA, zero violations), at 390 and 360 px (no sideways scrolling of the
// page) and for its language (no raw catalogue keys or event codes, nothing in the other language).
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countyMessages } from '../src/county/messages.ts';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { LOCALES, type Locale } from '../src/platform/i18n/i18n.ts';
import { activate, tabTo, typeInto } from './steps/keyboard.ts';
import { mailLink, openMailMatching, waitForMail } from './steps/mailbox.ts';
import { ANSWER, DESKTOP, WalkReport } from './steps/page-checks.ts';
import { DemoStack } from './steps/stack.ts';
import {
  clickAndLoad,
  discover,
  expiredLink,
  linksUnder,
  setActivation,
  signInToCloud,
  signInToCounty,
  signInToPortal,
  signOutOfCounty,
  submitForm,
  visit,
  visitRefused,
} from './steps/walk.ts';

/** The fields and the action of a password reset form reached from a mailed link. */
interface ResetForm {
  password: string;
  confirm: string;
  action: string;
}
const COUNTY_RESET: ResetForm = {
  password: '#f-password',
  confirm: '#f-password_confirm',
  action: '/cyc/reset',
};
const CLOUD_RESET: ResetForm = {
  password: '#password',
  confirm: '#password_confirm',
  action: '/password/reset',
};

/**
 * Activations Google's answer stopped, as the provisioning job leaves them: the address taken by
 * someone else (no button: the administrator looks first), and a refusal (the button again). The
 * portal shows the address, or Google's answer as it came.
 */
const STOPPED_ACTIVATIONS = [
  {
    state: 'conflict',
    answer:
      "teacher02@go.edu.tw already belongs to another Google user (id 1001) without this cloud account's external id",
    shown: 'teacher02@go.edu.tw',
    tryAgain: false,
  },
  {
    state: 'failed',
    answer: '400 invalid: Invalid Input: primary_user_email',
    shown: 'primary_user_email',
    tryAgain: true,
  },
] as const;

const stack = await DemoStack.forFile();

describe.skipIf(!stack.browser)('every page in both languages, at desktop and phone width', () => {
  describe.each(LOCALES)('%s', (locale: Locale) => {
    let context: BrowserContext;
    let page: Page;
    const applicant = `walk.${locale === 'en' ? 'en' : 'zh'}`;
    const applicantEmail = `${applicant}@example.org`;
    // Each language walks the first cloud login with another county account and cloud name.
    const countyUser = locale === 'en' ? 'cycadmin' : 'teacher01';
    const cloudName = `walk${locale === 'en' ? 'en' : 'zh'}2026`;
    const cloudPassword = 'Walk the cloud 2026!';
    // The applicant's password after the reset by mail, and the cloud account's backup email.
    const applicantPassword = 'Walk the reset 2026';
    const backupEmail = `${cloudName}.backup@example.org`;
    // Both languages' names: the admin console lists the other language's applicant too.
    const names = ['walk.zh', 'walk.en', 'walkzh2026', 'walken2026'];

    beforeAll(async () => {
      context = await stack.newContext(locale, DESKTOP);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
    });

    it('signed out: the landing page, the portals, the cloud, the activation portal and Google', async () => {
      const report = new WalkReport(locale, names);
      await visit(page, report, stack.demo.urls.landing, 'landing');
      await visit(page, report, `${stack.demo.urls.landing}/mailbox`, 'mailbox');
      await visit(page, report, stack.demo.urls.county, 'county portal chooser');
      await visit(page, report, `${stack.demo.urls.county}/cyc`, 'county home');
      for (const help of (await linksUnder(page, '/cyc/help/')).slice(0, 3)) {
        await visit(page, report, help, `county help ${new URL(help).pathname}`);
      }
      await visit(page, report, `${stack.demo.urls.county}/cyc/login`, 'county login');
      await visit(page, report, `${stack.demo.urls.county}/cyc/forgot`, 'county forgot password');
      await visit(page, report, stack.demo.urls.cloud, 'cloud home');
      await visit(page, report, `${stack.demo.urls.cloud}/login`, 'cloud login');
      await visit(page, report, `${stack.demo.urls.cloud}/password/forgot`, 'cloud forgot password');
      await visit(page, report, stack.demo.urls.workspace, 'workspace activation home');
      await visit(page, report, stack.demo.urls.google, 'Google sign-in');
      expect(report.problems.join('\n')).toBe('');
    });

    it('registration: the terms, steps 1–4 (with their errors), the verification and the approval', async () => {
      const report = new WalkReport(locale, names);
      await visit(page, report, `${stack.demo.urls.county}/cyc/register`, 'registration terms');
      await submitForm(page, '/register/start');
      await report.check(page, 'registration step 1');
      await submitForm(page, '/register/credentials');
      await report.check(page, 'registration step 1 with errors');
      await page.locator('#f-username').fill(applicant);
      await page.locator('#f-password').fill('Walk the county 2026');
      await page.locator('#f-password_confirm').fill('Walk the county 2026');
      await submitForm(page, '/register/credentials');
      await report.check(page, 'registration step 2');
      await page.locator('#f-email').fill(applicantEmail);
      await submitForm(page, '/register/email');
      await report.check(page, 'registration step 3');
      await submitForm(page, '/register/terms');
      await report.check(page, 'registration step 3 with errors');
      await page.locator('#f-accept').check();
      await submitForm(page, '/register/terms');
      await report.check(page, 'registration step 4');
      await page.locator('#f-q').fill('朴子');
      await clickAndLoad(page, page.locator('form[role="search"] [type="submit"]'));
      await report.check(page, 'registration step 4 school search');
      await clickAndLoad(page, page.locator('.unit-results a').first());
      await submitForm(page, '/register/unit');
      await report.check(page, 'registration submitted');

      await waitForMail(stack.demo, { to: applicantEmail, subject: '' });
      await visit(
        page,
        report,
        `${stack.demo.urls.landing}/mailbox?to=${applicantEmail}`,
        'mailbox filtered',
      );
      await clickAndLoad(page, page.locator('main table a').first());
      await report.check(page, 'a mail');
      await clickAndLoad(page, page.locator('pre a[href*="/register/verify"]').first());
      await report.check(page, 'email verification');
      await submitForm(page, '/register/verify');
      await report.check(page, 'email verified');

      await waitForMail(stack.demo, { to: 'pzjh@mail.cyc.edu.tw', subject: applicant });
      await page.goto(`${stack.demo.urls.landing}/mailbox?to=pzjh@mail.cyc.edu.tw`);
      await clickAndLoad(page, page.locator('main table a').first());
      await clickAndLoad(page, page.locator('pre a[href*="decision=approve"]').first());
      await report.check(page, 'approval link');
      await clickAndLoad(page, page.locator('main form [type="submit"]').first());
      await report.check(page, 'approved');
      expect(report.problems.join('\n')).toBe('');
    });

    it('a teacher on the county portal: home, profile check, account, password, email change, sessions, signed out', async () => {
      const report = new WalkReport(locale, names);
      await signInToCounty(page, stack.demo, 'teacher01', DEMO_PASSWORD);
      await report.check(page, 'teacher signed in');
      await visit(page, report, `${stack.demo.urls.county}/cyc`, 'county home signed in');
      for (const path of [
        '/profile/check',
        '/profile/name',
        '/profile/national-id',
        '/profile/unit/change',
        '/account',
        '/account/password',
        '/account/email',
        '/account/sessions',
      ]) {
        await visit(page, report, `${stack.demo.urls.county}/cyc${path}`, `teacher ${path}`);
      }
      // The email change: a wrong current password marks its field; the right one sends the link.
      const newEmail = `teacher01.${locale}@example.org`;
      await page.goto(`${stack.demo.urls.county}/cyc/account/email`);
      await page.locator('#f-email').fill(newEmail);
      await page.locator('#f-current_password').fill('not the password');
      await submitForm(page, '/cyc/account/email');
      await report.check(page, 'teacher email change with errors');
      await page.locator('#f-email').fill(newEmail);
      await page.locator('#f-current_password').fill(DEMO_PASSWORD);
      await submitForm(page, '/cyc/account/email');
      await report.check(page, 'teacher email change sent');
      await openMailMatching(page, stack.demo, newEmail, (text) => text.includes('/account/email/confirm'));
      await visit(
        page,
        report,
        await mailLink(page, '/account/email/confirm'),
        'teacher email change confirmation',
      );
      await submitForm(page, '/cyc/account/email/confirm');
      await report.check(page, 'teacher email changed');
      await signOutOfCounty(page);
      await report.check(page, 'county signed out');
      expect(report.problems.join('\n')).toBe('');
    });

    it('the school reviewer: the review console and a national ID correction', async () => {
      const report = new WalkReport(locale, names);
      await signInToCounty(page, stack.demo, 'rv-pzjh', DEMO_PASSWORD);
      await visit(page, report, `${stack.demo.urls.county}/cyc/review`, 'review console');
      const correction = (await linksUnder(page, '/cyc/review/accounts/'))[0];
      expect(correction).toBeDefined();
      await visit(page, report, correction as string, 'national ID correction');
      await signOutOfCounty(page);
      expect(report.problems.join('\n')).toBe('');
    });

    it('the county admin: every page of the admin console', async () => {
      const report = new WalkReport(locale, names);
      await signInToCounty(page, stack.demo, 'cycadmin', DEMO_PASSWORD);
      await visit(page, report, `${stack.demo.urls.county}/cyc/manage`, 'admin console');
      const seen = new Set<string>();
      for (const link of await linksUnder(page, '/cyc/manage/')) {
        const path = new URL(link).pathname;
        if (path.endsWith('.csv') || seen.has(path)) continue;
        seen.add(path);
        await visit(page, report, link, `admin ${path}`);
        // One page of each list's items (an account, a unit, a campaign, …).
        const item = (await linksUnder(page, `${path}/`)).find((h) => !h.endsWith('.csv'));
        if (item && !seen.has(new URL(item).pathname)) {
          seen.add(new URL(item).pathname);
          await visit(page, report, item, `admin ${new URL(item).pathname}`);
        }
      }
      await visit(page, report, `${stack.demo.urls.county}/cyc/review`, 'review console (admin)');
      await signOutOfCounty(page);
      expect(report.problems.join('\n')).toBe('');
    });
    it('the cloud: first login through the county, the new account, activation, Google, signed out', async () => {
      const report = new WalkReport(locale, names);
      const cloud = stack.demo.urls.cloud;
      await page.goto(`${cloud}/login`);
      await clickAndLoad(page, page.locator('ul.counties a').first());
      await report.check(page, 'county sign-in for the cloud');
      await page.locator('#login-username').fill(countyUser);
      await page.locator('#login-password').fill(DEMO_PASSWORD);
      await clickAndLoad(page, page.locator('form.login [type="submit"]'));
      // A first sign-in through the county asks for consent.
      await report.check(page, 'county consent');
      await clickAndLoad(page, page.locator('form[action$="/consent"] button[value="allow"]'));
      await page.waitForURL(/\/first-login/);
      await report.check(page, 'first login: no cloud account');
      await clickAndLoad(page, page.locator('a[href*="/first-login/link-existing"]'));
      await report.check(page, 'first login: link an existing account');
      await page.goBack();
      await submitForm(page, '/first-login/create');
      await report.check(page, 'first login: suggested name');
      await clickAndLoad(page, page.locator('a[href*="/first-login/choose"]'));
      await page.locator('#name').pressSequentially(cloudName, { delay: 10 });
      await expect.poll(() => page.locator('#name-status').textContent(), ANSWER).toContain(cloudName);
      await report.check(page, 'first login: choose a name');
      await clickAndLoad(page, page.locator('#choose-name [type="submit"]').first());
      await report.check(page, 'first login: password');
      await page.locator('#password').fill(cloudPassword);
      await page.locator('#password_confirm').fill(cloudPassword);
      await submitForm(page, '/first-login/password');
      await report.check(page, 'first login: consent');
      await clickAndLoad(page, page.locator('form[action="/first-login/consent"] button[value="accept"]'));
      await page.locator('#cloud-email').waitFor();
      await report.check(page, 'first login: account ready');
      await visit(page, report, `${cloud}/account`, 'cloud account');
      await visit(page, report, `${cloud}/account/sessions`, 'cloud sessions');

      // The activation portal, signed in through the cloud, and the activation.
      await page.goto(stack.demo.urls.workspace);
      await clickAndLoad(page, page.locator('#cloud-login'));
      await report.check(page, 'cloud consent for the activation portal');
      await clickAndLoad(page, page.locator('form[action$="/consent"] button[value="allow"]'));
      await page.locator('#cloud-account').waitFor();
      await report.check(page, 'workspace activation signed in');
      // The page refreshes itself while the account is being created: checked once it is done.
      await submitForm(page, '/activate');
      await page.locator('#google-address').waitFor({ timeout: 30_000 });
      await report.check(page, 'workspace activated');

      // Google's sign-in through the cloud.
      await page.goto(stack.demo.urls.google);
      await page.locator('#identifier').fill(`${cloudName}@go.edu.tw`);
      await submitForm(page, '/signin');
      await page.locator('#signed-in').waitFor({ timeout: 30_000 });
      await report.check(page, 'Google signed in');

      // Signing out of the cloud: its confirmation, then 「您已登出」.
      await page.goto(`${cloud}/account`);
      await submitForm(page, '/logout');
      if ((await page.locator('#op-logout-yes').count()) > 0) {
        await report.check(page, 'cloud sign-out confirmation');
        await clickAndLoad(page, page.locator('#op-logout-yes'));
      }
      await page.waitForURL(/\/signed-out/);
      await report.check(page, 'cloud signed out');
      expect(report.problems.join('\n')).toBe('');
    });

    it('the activation portal: an activation in conflict (the address taken) and one failed at Google', async () => {
      const report = new WalkReport(locale, names);
      await context.clearCookies();
      await signInToCloud(page, stack.demo, 'teacher02', DEMO_PASSWORD);
      await signInToPortal(page, stack.demo);
      for (const { state, answer, shown, tryAgain } of STOPPED_ACTIVATIONS) {
        await setActivation(stack.demo, 'teacher02', state, answer);
        await visit(page, report, stack.demo.urls.workspace, `workspace activation ${state}`);
        expect(await page.locator(`[data-state="${state}"]`).textContent()).toContain(shown);
        expect(await page.locator('#activate').count()).toBe(tryAgain ? 1 : 0);
      }
      await context.clearCookies();
      expect(report.problems.join('\n')).toBe('');
    });

    it('the cloud admin: the console, the admin page of the activation portal, the console of Google', async () => {
      const report = new WalkReport(locale, names);
      const cloud = stack.demo.urls.cloud;
      await signInToCloud(page, stack.demo, 'cloudadmin', DEMO_PASSWORD);
      for (const path of ['/admin', '/admin/clients', '/admin/accounts', '/admin/roles', '/admin/saml']) {
        await visit(page, report, `${cloud}${path}`, `cloud admin ${path}`);
      }
      await signInToPortal(page, stack.demo);
      // It lists the activations of the walk before, in conflict and failed, with Google's answers.
      await visit(page, report, `${stack.demo.urls.workspace}/admin`, 'workspace admin');
      expect(await page.textContent('main')).toContain('teacher02@go.edu.tw');
      await visit(page, report, `${stack.demo.urls.google}/admin/console`, 'Google admin console');
      expect(report.problems.join('\n')).toBe('');
    });

    /** Types a new password twice into a reset form, sends it, and checks the page that answers. */
    async function sendNewPassword(report: WalkReport, form: ResetForm, password: string, screen: string) {
      await page.locator(form.password).fill(password);
      await page.locator(form.confirm).fill(password);
      await submitForm(page, form.action);
      await report.check(page, screen);
    }

    /** The reset link once used, then one expired: each a page saying the link no longer works. */
    async function visitSpentLinks(report: WalkReport, role: 'county' | 'cloud', used: string) {
      await visitRefused(page, report, used, `${role} reset link used`, 410);
      const expired = new URL(used);
      const purpose = role === 'county' ? 'county.reset-password' : 'cloud.password-reset';
      expired.searchParams.set('token', await expiredLink(stack.demo, role, purpose));
      await visitRefused(page, report, expired.href, `${role} reset link expired`, 410);
    }

    it('mailed links: password reset at the county and the cloud (the form, the link used, the link expired), the backup email', async () => {
      const report = new WalkReport(locale, names);
      const county = `${stack.demo.urls.county}/cyc`;
      const cloud = stack.demo.urls.cloud;
      // The county: the applicant of the registration walk forgets the password.
      await visit(page, report, `${county}/forgot`, 'county forgot password');
      await page.locator('#f-identifier').fill(applicant);
      await submitForm(page, '/cyc/forgot');
      await report.check(page, 'county forgot password sent');
      await openMailMatching(page, stack.demo, applicantEmail, (text) => text.includes('/reset?token='));
      const countyReset = await mailLink(page, '/reset?token=');
      await visit(page, report, countyReset, 'county reset form');
      await submitForm(page, '/cyc/reset');
      await report.check(page, 'county reset form with errors');
      await sendNewPassword(report, COUNTY_RESET, applicantPassword, 'county password reset');
      await visitSpentLinks(report, 'county', countyReset);

      // The cloud: the account of the first-login walk sets a backup email, confirms it from its
      // mail without a session, then resets its password through it. The walks before left
      // other accounts signed in: this browser starts afresh.
      await context.clearCookies();
      await signInToCloud(page, stack.demo, cloudName, cloudPassword);
      await page.locator('#email').fill(backupEmail);
      await page.locator('#email_confirm').fill(backupEmail);
      await submitForm(page, '/account/backup-email');
      await report.check(page, 'cloud backup email sent');
      await submitForm(page, '/logout');
      if ((await page.locator('#op-logout-yes').count()) > 0) {
        await clickAndLoad(page, page.locator('#op-logout-yes'));
      }
      await page.waitForURL(/\/signed-out/);
      await openMailMatching(page, stack.demo, backupEmail, (text) => text.includes('backup-email/verify'));
      await clickAndLoad(page, page.locator('pre a[href*="backup-email/verify"]').first());
      await report.check(page, 'cloud backup email confirmed without a session');

      await visit(page, report, `${cloud}/password/forgot`, 'cloud forgot password');
      await page.locator('#name').fill(cloudName);
      await submitForm(page, '/password/forgot');
      await report.check(page, 'cloud forgot password sent');
      await openMailMatching(page, stack.demo, backupEmail, (text) =>
        text.includes('/password/reset?token='),
      );
      const cloudReset = await mailLink(page, '/password/reset?token=');
      await visit(page, report, cloudReset, 'cloud reset form');
      await sendNewPassword(report, CLOUD_RESET, 'short', 'cloud reset form with errors');
      await sendNewPassword(
        report,
        CLOUD_RESET,
        cloudPassword.replace('2026', '2027'),
        'cloud password reset',
      );
      await visitSpentLinks(report, 'cloud', cloudReset);
      expect(report.problems.join('\n')).toBe('');
    });

    it('the pages of a refusal: OIDC errors shown to a person, a county refusing a suspended or departed teacher, a cancel', async () => {
      const report = new WalkReport(locale, names);
      const county = `${stack.demo.urls.county}/cyc`;
      const cloud = stack.demo.urls.cloud;
      // An application's wrong sign-in address (redirect URI) or unknown client, at either provider.
      const wrongRedirect = encodeURIComponent('https://elsewhere.example.org/callback');
      for (const [provider, issuer, clientId] of [
        ['county', county, 'educloud'],
        ['cloud', cloud, 'k12cc-workspace'],
      ] as const) {
        const authorize = (await discover(issuer)).authorization_endpoint;
        const query = `response_type=code&scope=openid&state=walk&redirect_uri=${wrongRedirect}`;
        await visitRefused(
          page,
          report,
          `${authorize}?${query}&client_id=${clientId}`,
          `${provider} OIDC: wrong redirect URI`,
          400,
        );
        await visitRefused(
          page,
          report,
          `${authorize}?${query}&client_id=no-such-app`,
          `${provider} OIDC: unknown client`,
          400,
        );
      }

      // The teacher's own cancel at the county: a calm page with the way back.
      const cancelling = await stack.newContext(locale, DESKTOP);
      const teacher = await cancelling.newPage();
      await teacher.goto(`${cloud}/login`);
      await clickAndLoad(teacher, teacher.locator('ul.counties a[href^="/login/county/cyc"]'));
      await clickAndLoad(teacher, teacher.locator('form[action$="/abort"] [type="submit"]'));
      await report.check(teacher, 'cloud: the teacher cancelled at the county');
      const again = await teacher.locator('main a.button').getAttribute('href');
      expect(again).toMatch(/^\/login\/county\/cyc/);
      await cancelling.close();

      // The county administrator suspends the applicant, then marks the account departed. Each
      // time the county's login form says so; and should the county refuse a sign-in already under
      // way, the cloud says why, in the reader's language, without a 重新登入 that cannot work.
      const countyIssuer = (await discover(county)).issuer;
      for (const [change, status] of [
        ['suspend', 'suspended'],
        ['depart', 'departed'],
      ] as const) {
        await signInToCounty(page, stack.demo, 'cycadmin', DEMO_PASSWORD);
        await page.goto(`${county}/manage/accounts?q=${applicant}`);
        const account = (await linksUnder(page, '/cyc/manage/accounts/')).find((h) => !h.endsWith('.csv'));
        expect(account).toBeDefined();
        await page.goto(account as string);
        await page.locator(`#r-${change}`).fill('walk');
        await submitForm(page, `/${change}`);
        await report.check(page, `admin: the account ${status}, with its history`);
        await signOutOfCounty(page);

        const refused = await stack.newContext(locale, DESKTOP);
        const someone = await refused.newPage();
        await someone.goto(`${cloud}/login`);
        await clickAndLoad(someone, someone.locator('ul.counties a[href^="/login/county/cyc"]'));
        await someone.locator('#login-username').fill(applicant);
        await someone.locator('#login-password').fill(applicantPassword);
        await clickAndLoad(someone, someone.locator('form.login [type="submit"]'));
        expect(await someone.locator('#login-error').textContent()).toContain(
          countyMessages[locale][`login.error.state.${status}`],
        );
        await report.check(someone, `county login refuses the ${status} account`);

        // The county's answer to a sign-in under way, as it sends it back to the cloud.
        const asked = someone.waitForRequest(
          (r) => r.url().startsWith(`${county}/`) && r.url().includes('state='),
        );
        await someone.goto(`${cloud}/login/county/cyc`);
        const state = new URL((await asked).url()).searchParams.get('state') ?? '';
        const answer = new URLSearchParams({
          error: 'access_denied',
          error_description: `account ${status}`,
          state,
          iss: countyIssuer,
        });
        await visitRefused(
          someone,
          report,
          `${cloud}/cncreturnpage?${answer}`,
          `cloud: the county refused (${status})`,
          403,
        );
        expect(await someone.locator('main a[href^="/login/county/"]').count()).toBe(0);
        await refused.close();
      }
      expect(report.problems.join('\n')).toBe('');
    });
  });
  describe('keyboard only (Tab, Enter, Space)', () => {
    let context: BrowserContext;
    let page: Page;
    beforeAll(async () => {
      context = await stack.newContext('zh-TW', DESKTOP);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
    });

    it('registers on the county portal', async () => {
      await page.goto(`${stack.demo.urls.county}/cyc`);
      await activate(page, 'header a[href="/cyc/register"]');
      // The terms scroll in their own box: it takes the focus, and Space scrolls it.
      await tabTo(page, '.terms');
      const terms = page.locator('.terms');
      if (await terms.evaluate((e) => e.scrollHeight > e.clientHeight)) {
        await page.keyboard.press('Space');
        await expect.poll(() => terms.evaluate((e) => e.scrollTop), ANSWER).toBeGreaterThan(0);
      }
      await activate(page, 'form[action$="/register/start"] button');
      await typeInto(page, '#f-username', 'keyboard.only');
      await typeInto(page, '#f-password', 'Tab Enter Space 2026');
      await typeInto(page, '#f-password_confirm', 'Tab Enter Space 2026');
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      await typeInto(page, '#f-email', 'keyboard.only@example.org');
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      await tabTo(page, '.terms');
      await tabTo(page, '#f-accept');
      await page.keyboard.press('Space');
      expect(await page.locator('#f-accept').isChecked()).toBe(true);
      await activate(page, 'form[action$="/register/terms"] button[type="submit"]');
      await typeInto(page, '#f-mailbox', 'pzjh@mail.cyc.edu.tw');
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      expect(new URL(page.url()).pathname).toBe('/cyc/register/done');
      expect(await page.textContent('main')).toContain('keyboard.only@example.org');
    });

    it('verifies, is approved and signs in to the county portal for the first time, through the profile check', async () => {
      // The mails are read elsewhere: their links are opened, their pages worked by keyboard.
      await openMailMatching(page, stack.demo, 'keyboard.only@example.org', (text) =>
        text.includes('/register/verify'),
      );
      await page.goto(await mailLink(page, '/register/verify'));
      await activate(page, 'form[action$="/register/verify"] button');
      await openMailMatching(
        page,
        stack.demo,
        'pzjh@mail.cyc.edu.tw',
        (text) => text.includes('keyboard.only') && text.includes('decision='),
      );
      await page.goto(await mailLink(page, 'decision=approve'));
      await activate(page, 'main form [type="submit"]');

      // The first sign-in: the login box of the portal's home, then the profile check.
      await page.goto(`${stack.demo.urls.county}/cyc/login`);
      await typeInto(page, '#login-username', 'keyboard.only');
      await typeInto(page, '#login-password', 'Tab Enter Space 2026');
      await Promise.all([page.waitForURL(/\/cyc\/profile\/check$/), page.keyboard.press('Enter')]);
      await activate(page, 'main a[href*="/profile/name"]');
      await typeInto(page, '#f-real_name', '鍵盤老師');
      await Promise.all([page.waitForURL(/\/cyc\/profile\/check$/), page.keyboard.press('Enter')]);
      expect(await page.textContent('main')).toContain('鍵盤老師');
      await activate(page, 'main a[href*="/profile/national-id"]');
      // A valid number of 嘉義縣 that no stack.demo account uses.
      await typeInto(page, '#f-national_id', 'Q221036542');
      await Promise.all([page.waitForURL(/\/cyc\/profile\/check$/), page.keyboard.press('Enter')]);
      await activate(page, 'form[action$="/profile/unit/confirm"] button');
      expect(new URL(page.url()).pathname).toBe('/cyc/profile/check');
      await activate(page, 'header form[action$="/cyc/logout"] button');
    });

    it('walks the first cloud login through the county to the new cloud account', async () => {
      await page.goto(`${stack.demo.urls.cloud}/login`);
      await activate(page, 'ul.counties a[href^="/login/county/tn"]');
      await typeInto(page, '#login-username', 'tnadmin');
      await typeInto(page, '#login-password', DEMO_PASSWORD);
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      await activate(page, 'form[action$="/consent"] button[value="allow"]', 'Space');
      await page.waitForURL(/\/first-login/);
      await activate(page, 'form[action="/first-login/create"] button');
      // 「我不喜歡上面的帳號」: a suggested name is taken with Enter, then 下一步.
      await activate(page, 'a[href*="/first-login/choose"]');
      await tabTo(page, '.suggestions button');
      const suggested = await page.locator('.suggestions button').first().getAttribute('data-name');
      await page.keyboard.press('Enter');
      expect(await page.locator('#name').inputValue()).toBe(suggested);
      await expect.poll(() => page.locator('#name-status').textContent(), ANSWER).toContain(suggested ?? '');
      await activate(page, '#choose-name button[type="submit"]');
      await typeInto(page, '#password', 'Keyboard cloud 2026!');
      await typeInto(page, '#password_confirm', 'Keyboard cloud 2026!');
      await Promise.all([page.waitForEvent('load'), page.keyboard.press('Enter')]);
      await activate(page, 'form[action="/first-login/consent"] button[value="accept"]', 'Space');
      expect(await page.locator('#cloud-email').textContent()).toMatch(/@mail\.edu\.tw$/);
    });
  });
});
