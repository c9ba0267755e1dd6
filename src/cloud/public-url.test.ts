import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformTables } from '../platform/database/platform-schema.ts';
import { embeddedTestDatabase } from '../platform/testing/databases.ts';
import { type CloudInstance, startCloudInstance } from './testing/cloud-instance.ts';

// Discovery, the SAML metadata and every URL in them come from the configured public URL. A request
// with a forged Host (or forged forwarding headers) must not make the cloud publish an attacker's
// host as its token or authorization endpoint.

const FORGED = { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' };

describe('the education cloud names itself by its configured URL', () => {
  let cloud: CloudInstance;
  beforeAll(async () => {
    cloud = await startCloudInstance(await embeddedTestDatabase.open<PlatformTables>());
  });
  afterAll(async () => cloud?.close());

  it('publishes discovery with its own URLs whatever Host the request names', async () => {
    const response = await cloud.running.app.inject({
      url: '/.well-known/openid-configuration',
      headers: FORGED,
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('evil.example');
    const discovery = response.json() as Record<string, unknown>;
    expect(discovery.issuer).toBe(cloud.url);
    const endpoints = Object.entries(discovery).filter(
      ([key]) => key.endsWith('_endpoint') || key === 'jwks_uri',
    );
    expect(endpoints.length).toBeGreaterThan(3);
    for (const [, value] of endpoints) expect(String(value).startsWith(`${cloud.url}/`)).toBe(true);
  });

  it('publishes discovery with its own URLs over HTTP too', async () => {
    // fetch() will not send a Host of our choosing; node:http will.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = get(
        `${cloud.url}/.well-known/openid-configuration`,
        { headers: FORGED },
        (response) => {
          let body = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            body += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
        },
      );
      request.on('error', reject);
    });
    expect(status).toBe(200);
    expect(body).not.toContain('evil.example');
    expect((JSON.parse(body) as { token_endpoint: string }).token_endpoint.startsWith(`${cloud.url}/`)).toBe(
      true,
    );
  });

  it('publishes SAML metadata with its own URLs whatever Host the request names', async () => {
    const response = await cloud.running.app.inject({ url: '/saml/metadata', headers: FORGED });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain('evil.example');
    expect(response.body).toContain(cloud.url);
  });
});
