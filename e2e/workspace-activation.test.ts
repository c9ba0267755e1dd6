// How-to section 三: sign in at the activation portal with the education cloud, press
// 「啟用 G Suite for Education」, then sign in to Google (the local stand-in) as name@go.edu.tw:
// Google sends the browser to the education cloud's SAML IdP, which answers without a new login.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { launchBrowser } from '../src/platform/testing/browser.ts';
import { startTestDemo, type TestDemo } from '../src/platform/testing/demo-harness.ts';
import { consentIfAsked, signInWithCounty } from './steps/cloud.ts';
import { numberedShots } from './steps/shots.ts';
import {
  activateGSuite,
  expectPortalSignedIn,
  expectSignedInToGoogle,
  openWorkspacePortal,
  typeGoogleAddress,
} from './steps/workspace.ts';

const shot = numberedShots('workspace-activation');
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

describe('workspace activation, how-to section 三', () => {
  it('teacher02 activates G Suite and signs in to Google through the education cloud', async (context) => {
    if (!browser) return context.skip();
    const page = await browser.newPage({ locale: 'zh-TW' });
    await openWorkspacePortal(page, demo, shot);

    // The cloud login (county account of 臺南市, already linked to teacher02@mail.edu.tw).
    await signInWithCounty(page, { county: '臺南市', username: 'teacher02', password: DEMO_PASSWORD }, shot);
    await consentIfAsked(page, shot, 'cloud-consent');
    await expectPortalSignedIn(page, 'teacher02@mail.edu.tw', shot);
    await activateGSuite(page, 'teacher02@go.edu.tw', shot);

    // The cloud session is alive: the IdP answers at once and the browser posts back to Google.
    await page.locator('#google-signin').click();
    await typeGoogleAddress(page, 'teacher02@go.edu.tw', shot);
    await expectSignedInToGoogle(page, demo, 'teacher02@go.edu.tw', shot);
  });
});
