// How-to section 三: sign in at the activation portal with the education cloud, press
// 「啟用 G Suite for Education」, then sign in to Google (the local stand-in) as name@go.edu.tw:
// Google sends the browser to the education cloud's SAML IdP, which answers without a new login.
import { describe, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { consentIfAsked, signInWithCounty } from './steps/cloud.ts';
import { numberedShots } from './steps/shots.ts';
import { DemoStack } from './steps/stack.ts';
import * as workspace from './steps/workspace.ts';

const shot = numberedShots('workspace-activation');
const stack = await DemoStack.forFile();

describe.skipIf(!stack.browser)('workspace activation, how-to section 三', () => {
  it('teacher02 activates G Suite and signs in to Google through the education cloud', async () => {
    const { demo } = stack;
    const page = await stack.newPage('zh-TW');
    await workspace.openWorkspacePortal(page, demo, shot);

    // The cloud login (county account of 臺南市, already linked to teacher02@mail.edu.tw).
    await signInWithCounty(page, { county: '臺南市', username: 'teacher02', password: DEMO_PASSWORD }, shot);
    await consentIfAsked(page, shot, 'cloud-consent');
    await workspace.expectPortalSignedIn(page, 'teacher02@mail.edu.tw', shot);
    await workspace.activateGSuite(page, 'teacher02@go.edu.tw', shot);

    // The cloud session is alive: the IdP answers at once and the browser posts back to Google.
    await page.locator('#google-signin').click();
    await workspace.typeGoogleAddress(page, 'teacher02@go.edu.tw', shot);
    await workspace.expectSignedInToGoogle(page, demo, 'teacher02@go.edu.tw', shot);
  });
});
