// How-to section 三: sign in at the activation portal with the education cloud, press
// 「啟用 G Suite for Education」, then sign in to Google (the local stand-in) as name@go.edu.tw:
// Google sends the browser to the education cloud's SAML IdP, which answers without a new login.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/demo/seed-data.ts';
import { launchBrowser, screenshot } from '../src/platform/testing/browser.ts';
import { startTestDemo, type TestDemo } from '../src/platform/testing/demo-harness.ts';

const SUITE = 'workspace-activation';
let demo: TestDemo;
let browser: Browser | undefined;

beforeAll(async () => {
  browser = await launchBrowser();
  if (browser) demo = await startTestDemo();
});

afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

async function consentIfAsked(page: Page, step: string) {
  const consent = page.getByRole('button', { name: '同意授權' });
  if (await consent.isVisible().catch(() => false)) {
    await screenshot(page, SUITE, step);
    await consent.click();
  }
}

describe('workspace activation, how-to section 三', () => {
  it('teacher02 activates G Suite and signs in to Google through the education cloud', async (context) => {
    if (!browser) return context.skip();
    const page = await browser.newPage({ locale: 'zh-TW' });
    await page.goto(demo.urls.workspace);
    await screenshot(page, SUITE, '01-portal');
    await page.locator('#cloud-login').click();

    // The cloud login (county account of 臺南市, already linked to teacher02@mail.edu.tw).
    await page.getByRole('link', { name: '臺南市' }).click();
    await page.locator('#login-username').fill('teacher02');
    await page.locator('#login-password').fill(DEMO_PASSWORD);
    await screenshot(page, SUITE, '02-county-login');
    await page.getByRole('button', { name: '登入', exact: true }).click();
    await consentIfAsked(page, '03-county-consent');
    await consentIfAsked(page, '04-cloud-consent');

    await page.locator('#cloud-account').waitFor();
    expect(await page.locator('#cloud-account').textContent()).toContain('teacher02@mail.edu.tw');
    await screenshot(page, SUITE, '05-portal-signed-in');

    await page.getByRole('button', { name: '啟用 G Suite for Education' }).click();
    await screenshot(page, SUITE, '06-activating');
    await page.locator('#google-address').waitFor({ timeout: 30_000 });
    expect(await page.locator('#google-address').textContent()).toContain('teacher02@go.edu.tw');
    await screenshot(page, SUITE, '07-activated');

    await page.locator('#google-signin').click();
    await page.locator('#identifier').fill('teacher02@go.edu.tw');
    await screenshot(page, SUITE, '08-google-signin');
    await page.getByRole('button', { name: '繼續' }).click();

    // The cloud session is alive: the IdP answers at once and the browser posts back to Google.
    await page.locator('#signed-in').waitFor({ timeout: 30_000 });
    expect(new URL(page.url()).origin).toBe(new URL(demo.urls.google).origin);
    expect(await page.locator('#signed-in').textContent()).toContain(
      '已登入 Google Workspace：teacher02@go.edu.tw',
    );
    await screenshot(page, SUITE, '09-signed-in-to-google');
  });
});
