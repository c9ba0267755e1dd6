// The how-to's section 三: the activation portal, 「啟用 G Suite for Education」, and the sign-in to
// Google (the local stand-in) that goes through the education cloud.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { TestDemo } from '../../src/platform/testing/demo-harness.ts';
import type { Shot } from './shots.ts';

/** The portal's home → 「使用教育雲帳號登入」: ends wherever the education cloud sends the browser. */
export async function openWorkspacePortal(page: Page, demo: TestDemo, shot: Shot): Promise<void> {
  await page.goto(demo.urls.workspace);
  await page.getByRole('heading', { level: 1, name: 'G Suite for Education 帳號啟用' }).waitFor();
  await shot(page, 'portal');
  await page.locator('#cloud-login').click();
}

/** Back at the portal, signed in: the page names the cloud account. */
export async function expectPortalSignedIn(page: Page, cloudEmail: string, shot: Shot): Promise<void> {
  await page.locator('#cloud-account').waitFor();
  expect(await page.locator('#cloud-account').textContent()).toContain(cloudEmail);
  await shot(page, 'portal-signed-in');
}

/**
 * 「啟用 G Suite for Education」, then the page (which refreshes itself while the account is
 * being created) until it shows the Google address.
 */
export async function activateGSuite(page: Page, googleEmail: string, shot: Shot): Promise<void> {
  expect(await page.textContent('main')).toContain(`將建立帳號 ${googleEmail}`);
  await page.getByRole('button', { name: '啟用 G Suite for Education' }).click();
  await shot(page, 'activating');
  await page.locator('#google-address').waitFor({ timeout: 30_000 });
  expect(await page.locator('#google-address').textContent()).toBe(
    `您的 G Suite for Education 帳號已啟用：${googleEmail}`,
  );
  await shot(page, 'activated');
}

/** On Google's sign-in page (「登入 / 使用您的 Google 帳戶」): types the address → 繼續. */
export async function typeGoogleAddress(page: Page, googleEmail: string, shot: Shot): Promise<void> {
  await page.getByRole('heading', { level: 1, name: '登入' }).waitFor();
  expect(await page.textContent('main')).toContain('使用您的 Google 帳戶');
  await page.getByLabel('電子郵件地址').fill(googleEmail);
  await shot(page, 'google-signin');
  await page.getByRole('button', { name: '繼續' }).click();
}

/** Back at Google, signed in as the `@go.edu.tw` address. */
export async function expectSignedInToGoogle(
  page: Page,
  demo: TestDemo,
  googleEmail: string,
  shot: Shot,
): Promise<void> {
  await page.locator('#signed-in').waitFor({ timeout: 30_000 });
  expect(new URL(page.url()).origin).toBe(new URL(demo.urls.google).origin);
  expect(await page.locator('#signed-in').textContent()).toBe(`已登入 Google Workspace：${googleEmail}`);
  await shot(page, 'signed-in-to-google');
}
