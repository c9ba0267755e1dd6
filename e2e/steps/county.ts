// The how-to's section 一 on the 嘉義縣 portal, step by step as a teacher does it.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { parseNationalId } from '../../src/identity/index.ts';
import { DEMO_COUNTY_ACCOUNTS, DEMO_PASSWORD } from '../../src/platform/federation/seed-data.ts';
import type { TestDemo } from '../../src/platform/testing/demo-harness.ts';
import { clickMailLink, openMail } from './mailbox.ts';
import type { Shot } from './shots.ts';

export const PORTAL = '嘉義縣教師資訊應用服務入口';

export interface School {
  /** What the teacher types in the school search of step 4. */
  search: string;
  name: string;
  mailbox: string;
}

export const PUZI_JUNIOR_HIGH: School = {
  search: '朴子',
  name: '朴子國民中學',
  mailbox: 'pzjh@mail.cyc.edu.tw',
};

export interface Applicant {
  username: string;
  password: string;
  email: string;
  school: School;
}

/** A valid national ID of `prefix` and a check digit that holds, which no demo account uses. */
export function freshNationalId(prefix: string): string {
  const taken = new Set(DEMO_COUNTY_ACCOUNTS.map((a) => a.nationalId));
  for (let digit = 0; digit <= 9; digit += 1) {
    const candidate = `${prefix}${digit}`;
    if (parseNationalId(candidate).ok && !taken.has(candidate)) return candidate;
  }
  throw new Error(`no valid national ID begins with ${prefix}`);
}

/** The portal home → 註冊 → the terms → 「我要申請本站帳號」: ends on step 1 of the form. */
export async function openRegistration(page: Page, demo: TestDemo, shot: Shot): Promise<void> {
  await page.goto(`${demo.urls.county}/cyc`);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toContain(`${PORTAL} 首頁`);
  const home = await page.textContent('body');
  expect(home).toContain('請注意：不要用身分證字號作為帳號');
  expect(home).toContain('系統管理員 - 本站公告 | 2013-11-29 15:55:28');
  await shot(page, 'home');

  await page.getByRole('link', { name: '註冊' }).first().click();
  expect(await page.textContent('main')).toContain('本系統使用者每人限註冊一組帳號');
  await shot(page, 'terms');
  await page.getByRole('button', { name: /我要申請本站帳號/ }).click();
  await page.getByRole('heading', { name: '歡迎註冊' }).waitFor();
  expect(await page.textContent('main')).toContain('◎步驟一：輸入個人帳號及密碼');
}

/** Steps 1–4 of the form (step 4 by typing the school's official mailbox), then 送出申請. */
export async function fillRegistration(
  page: Page,
  applicant: Applicant,
  shot: Shot,
  options: { pickSchoolBySearch?: boolean } = {},
): Promise<void> {
  await page.getByLabel(/帳號名稱/).fill(applicant.username);
  await page.getByLabel(/^密碼/).fill(applicant.password);
  await page.getByLabel(/確認密碼/).fill(applicant.password);
  await shot(page, 'step1');
  await page.getByRole('button', { name: '下一步' }).click();

  await page.getByRole('heading', { name: '◎步驟二：輸入個人電子郵件' }).waitFor();
  await page.getByLabel(/個人Email/).fill(applicant.email);
  await shot(page, 'step2');
  await page.getByRole('button', { name: '下一步' }).click();

  await page.getByRole('heading', { name: '◎步驟三：詳閱並同意接受以下服務條款' }).waitFor();
  await page.getByLabel('我接受以上條款').check();
  await shot(page, 'step3');
  await page.getByRole('button', { name: '下一步' }).click();

  await page.getByRole('heading', { name: '◎步驟四：填寫所屬學校(服務單位)公務信箱' }).waitFor();
  if (options.pickSchoolBySearch) {
    await page.getByLabel('搜尋學校名稱或代碼').fill(applicant.school.search);
    await page.getByRole('button', { name: '搜尋' }).click();
    await page.getByRole('link', { name: new RegExp(applicant.school.name) }).click();
    expect(await page.inputValue('#f-mailbox')).toBe(applicant.school.mailbox);
  } else {
    await page.getByLabel(/審核單位公務信箱/).fill(applicant.school.mailbox);
  }
  await shot(page, 'step4');
  await page.getByRole('button', { name: '送出申請' }).click();

  await page.getByRole('heading', { name: '申請已送出' }).waitFor();
  const done = await page.textContent('main');
  expect(done).toContain(applicant.email);
  expect(done).toContain(applicant.school.name);
  await shot(page, 'submitted');
}

/** The verification mail in the demo mailbox → its link → 確認我的電子郵件. */
export async function verifyEmail(page: Page, demo: TestDemo, applicant: Applicant, shot: Shot) {
  await openMail(page, demo, { to: applicant.email, subject: '請驗證您的電子郵件' }, shot, 'mail-verify');
  await clickMailLink(page, '/register/verify');
  await page.getByRole('button', { name: '確認我的電子郵件' }).click();
  expect(await page.textContent('main')).toContain(applicant.school.mailbox);
  await shot(page, 'verified');
}

/** The school's reviewer opens the mail sent to the official mailbox and approves the account. */
export async function approveBySchool(page: Page, demo: TestDemo, applicant: Applicant, shot: Shot) {
  const { mailbox } = applicant.school;
  await openMail(page, demo, { to: mailbox, subject: applicant.username }, shot, 'mail-review');
  await clickMailLink(page, 'decision=approve');
  expect(await page.textContent('main')).toContain(applicant.email);
  await shot(page, 'review');
  await page.getByRole('button', { name: '核准' }).click();
  expect(await page.textContent('main')).toContain('已核准');
  await shot(page, 'approved');
}

/** Registers, verifies and is approved by the school: a new account, its profile still empty. */
export async function registerAndApprove(page: Page, demo: TestDemo, applicant: Applicant, shot: Shot) {
  await openRegistration(page, demo, shot);
  await fillRegistration(page, applicant, shot);
  await verifyEmail(page, demo, applicant, shot);
  await approveBySchool(page, demo, applicant, shot);
}

/**
 * The approval mail → its sign-in link → 帳號/密碼 → 登入: a new account lands on
 * 「OpenID認證資料檢核」 with the three items the how-to shows.
 */
export async function signInAfterApproval(page: Page, demo: TestDemo, applicant: Applicant, shot: Shot) {
  await openMail(page, demo, { to: applicant.email, subject: '已核准' }, shot, 'mail-approved');
  await clickMailLink(page, '/login');
  await page.getByLabel('帳號：').fill(applicant.username);
  await page.getByLabel('密碼：').fill(applicant.password);
  await shot(page, 'login');
  await page.getByRole('button', { name: '登入' }).click();
  await page.waitForURL(/\/cyc\/profile\/check$/);
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('嘉義縣教師OpenID認證資料檢核');
  const check = await page.textContent('main');
  expect(check).toContain('您尚未登錄姓名資料，以OpenID報名研習活動時將無法正確識別！');
  expect(check).toContain('您尚未登錄身分證號，無法使用OpenID認證(包含教育部教育雲服務)！');
  expect(check).toContain('服務單位資料檢查中.....');
  expect(check).toContain(`您目前的服務單位是【${applicant.school.name}】，是否正確？`);
  await shot(page, 'profile-check');
}

/** 編輯帳號資料 → 真實姓名 → 儲存. */
export async function enterRealName(page: Page, realName: string, shot: Shot): Promise<void> {
  await page.getByRole('link', { name: '編輯帳號資料' }).click();
  await page.getByLabel(/真實姓名/).fill(realName);
  await shot(page, 'name');
  await page.getByRole('button', { name: '儲存' }).click();
  await page.waitForURL(/\/profile\/check$/);
}

/** On the form behind 「登錄身分證號」: types the number and saves it; it waits for the school. */
export async function enterNationalId(page: Page, nationalId: string, shot: Shot): Promise<void> {
  await page.getByLabel(/身分證號/).fill(nationalId);
  await shot(page, 'national-id');
  await page.getByRole('button', { name: '儲存' }).click();
  await page.waitForURL(/\/profile\/check$/);
  expect(await page.textContent('main')).toContain(
    `身分證號 ${nationalId.slice(0, 2)}******${nationalId.slice(-2)} 已送出`,
  );
}

/**
 * The school's reviewer, on another computer: the mail to the official mailbox → its console link →
 * signs in as `rv-…` → 「證件相符，登錄」 after checking the teacher's document.
 */
export async function reviewerConfirmsNationalId(
  page: Page,
  demo: TestDemo,
  applicant: Applicant,
  shot: Shot,
): Promise<void> {
  const browser = page.context().browser();
  if (!browser) throw new Error('no browser');
  const office = await browser.newContext({ locale: 'zh-TW' });
  try {
    const reviewer = await office.newPage();
    const { mailbox } = applicant.school;
    const subject = `${applicant.username} 的身分證號待確認`;
    await openMail(reviewer, demo, { to: mailbox, subject }, shot, 'mail-national-id');
    await clickMailLink(reviewer, '/review');
    await reviewer.getByLabel('帳號：').fill(`rv-${mailbox.split('@')[0]}`);
    await reviewer.getByLabel('密碼：').fill(DEMO_PASSWORD);
    await reviewer.getByRole('button', { name: '登入' }).click();
    await reviewer.getByRole('heading', { name: '身分證號待確認' }).waitFor();
    expect(await reviewer.textContent('main')).toContain(applicant.username);
    await shot(reviewer, 'review-national-id');
    await reviewer.getByRole('button', { name: '證件相符，登錄' }).click();
    await reviewer.getByText('目前沒有待確認的身分證號。').waitFor();
  } finally {
    await office.close();
  }
}

/** 確認資料正確: the profile is complete, the national ID shown masked only. */
export async function confirmSchool(page: Page, nationalId: string, shot: Shot): Promise<void> {
  await page.getByRole('button', { name: '確認資料正確' }).click();
  const done = await page.textContent('main');
  expect(done).toContain('您的基本資料已完整');
  expect(done).toContain(`${nationalId.slice(0, 2)}******${nationalId.slice(-2)}`);
  expect(done).not.toContain(nationalId);
  await shot(page, 'profile-complete');
}

/** 登出: 「您已登出」 names the portal; 重新登入 shows the login box again. */
export async function signOutOfPortal(page: Page): Promise<void> {
  await page.getByRole('button', { name: '登出' }).click();
  await page.getByRole('heading', { name: '您已登出' }).waitFor();
  expect(await page.locator('#signed-out-services').textContent()).toContain(PORTAL);
  await page.getByRole('link', { name: '重新登入' }).click();
  await page.getByRole('heading', { name: '使用者登入' }).waitFor();
}
