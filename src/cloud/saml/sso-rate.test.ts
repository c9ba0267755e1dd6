import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { type CloudInstance, startCloudInstance } from '../testing/cloud-instance.ts';
import { ServiceProviders } from './registry.ts';

let cloud: CloudInstance;

beforeAll(async () => {
  const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
  cloud = await startCloudInstance(database, { samlSsoPerMinute: 5 });
  await new ServiceProviders(cloud.services.db).register({
    entityId: 'google.com/a/go.edu.tw',
    acsUrls: ['http://google.test/a/go.edu.tw/acs'],
  });
});
afterAll(async () => {
  await cloud?.close();
});

const samlRequest = (id: number) =>
  encodeURIComponent(
    deflateRawSync(
      `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${id}" Version="2.0" IssueInstant="${new Date().toISOString()}"><saml:Issuer>google.com/a/go.edu.tw</saml:Issuer></samlp:AuthnRequest>`,
    ).toString('base64'),
  );

const sso = (id: number, remoteAddress: string, lang = 'en') =>
  cloud.running.app.inject({
    method: 'GET',
    url: `/saml/sso?SAMLRequest=${samlRequest(id)}&lang=${lang}`,
    remoteAddress,
  });

describe('SAML SSO rate limit per client address', () => {
  it('answers an address over its budget with 429 and Retry-After, and others as before', async () => {
    for (let i = 0; i < 5; i++) expect((await sso(i, '192.0.2.10')).statusCode).toBe(303);
    const refused = await sso(5, '192.0.2.10');
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(12);
    expect(refused.body).toContain('Too many attempts');
    const zh = await sso(6, '192.0.2.10', 'zh-TW');
    expect(zh.statusCode).toBe(429);
    expect(zh.body).toContain('嘗試次數過多');
    expect((await sso(7, '192.0.2.11')).statusCode).toBe(303);
    // Both bindings share the budget.
    const post = await cloud.running.app.inject({
      method: 'POST',
      url: '/saml/sso',
      payload: { SAMLRequest: 'x' },
      remoteAddress: '192.0.2.10',
    });
    expect(post.statusCode).toBe(429);
  });
});
