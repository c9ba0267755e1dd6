// How-to section 二: the first login to the education cloud through the county portal, creating
// the cloud account (with 「我不喜歡上面的帳號」), then later logins with the cloud account directly
// and through the (now linked) county account.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/demo/seed-data.ts';
import { launchBrowser, screenshot } from '../src/platform/testing/browser.ts';
import { startTestDemo, type TestDemo } from '../src/platform/testing/demo-harness.ts';

const SUITE = 'cloud-first-login';
const CLOUD_PASSWORD = 'Chiayi-cloud-2026';
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

async function countyLogin(page: Page, county: string, username: string, step: string) {
  await page.goto(demo.urls.cloud);
  await page.getByRole('link', { name: '登入' }).first().click();
  await page.getByRole('link', { name: county }).click();
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(DEMO_PASSWORD);
  await screenshot(page, SUITE, `${step}-county-login`);
  await page.getByRole('button', { name: '登入', exact: true }).click();
  const consent = page.getByRole('button', { name: '同意授權' });
  if (await consent.isVisible().catch(() => false)) {
    await screenshot(page, SUITE, `${step}-county-consent`);
    await consent.click();
  }
}

describe('education cloud, how-to section 二', () => {
  it('teacher01 logs in through 嘉義縣 for the first time and creates an account', async (context) => {
    if (!browser) return context.skip();
    const page = await browser.newPage({ locale: 'zh-TW' });
    await page.goto(demo.urls.cloud);
    await screenshot(page, SUITE, '01-cloud-home');
    await page.getByRole('link', { name: '登入' }).first().click();
    expect(await page.getByRole('heading', { name: '縣市帳號登入' }).isVisible()).toBe(true);
    await screenshot(page, SUITE, '02-login-page');

    await page.getByRole('link', { name: '嘉義縣' }).click();
    await page.locator('#login-username').fill('teacher01');
    await page.locator('#login-password').fill(DEMO_PASSWORD);
    await screenshot(page, SUITE, '03-county-login');
    await page.getByRole('button', { name: '登入', exact: true }).click();
    expect(await page.content()).toContain('檢視您的個人資料交換內容');
    await screenshot(page, SUITE, '04-county-consent');
    await page.getByRole('button', { name: '同意授權' }).click();

    await page.getByRole('heading', { name: '很抱歉，您沒有教育雲端帳號！' }).waitFor();
    expect(await page.content()).toContain('王小明，您還沒有教育雲端帳號');
    await screenshot(page, SUITE, '05-no-account');
    await page.getByRole('button', { name: '我要建立帳號！' }).click();

    await page.getByRole('heading', { name: '即將為您建立教育雲端帳號' }).waitFor();
    expect(await page.locator('#suggested-name').textContent()).toBe('teacher01');
    await screenshot(page, SUITE, '06-suggested-name');
    await page.getByRole('link', { name: '我不喜歡上面的帳號' }).click();

    const name = page.locator('#name');
    await name.pressSequentially('admin');
    await expect.poll(() => page.locator('#name-status').textContent()).toContain('保留給系統使用');
    await name.fill('');
    await name.pressSequentially('wang.xiaoming', { delay: 20 });
    await expect
      .poll(() => page.locator('#name-status').textContent())
      .toContain('「wang.xiaoming」可以使用');
    await screenshot(page, SUITE, '07-choose-name');
    await page.getByRole('button', { name: '下一步' }).click();

    await page.getByRole('heading', { name: '申請教育雲端帳號' }).waitFor();
    await page.getByLabel('請輸入您要的密碼').fill(CLOUD_PASSWORD);
    await page.getByLabel('請再次輸入您要的密碼').fill(CLOUD_PASSWORD);
    await page.getByLabel('(若沒有可不填) 請輸入您的備用電子郵件').fill('wang.backup@example.org');
    await page.getByLabel('(若沒有可不填) 請再次輸入您的備用電子郵件').fill('wang.backup@example.org');
    await screenshot(page, SUITE, '08-password');
    await page.getByRole('button', { name: '建立新帳號' }).click();

    const scopes = await page.locator('ol.scopes li').allTextContents();
    expect(scopes).toEqual([
      '檢視您的個人基本資料',
      '檢視您的電子郵件',
      '檢視您的網路認證資料',
      '檢視您的OpenID個人網址',
      '檢視您的任職或就學資料',
      '檢視您的客制化角色別',
    ]);
    await screenshot(page, SUITE, '09-consent');
    await page.getByRole('button', { name: '同意授權' }).click();

    await page.getByRole('heading', { name: '您的教育雲帳號已啟用成功' }).waitFor();
    expect(await page.locator('#cloud-email').textContent()).toBe('wang.xiaoming@mail.edu.tw');
    await screenshot(page, SUITE, '10-success');

    // The backup email is confirmed by the link in the mail.
    await expect
      .poll(() => demo.sink.list({ to: 'wang.backup@example.org' }).length, { timeout: 15_000 })
      .toBeGreaterThan(0);
    const mail = demo.sink.list({ to: 'wang.backup@example.org' })[0];
    const link = /https?:\/\/\S+backup-email\/verify\?token=\S+/.exec(mail?.text ?? '')?.[0] ?? '';
    await page.goto(link);
    expect(await page.content()).toContain('備用電子郵件已確認');
    await page.close();
  });

  it('logs in again with the cloud account directly (以後不用了)', async (context) => {
    if (!browser) return context.skip();
    const page = await (await browser.newContext({ locale: 'zh-TW' })).newPage();
    await page.goto(`${demo.urls.cloud}/login`);
    await page.getByRole('textbox', { name: '教育雲端帳號' }).fill('wang.xiaoming@mail.edu.tw');
    await page.getByLabel('密碼', { exact: true }).fill(CLOUD_PASSWORD);
    await page.getByRole('button', { name: '登入' }).click();
    expect(await page.locator('#cloud-email').textContent()).toBe('wang.xiaoming@mail.edu.tw');
    expect(await page.content()).toContain('嘉義縣：teacher01');
    await screenshot(page, SUITE, '11-returning-cloud-account');

    const teacher02 = await (await browser.newContext({ locale: 'zh-TW' })).newPage();
    await teacher02.goto(`${demo.urls.cloud}/login`);
    await teacher02.getByRole('textbox', { name: '教育雲端帳號' }).fill('teacher02');
    await teacher02.getByLabel('密碼', { exact: true }).fill(DEMO_PASSWORD);
    await teacher02.getByRole('button', { name: '登入' }).click();
    expect(await teacher02.locator('#cloud-email').textContent()).toBe('teacher02@mail.edu.tw');
  });

  it('logs in again through the linked county account', async (context) => {
    if (!browser) return context.skip();
    const page = await (await browser.newContext({ locale: 'zh-TW' })).newPage();
    await countyLogin(page, '嘉義縣', 'teacher01', '12');
    await page.locator('#cloud-email').waitFor();
    expect(await page.locator('#cloud-email').textContent()).toBe('wang.xiaoming@mail.edu.tw');
    await screenshot(page, SUITE, '13-returning-county');

    const teacher02 = await (await browser.newContext({ locale: 'zh-TW' })).newPage();
    await countyLogin(teacher02, '臺南市', 'teacher02', '14');
    await teacher02.locator('#cloud-email').waitFor();
    expect(await teacher02.locator('#cloud-email').textContent()).toBe('teacher02@mail.edu.tw');
  });
});
