// The how-to's section 二 on the education cloud: the first login through a county account and
// the creation of the cloud account.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestDemo } from '../../src/platform/testing/demo-harness.ts';
import { ANSWER } from './page-checks.ts';
import type { Shot } from './shots.ts';

export interface CountyCredentials {
  /** The county as listed on the cloud's login page (嘉義縣, 臺南市, …). */
  county: string;
  username: string;
  password: string;
}

/** Clicks 同意授權 when a consent screen is showing; true when one was. */
export async function consentIfAsked(page: Page, shot: Shot, step: string): Promise<boolean> {
  const consent = page.getByRole('button', { name: '同意授權' });
  if (!(await consent.isVisible().catch(() => false))) return false;
  await shot(page, step);
  await consent.click();
  return true;
}

/** The cloud home → 登入: the login page with its 縣市帳號登入 list. */
export async function openCloudLogin(page: Page, demo: TestDemo, shot: Shot): Promise<void> {
  await page.goto(demo.urls.cloud);
  await shot(page, 'cloud-home');
  await page.getByRole('link', { name: '登入' }).first().click();
  expect(await page.getByRole('heading', { name: '縣市帳號登入' }).isVisible()).toBe(true);
  await shot(page, 'cloud-login');
}

/**
 * On the cloud's login page: the county → its login form (帳號/密碼, no @domain) → 登入, then
 * the county's consent screen when it asks. Returns whether the county asked for consent.
 */
export async function signInWithCounty(page: Page, who: CountyCredentials, shot: Shot): Promise<boolean> {
  await page.getByRole('link', { name: who.county }).click();
  await page.locator('#login-username').fill(who.username);
  await page.locator('#login-password').fill(who.password);
  await shot(page, 'county-login');
  await page.getByRole('button', { name: '登入', exact: true }).click();
  const consent = page.getByRole('button', { name: '同意授權' });
  if (!(await consent.isVisible().catch(() => false))) return false;
  const scopes = await page.locator('.consent-scopes li').allTextContents();
  expect(scopes).toEqual(expect.arrayContaining(['檢視您的網路認證資料', '檢視您的個人資料交換內容']));
  await shot(page, 'county-consent');
  await consent.click();
  return true;
}

/** 「很抱歉，您沒有教育雲端帳號！」 → 我要建立帳號！ → the suggested name, which is returned. */
export async function startCloudAccount(page: Page, realName: string, shot: Shot): Promise<string> {
  await page.getByRole('heading', { name: '很抱歉，您沒有教育雲端帳號！' }).waitFor();
  expect(await page.content()).toContain(`${realName}，您還沒有教育雲端帳號`);
  await shot(page, 'no-cloud-account');
  await page.getByRole('button', { name: '我要建立帳號！' }).click();

  await page.getByRole('heading', { name: '即將為您建立教育雲端帳號' }).waitFor();
  expect(await page.content()).toContain('@mail.edu.tw');
  await shot(page, 'suggested-name');
  return (await page.locator('#suggested-name').textContent()) ?? '';
}

/** After 「我不喜歡上面的帳號」: types a name, waits for 「可以使用」, 下一步. */
export async function chooseCloudName(page: Page, name: string, shot: Shot): Promise<void> {
  const field = page.locator('#name');
  // A suggested name fills the field and is checked at once.
  const suggestion = page.locator('.suggestions button').first();
  const suggested = await suggestion.getAttribute('data-name');
  if (suggested) {
    await suggestion.click();
    expect(await field.inputValue()).toBe(suggested);
    await expect
      .poll(() => page.locator('#name-status').textContent(), ANSWER)
      .toContain(`「${suggested}」可以使用`);
  }
  await field.fill('');
  await field.pressSequentially(name, { delay: 20 });
  await expect
    .poll(() => page.locator('#name-status').textContent(), ANSWER)
    .toContain(`「${name}」可以使用`);
  await shot(page, 'choose-name');
  await page.getByRole('button', { name: '下一步' }).click();
}

/**
 * 「申請教育雲端帳號」: password twice (and the optional backup email) → 建立新帳號 → the six
 * items of the consent → 同意授權 → 「您的教育雲帳號已啟用成功」 with `name@mail.edu.tw`.
 */
export async function finishCloudAccount(
  page: Page,
  account: { email: string; password: string; backupEmail?: string },
  shot: Shot,
): Promise<void> {
  await page.getByRole('heading', { name: '申請教育雲端帳號' }).waitFor();
  await page.getByLabel('請輸入您要的密碼').fill(account.password);
  await page.getByLabel('請再次輸入您要的密碼').fill(account.password);
  if (account.backupEmail) {
    await page.getByLabel('(若沒有可不填) 請輸入您的備用電子郵件').fill(account.backupEmail);
    await page.getByLabel('(若沒有可不填) 請再次輸入您的備用電子郵件').fill(account.backupEmail);
  }
  await shot(page, 'cloud-password');
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
  await shot(page, 'cloud-consent');
  await page.getByRole('button', { name: '同意授權' }).click();

  await page.getByRole('heading', { name: '您的教育雲帳號已啟用成功' }).waitFor();
  expect(await page.locator('#cloud-email').textContent()).toBe(account.email);
  await shot(page, 'cloud-account-ready');
}

/** On the cloud's login page: 教育雲端帳號 and 密碼 → 登入. */
export async function signInWithCloudAccount(
  page: Page,
  account: { name: string; password: string },
  shot: Shot,
): Promise<void> {
  await page.getByRole('heading', { name: '教育雲端帳號登入' }).waitFor();
  await page.getByRole('textbox', { name: '教育雲端帳號' }).fill(account.name);
  await page.getByLabel('密碼', { exact: true }).fill(account.password);
  await shot(page, 'cloud-account-login');
  await page.getByRole('button', { name: '登入', exact: true }).click();
}
