// The login's proof of work in a real browser: with the challenge always asked, a teacher only
// types the username and password; the page's script does the work and the form goes through.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountyTestApp, startCountyTestApp } from '../src/county/testing.ts';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { launchBrowser, screenshot } from '../src/platform/testing/browser.ts';
import { embeddedTestDatabase } from '../src/platform/testing/databases.ts';

let browser: Browser | undefined;
let county: CountyTestApp;
let origin: string;

beforeAll(async () => {
  browser = await launchBrowser();
  if (!browser) return;
  county = await startCountyTestApp(embeddedTestDatabase, { captcha: 'always' }, { listen: true });
  const address = county.app.server.address();
  origin = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await county?.close();
});

describe('the login challenge in Chromium', () => {
  it('is solved by the page itself, says what happens, and lets the teacher in', async () => {
    if (!browser) return;
    const page = await (await browser.newContext({ locale: 'zh-TW' })).newPage();
    await page.goto(`${origin}/cyc/login`);
    await expect(page.locator('legend', { hasText: '確認您不是自動程式' }).count()).resolves.toBe(1);
    // The status line tells what happens (and screen readers announce it).
    await page.locator('[data-pow-solved="true"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('.pow-status').textContent()).toBe('驗證完成，可以登入了。');
    await screenshot(page, 'proof-of-work', 'solved');
    await page.reload();
    await page.fill('#login-username', 'teacher01');
    await page.fill('#login-password', DEMO_PASSWORD);
    // Submitted at once: the script holds the form until the work is done, then sends it.
    await page.click('button[type="submit"]');
    await page.waitForURL(/\/cyc\/(account|profile\/check)/, { timeout: 60_000 });
    await screenshot(page, 'proof-of-work', 'signed-in');
    expect(await page.content()).toContain('王小明');
  }, 120_000);
});
