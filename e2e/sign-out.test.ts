// Sign-out on a shared school computer: teacher A signs in at the county portal, the education
// cloud, the activation portal and Google, then signs out at one of them (the cloud, the county
// portal, Google); teacher B, at the same browser, is asked for a password everywhere, Google's
// stand-in included (the cloud's sign-out goes through Google's front-channel logout).
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { consentIfAsked } from './steps/cloud.ts';
import { numberedShots } from './steps/shots.ts';
import { DemoStack } from './steps/stack.ts';
import {
  activateGSuite,
  expectPortalSignedIn,
  expectSignedInToGoogle,
  openWorkspacePortal,
  typeGoogleAddress,
} from './steps/workspace.ts';

const shot = numberedShots('sign-out');
const PORTAL = '臺南市教師資訊應用服務入口';
const A = { username: 'teacher02', cloudEmail: 'teacher02@mail.edu.tw', googleEmail: 'teacher02@go.edu.tw' };

// Starting every role takes a while on a busy machine.
const stack = await DemoStack.forFile(400_000);

/** Teacher A at the county portal, then the activation portal (through the cloud and the county), then Google. */
async function signInEverywhere(page: Page, firstTime: boolean): Promise<void> {
  await page.goto(`${stack.demo.urls.county}/tn/login`);
  await page.locator('#login-username').fill(A.username);
  await page.locator('#login-password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: '登入', exact: true }).click();
  await page.getByRole('button', { name: '登出' }).waitFor();
  await shot(page, 'county-signed-in');

  await openWorkspacePortal(page, stack.demo, shot);
  // The cloud asks how to sign in; the county portal's session answers without a password.
  await page.getByRole('link', { name: '臺南市' }).click();
  await consentIfAsked(page, shot, 'county-consent');
  await consentIfAsked(page, shot, 'cloud-consent');
  await expectPortalSignedIn(page, A.cloudEmail, shot);
  if (firstTime) await activateGSuite(page, A.googleEmail, shot);

  if (firstTime) {
    await page.locator('#google-signin').click();
  } else {
    await page.goto(`${stack.demo.urls.google}/`);
  }
  await typeGoogleAddress(page, A.googleEmail, shot);
  await expectSignedInToGoogle(page, stack.demo, A.googleEmail, shot);
}

/** The education cloud's login page: a password (cloud account, or a county account). */
async function expectCloudLogin(page: Page): Promise<void> {
  await page.getByRole('heading', { name: '教育雲端帳號登入' }).waitFor();
  expect(new URL(page.url()).origin).toBe(new URL(stack.demo.urls.cloud).origin);
  expect(await page.locator('#password').isVisible()).toBe(true);
}

/** Teacher B at the same browser: every service of the chain asks for a password. */
async function expectPasswordEverywhere(page: Page, step: string): Promise<void> {
  // The county portal: its account page sends to the login form.
  await page.goto(`${stack.demo.urls.county}/tn/account`);
  await page.locator('#login-password').waitFor();
  expect(await page.getByRole('button', { name: '登出' }).count()).toBe(0);
  await shot(page, `${step}-county`);

  // The cloud: not signed in; 縣市帳號登入 asks the county for a password.
  await page.goto(`${stack.demo.urls.cloud}/account`);
  await expectCloudLogin(page);
  await page.getByRole('link', { name: '臺南市' }).click();
  await page.locator('#login-password').waitFor();
  expect(new URL(page.url()).origin).toBe(new URL(stack.demo.urls.county).origin);
  await shot(page, `${step}-cloud-county-login`);

  // The activation portal: signed out; its login goes to the cloud, which asks for a password.
  await page.goto(stack.demo.urls.workspace);
  await page.locator('#cloud-login').waitFor();
  expect(await page.locator('#cloud-account').count()).toBe(0);
  await page.locator('#cloud-login').click();
  await expectCloudLogin(page);
  await shot(page, `${step}-workspace`);

  // Google: its sign-in page; the address goes to the cloud, which asks for a password.
  await page.goto(`${stack.demo.urls.google}/`);
  expect(await page.locator('#signed-in').count()).toBe(0);
  await typeGoogleAddress(page, A.googleEmail, shot);
  await expectCloudLogin(page);
  await shot(page, `${step}-google`);
}

describe.skipIf(!stack.browser)('sign-out on a shared computer', () => {
  it('signing out at the cloud, the county portal, Google or the activation portal signs out of the whole chain', async () => {
    const page = await stack.newPage('zh-TW');
    // Every role runs on this machine, which may be busy.
    page.setDefaultTimeout(90_000);

    // 1. Sign-out at the education cloud (then, as 「您已登出」 advises, at Google).
    await signInEverywhere(page, true);
    await page.goto(stack.demo.urls.cloud);
    await page.getByRole('button', { name: '登出' }).click();
    await page.getByRole('heading', { name: '您已登出' }).waitFor();
    const cloudReport = (await page.locator('#signed-out-services').textContent()) ?? '';
    expect(cloudReport).toContain('教育雲');
    expect(cloudReport).toContain('G Suite for Education 啟用入口');
    expect(cloudReport).toContain('臺南市');
    // Google's session ended on the way (its front-channel logout, then back to the cloud).
    expect(cloudReport).toContain('Google 帳號');
    expect(new URL(page.url()).origin).toBe(new URL(stack.demo.urls.cloud).origin);
    await shot(page, 'signed-out-at-cloud');
    await expectPasswordEverywhere(page, 'after-cloud');

    // 2. Sign-out at the county portal: the cloud and the activation portal follow (back-channel).
    await signInEverywhere(page, false);
    await page.goto(`${stack.demo.urls.county}/tn`);
    await page.getByRole('button', { name: '登出' }).click();
    await page.getByRole('heading', { name: '您已登出' }).waitFor();
    const countyReport = (await page.locator('#signed-out-services').textContent()) ?? '';
    expect(countyReport).toContain(PORTAL);
    expect(countyReport).toContain('教育雲端帳號');
    // The page is the county's, after a detour through the cloud's sign-out URL and Google's logout.
    expect(new URL(page.url()).origin).toBe(new URL(stack.demo.urls.county).origin);
    await shot(page, 'signed-out-at-county');
    await expectPasswordEverywhere(page, 'after-county');

    // 3. Sign-out at Google: the SSO profile's sign-out URL signs out of the cloud and the county.
    await page.goto(`${stack.demo.urls.county}/tn/login`);
    await page.locator('#login-username').fill(A.username);
    await page.locator('#login-password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登入', exact: true }).click();
    await page.getByRole('button', { name: '登出' }).waitFor();
    await openWorkspacePortal(page, stack.demo, shot);
    await page.getByRole('link', { name: '臺南市' }).click();
    await consentIfAsked(page, shot, 'cloud-consent');
    await expectPortalSignedIn(page, A.cloudEmail, shot);
    await page.goto(`${stack.demo.urls.google}/`);
    await typeGoogleAddress(page, A.googleEmail, shot);
    await expectSignedInToGoogle(page, stack.demo, A.googleEmail, shot);
    await page.goto(`${stack.demo.urls.google}/`);
    await page.getByRole('button', { name: '登出' }).click();
    await page.getByRole('heading', { name: '您已登出' }).waitFor();
    expect(new URL(page.url()).origin).toBe(new URL(stack.demo.urls.cloud).origin);
    const googleReport = (await page.locator('#signed-out-services').textContent()) ?? '';
    expect(googleReport).toContain('G Suite for Education 啟用入口');
    expect(googleReport).toContain('臺南市');
    await shot(page, 'signed-out-at-google');
    await expectPasswordEverywhere(page, 'after-google');

    // 4. Sign-out at the activation portal: it goes on to the cloud's sign-out, which ends the rest.
    await signInEverywhere(page, false);
    await page.goto(stack.demo.urls.workspace);
    await page.getByRole('button', { name: '登出' }).click();
    await page.getByRole('heading', { name: '您已登出' }).waitFor();
    const portalReport = (await page.locator('#signed-out-services').textContent()) ?? '';
    expect(portalReport).toContain('G Suite for Education 啟用入口');
    expect(portalReport).toContain('臺南市');
    expect(portalReport).toContain('Google 帳號');
    await shot(page, 'signed-out-at-workspace');
    await expectPasswordEverywhere(page, 'after-workspace');
  }, 600_000);
});
