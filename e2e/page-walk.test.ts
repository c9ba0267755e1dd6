// Every page of every role, signed out and signed in, in zh-TW and in English: each is checked
// with axe-core (WCAG 2.1 AA, zero violations), at 390 and 360 px (no sideways scrolling of the
// page) and for its language (no raw catalogue keys or event codes, nothing in the other language).
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/demo/seed-data.ts';
import { LOCALES, type Locale } from '../src/platform/i18n/i18n.ts';
import { launchBrowser } from '../src/platform/testing/browser.ts';
import { startTestDemo, type TestDemo } from '../src/platform/testing/demo-harness.ts';
import { waitForMail } from './steps/mailbox.ts';
import { DESKTOP, WalkReport } from './steps/page-checks.ts';
import {
  clickAndLoad,
  linksUnder,
  signInToCounty,
  signOutOfCounty,
  submitForm,
  visit,
} from './steps/walk.ts';

const browser: Browser | undefined = await launchBrowser();

describe.skipIf(!browser)('every page in both languages, at desktop and phone width', () => {
  let demo: TestDemo;

  beforeAll(async () => {
    demo = await startTestDemo();
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  describe.each(LOCALES)('%s', (locale: Locale) => {
    let context: BrowserContext;
    let page: Page;
    const applicant = `walk.${locale === 'en' ? 'en' : 'zh'}`;
    const applicantEmail = `${applicant}@example.org`;

    beforeAll(async () => {
      context = await (browser as Browser).newContext({ locale, viewport: DESKTOP });
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
    });

    it('signed out: the landing page, the portals, the cloud, the activation portal and Google', async () => {
      const report = new WalkReport(locale, [applicant]);
      await visit(page, report, demo.urls.landing, 'landing');
      await visit(page, report, `${demo.urls.landing}/mailbox`, 'mailbox');
      await visit(page, report, demo.urls.county, 'county portal chooser');
      await visit(page, report, `${demo.urls.county}/cyc`, 'county home');
      for (const help of (await linksUnder(page, '/cyc/help/')).slice(0, 3)) {
        await visit(page, report, help, `county help ${new URL(help).pathname}`);
      }
      await visit(page, report, `${demo.urls.county}/cyc/login`, 'county login');
      await visit(page, report, `${demo.urls.county}/cyc/forgot`, 'county forgot password');
      await visit(page, report, demo.urls.cloud, 'cloud home');
      await visit(page, report, `${demo.urls.cloud}/login`, 'cloud login');
      await visit(page, report, `${demo.urls.cloud}/password/forgot`, 'cloud forgot password');
      await visit(page, report, demo.urls.workspace, 'workspace activation home');
      await visit(page, report, demo.urls.google, 'Google sign-in');
      expect(report.problems.join('\n')).toBe('');
    });

    it('registration: the terms, steps 1–4 (with their errors), the verification and the approval', async () => {
      const report = new WalkReport(locale, [applicant]);
      await visit(page, report, `${demo.urls.county}/cyc/register`, 'registration terms');
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

      await waitForMail(demo, { to: applicantEmail, subject: '' });
      await visit(page, report, `${demo.urls.landing}/mailbox?to=${applicantEmail}`, 'mailbox filtered');
      await clickAndLoad(page, page.locator('main table a').first());
      await report.check(page, 'a mail');
      await clickAndLoad(page, page.locator('pre a[href*="/register/verify"]').first());
      await report.check(page, 'email verification');
      await submitForm(page, '/register/verify');
      await report.check(page, 'email verified');

      await waitForMail(demo, { to: 'pzjh@mail.cyc.edu.tw', subject: applicant });
      await page.goto(`${demo.urls.landing}/mailbox?to=pzjh@mail.cyc.edu.tw`);
      await clickAndLoad(page, page.locator('main table a').first());
      await clickAndLoad(page, page.locator('pre a[href*="decision=approve"]').first());
      await report.check(page, 'approval link');
      await clickAndLoad(page, page.locator('main form [type="submit"]').first());
      await report.check(page, 'approved');
      expect(report.problems.join('\n')).toBe('');
    });

    it('a teacher on the county portal: home, profile check, account, password, sessions, signed out', async () => {
      const report = new WalkReport(locale, [applicant]);
      await signInToCounty(page, demo, 'teacher01', DEMO_PASSWORD);
      await report.check(page, 'teacher signed in');
      await visit(page, report, `${demo.urls.county}/cyc`, 'county home signed in');
      for (const path of [
        '/profile/check',
        '/profile/name',
        '/profile/national-id',
        '/profile/unit/change',
        '/account',
        '/account/password',
        '/account/sessions',
      ]) {
        await visit(page, report, `${demo.urls.county}/cyc${path}`, `teacher ${path}`);
      }
      await signOutOfCounty(page);
      await report.check(page, 'county signed out');
      expect(report.problems.join('\n')).toBe('');
    });

    it('the school reviewer: the review console and a national ID correction', async () => {
      const report = new WalkReport(locale, [applicant]);
      await signInToCounty(page, demo, 'rv-pzjh', DEMO_PASSWORD);
      await visit(page, report, `${demo.urls.county}/cyc/review`, 'review console');
      const correction = (await linksUnder(page, '/cyc/review/accounts/'))[0];
      expect(correction).toBeDefined();
      await visit(page, report, correction as string, 'national ID correction');
      await signOutOfCounty(page);
      expect(report.problems.join('\n')).toBe('');
    });

    it('the county admin: every page of the admin console', async () => {
      const report = new WalkReport(locale, [applicant]);
      await signInToCounty(page, demo, 'cycadmin', DEMO_PASSWORD);
      await visit(page, report, `${demo.urls.county}/cyc/manage`, 'admin console');
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
      await visit(page, report, `${demo.urls.county}/cyc/review`, 'review console (admin)');
      await signOutOfCounty(page);
      expect(report.problems.join('\n')).toBe('');
    });
  });
});
