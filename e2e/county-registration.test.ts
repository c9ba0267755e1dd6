// The how-to's section 一 in a real browser: register on the county portal, verify the email and
// approve through the demo mailbox, sign in and complete the profile check.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot } from '../src/platform/testing/browser.ts';
import { startTestDemo, type TestDemo } from '../src/platform/testing/demo-harness.ts';

const SUITE = 'county-registration';
const USERNAME = 'wang.meiling';
const PASSWORD = 'plum blossom 2026';
const EMAIL = 'meiling@example.org';

const browser: Browser | undefined = await launchBrowser();

describe.skipIf(!browser)('county portal: how-to section 一 in Chromium', () => {
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

  /** Opens the newest mail to `to` in the demo mailbox and returns the link that contains `part`. */
  async function linkFromMailbox(
    to: string,
    subjectPart: string,
    linkPart: string,
    step: string,
  ): Promise<string> {
    await demo.sink.waitFor((m) => m.to.includes(to) && m.subject.includes(subjectPart), 15_000);
    await page.goto(`${demo.urls.landing}/mailbox?to=${encodeURIComponent(to)}`);
    await page
      .getByRole('link', { name: new RegExp(subjectPart) })
      .first()
      .click();
    await screenshot(page, SUITE, step);
    const href = await page.locator(`pre.mail-body a[href*="${linkPart}"]`).first().getAttribute('href');
    expect(href).toBeTruthy();
    return href as string;
  }

  it('registers, verifies, gets approved by the school, signs in and completes the profile', async () => {
    await page.goto(`${demo.urls.county}/cyc`);
    await expect(page.getByRole('heading', { level: 1 })).toBeTruthy();
    expect(await page.textContent('body')).toContain('系統管理員 - 本站公告 | 2013-11-29 15:55:28');
    await screenshot(page, SUITE, '01-home');

    await page.getByRole('link', { name: '註冊' }).first().click();
    expect(await page.textContent('main')).toContain('本系統使用者每人限註冊一組帳號');
    await screenshot(page, SUITE, '02-terms');
    await page.getByRole('button', { name: /我要申請本站帳號/ }).click();

    // Step 1, first with a national ID as username: refused at the field, the value kept.
    await page.getByLabel(/帳號名稱/).fill('A123456789');
    await page.getByLabel(/^密碼/).fill(PASSWORD);
    await page.getByLabel(/確認密碼/).fill(PASSWORD);
    await page.getByRole('button', { name: '下一步' }).click();
    expect(await page.textContent('#f-username-error')).toContain('請不要用身分證字號');
    expect(await page.inputValue('#f-username')).toBe('A123456789');
    expect(await page.inputValue('#f-password')).toBe('');
    await screenshot(page, SUITE, '03-step1-error');
    await page.getByLabel(/帳號名稱/).fill(USERNAME);
    await page.getByLabel(/^密碼/).fill(PASSWORD);
    await page.getByLabel(/確認密碼/).fill(PASSWORD);
    await screenshot(page, SUITE, '04-step1');
    await page.getByRole('button', { name: '下一步' }).click();

    await page.getByLabel(/個人Email/).fill(EMAIL);
    await screenshot(page, SUITE, '05-step2');
    await page.getByRole('button', { name: '下一步' }).click();

    await page.getByLabel('我接受以上條款').check();
    await screenshot(page, SUITE, '06-step3');
    await page.getByRole('button', { name: '下一步' }).click();

    await page.getByLabel('搜尋學校名稱或代碼').fill('朴子');
    await page.getByRole('button', { name: '搜尋' }).click();
    await page.getByRole('link', { name: /朴子國民中學/ }).click();
    expect(await page.inputValue('#f-mailbox')).toBe('pzjh@mail.cyc.edu.tw');
    await screenshot(page, SUITE, '07-step4');
    await page.getByRole('button', { name: '送出申請' }).click();
    expect(await page.textContent('main')).toContain(EMAIL);
    await screenshot(page, SUITE, '08-submitted');

    const verify = await linkFromMailbox(EMAIL, '驗證', '/register/verify', '09-mail-verify');
    await page.goto(verify);
    await page.getByRole('button', { name: '確認我的電子郵件' }).click();
    expect(await page.textContent('main')).toContain('pzjh@mail.cyc.edu.tw');
    await screenshot(page, SUITE, '10-verified');

    const approve = await linkFromMailbox(
      'pzjh@mail.cyc.edu.tw',
      USERNAME,
      'decision=approve',
      '11-mail-review',
    );
    await page.goto(approve);
    expect(await page.textContent('main')).toContain(EMAIL);
    await screenshot(page, SUITE, '12-review');
    await page.getByRole('button', { name: '核准' }).click();
    expect(await page.textContent('main')).toContain('已核准');
    await screenshot(page, SUITE, '13-approved');
    await linkFromMailbox(EMAIL, '已核准', '/login', '14-mail-approved');

    await page.goto(`${demo.urls.county}/cyc/login`);
    await page.getByLabel('帳號：').fill(USERNAME);
    await page.getByLabel('密碼：').fill(PASSWORD);
    await screenshot(page, SUITE, '15-login');
    await page.getByRole('button', { name: '登入' }).click();
    await page.waitForURL(/\/cyc\/profile\/check$/);
    const check = await page.textContent('main');
    expect(check).toContain('您尚未登錄姓名資料');
    expect(check).toContain('您尚未登錄身分證號');
    expect(check).toContain('您目前的服務單位是【朴子國民中學】，是否正確？');
    await screenshot(page, SUITE, '16-profile-check');

    await page.getByRole('link', { name: '編輯帳號資料' }).click();
    await page.getByLabel(/真實姓名/).fill('王美玲');
    await screenshot(page, SUITE, '17-name');
    await page.getByRole('button', { name: '儲存' }).click();

    await page.getByRole('link', { name: '登錄身分證號' }).click();
    await page.getByLabel(/身分證號/).fill('A123456788');
    await page.getByRole('button', { name: '儲存' }).click();
    expect(await page.textContent('#f-national_id-error')).toContain('檢查碼不正確');
    await page.getByLabel(/身分證號/).fill('A123456789');
    await screenshot(page, SUITE, '18-national-id');
    await page.getByRole('button', { name: '儲存' }).click();

    await page.getByRole('button', { name: '確認資料正確' }).click();
    const done = await page.textContent('main');
    expect(done).toContain('您的基本資料已完整');
    expect(done).toContain('A1******89');
    expect(done).not.toContain('A123456789');
    await screenshot(page, SUITE, '19-complete');
  });
});
