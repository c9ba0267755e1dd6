// Moves of the page walk that do not depend on the page's language: addresses, field ids and
// form actions rather than labels, so that one walk serves zh-TW and English.
import { sql } from 'kysely';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { SignedLinks } from '../../src/platform/security/signed-link.ts';
import type { TestDemo } from '../../src/platform/testing/demo-harness.ts';
import type { WalkReport } from './page-checks.ts';

/** Opens an address and checks the page it shows. */
export async function visit(page: Page, report: WalkReport, url: string, screen: string): Promise<void> {
  const response = await page.goto(url);
  expect(response?.status(), `${screen}: ${url}`).toBeLessThan(400);
  await report.check(page, screen);
}

/** Clicks what leads to another page and waits until that page has loaded. */
export async function clickAndLoad(page: Page, target: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('load'), target.click()]);
}

/** Submits the POST form whose action contains `action` with its (first) submit button. */
export async function submitForm(page: Page, action: string): Promise<void> {
  await clickAndLoad(page, page.locator(`form[method="post"][action*="${action}"] [type="submit"]`).first());
}

/** Signs in to a county portal's own login page. */
export async function signInToCounty(page: Page, demo: TestDemo, username: string, password: string) {
  await page.goto(`${demo.urls.county}/cyc/login`);
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-password').press('Enter');
  await page.waitForURL((url) => !url.pathname.endsWith('/login'));
}

/** Signs in to the education cloud's own login form with a cloud account's name and password. */
export async function signInToCloud(page: Page, demo: TestDemo, name: string, password: string) {
  await page.goto(`${demo.urls.cloud}/login`);
  await page.locator('#name').fill(name);
  await page.locator('#password').fill(password);
  await Promise.all([page.waitForEvent('load'), page.locator('#password').press('Enter')]);
}

/**
 * The activation portal's 登入 through the cloud, whose session answers: past its consent when
 * asked, to the signed-in page.
 */
export async function signInToPortal(page: Page, demo: TestDemo): Promise<void> {
  await page.goto(demo.urls.workspace);
  await clickAndLoad(page, page.locator('#cloud-login'));
  if ((await page.locator('form[action$="/consent"]').count()) > 0) {
    await clickAndLoad(page, page.locator('form[action$="/consent"] button[value="allow"]'));
  }
  await page.locator('#cloud-account').waitFor();
}

/**
 * Leaves a cloud account's activation in `state` with Google's answer `lastError`, as the
 * provisioning job leaves an address someone else holds (conflict) or a refusal (failed).
 */
export async function setActivation(
  demo: TestDemo,
  cloudUsername: string,
  state: 'conflict' | 'failed',
  lastError: string,
): Promise<void> {
  const workspace = demo.roles.get('workspace');
  if (!workspace) throw new Error('no workspace role');
  const { numAffectedRows } = await sql`update workspace_accounts
    set state = ${state}, last_error = ${lastError}, updated_at = now()
    where cloud_username = ${cloudUsername}`.execute(workspace.ctx.db);
  expect(numAffectedRows, `the activation of ${cloudUsername}`).toBe(1n);
}

/** The 登出 button of a county portal's header. */
export async function signOutOfCounty(page: Page): Promise<void> {
  await submitForm(page, '/cyc/logout');
}

/** The hrefs of the links on the page whose path starts with `prefix`, each once. */
export async function linksUnder(page: Page, prefix: string): Promise<string[]> {
  const hrefs = await page
    .locator('a[href]')
    .evaluateAll((as) => as.map((a) => (a as HTMLAnchorElement).href).filter((h) => h.startsWith('http')));
  return [...new Set(hrefs.filter((h) => new URL(h).pathname.startsWith(prefix)))];
}

/** What a provider publishes in its discovery document: its issuer and authorization endpoint. */
export async function discover(issuer: string): Promise<{ issuer: string; authorization_endpoint: string }> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  return (await response.json()) as { issuer: string; authorization_endpoint: string };
}

/**
 * A link of `purpose` signed as the role signs its mailed links, but expired a minute ago: what a
 * person meets who opens an old mail.
 */
export function expiredLink(demo: TestDemo, role: 'county' | 'cloud', purpose: string): Promise<string> {
  const running = demo.roles.get(role);
  if (!running) throw new Error(`no ${role} role`);
  const issuer = role === 'county' ? `${demo.urls.county}#county` : `${demo.urls.cloud}#links`;
  return new SignedLinks(running.ctx.secrets.secret, issuer).sign({ purpose, subject: 'someone' }, -60);
}

/** Opens an address that answers with an error page, and checks that page. */
export async function visitRefused(
  page: Page,
  report: WalkReport,
  url: string,
  screen: string,
  status: number,
): Promise<void> {
  const response = await page.goto(url);
  expect(response?.status(), `${screen}: ${url}`).toBe(status);
  await report.check(page, screen);
}
