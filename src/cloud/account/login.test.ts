import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { OPEN_REDIRECT_BYPASSES } from '../../platform/testing/open-redirects.ts';
import { type CloudInstance, startCloudInstance } from '../testing/cloud-instance.ts';
import { CookieBrowser } from '../testing/cookie-browser.ts';

const PASSWORD = 'Return-to-test-2026';

let cloud: CloudInstance;

beforeAll(async () => {
  const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
  cloud = await startCloudInstance(database);
  await cloud.services.accounts.create({
    name: 'returner',
    displayName: '回程測試',
    familyName: '回',
    givenName: '程測試',
    passwordHash: await cloud.services.hasher.hash(PASSWORD),
  });
}, 60_000);

afterAll(async () => {
  await cloud?.close();
});

describe('the cloud login returns only to a path of the cloud (return_to)', () => {
  it('sends every other address to the account page, before and after signing in', async () => {
    const browser = new CookieBrowser();
    const page = await browser.request(
      `${cloud.url}/login?return_to=${encodeURIComponent('/x/..//evil.example')}`,
    );
    const text = await page.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1] ?? '';
    expect(text).toContain('name="return_to" value="/account"');
    const signedIn = await browser.request(`${cloud.url}/login`, {
      form: { _csrf: csrf, name: 'returner', password: PASSWORD, return_to: '/x/..//evil.example' },
    });
    expect([signedIn.status, signedIn.headers.get('location')]).toEqual([303, '/account']);
    for (const value of OPEN_REDIRECT_BYPASSES) {
      const again = await browser.request(`${cloud.url}/login?return_to=${encodeURIComponent(value)}`);
      expect([value, again.status, again.headers.get('location')]).toEqual([value, 303, '/account']);
    }
    const local = await browser.request(
      `${cloud.url}/login?return_to=${encodeURIComponent('/account?tab=roles')}`,
    );
    expect(local.headers.get('location')).toBe('/account?tab=roles');
  });
});
