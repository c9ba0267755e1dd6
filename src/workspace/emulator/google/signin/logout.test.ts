// Google's front-channel logout at the stand-in (`/accounts/Logout?continue=`): it ends Google's
// session and follows `continue` only to the hosts of the domains' SSO profiles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../../platform/config/load.ts';
import { createLogger } from '../../../../platform/observability/logger.ts';
import { bootRole, type RunningRole } from '../../../../platform/runtime/boot.ts';
import { loadSecrets } from '../../../../platform/runtime/secrets.ts';
import { embeddedTestDatabase } from '../../../../platform/testing/databases.ts';
import { OPEN_REDIRECT_BYPASSES } from '../../../../platform/testing/open-redirects.ts';
import { googleMigrations } from '../migrations.ts';
import { googleRole } from '../role.ts';
import type { GoogleTables } from '../schema.ts';

const IDP = 'https://cloud.example.edu.tw';
let running: RunningRole<GoogleTables>;

beforeAll(async () => {
  const config = loadConfig({}, { dataDir: '/nonexistent-edugate-test', logLevel: 'silent' });
  running = await bootRole(googleRole, {
    config,
    secrets: loadSecrets(config, false),
    log: createLogger('silent'),
    demo: false,
    startJobs: false,
    database: await embeddedTestDatabase.open(googleMigrations),
  });
  await running.ctx.db
    .insertInto('google_domains')
    .values({
      domain: 'go.example.edu.tw',
      idp_metadata_url: `${IDP}/saml/metadata`,
      idp_certificates: '[]',
      sign_out_url: `${IDP}/logout`,
    })
    .execute();
});
afterAll(async () => running?.close());

const logout = (path: string) => running.app.inject({ method: 'GET', url: path });

describe('the Google stand-in’s /accounts/Logout', () => {
  it('goes on to `continue` on the host of an SSO profile', async () => {
    const next = `${IDP}/signed-out`;
    for (const path of ['/accounts/Logout', '/Logout']) {
      const answer = await logout(`${path}?continue=${encodeURIComponent(next)}`);
      expect(answer.statusCode).toBe(303);
      expect(answer.headers.location).toBe(next);
    }
  });

  it('never to another host: Google’s home instead', async () => {
    for (const next of [
      'https://evil.example/',
      'https://cloud.example.edu.tw.evil.example/signed-out',
      'javascript:alert(1)',
      ...OPEN_REDIRECT_BYPASSES,
    ]) {
      const answer = await logout(`/accounts/Logout?continue=${encodeURIComponent(next)}`);
      expect(answer.statusCode, next).toBe(303);
      expect(answer.headers.location, next).toBe('/');
    }
  });
});
