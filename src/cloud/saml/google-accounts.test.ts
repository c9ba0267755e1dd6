// The cloud's side of the Google lookups, on PGlite and PostgreSQL: what it keeps of the portal's
// answers, and what it does while the portal cannot be reached. The portal here is a small HTTP
// server that checks the lookup token against the cloud's public key, as the real one does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { GOOGLE_LOOKUP_PATH, GOOGLE_LOOKUP_TYP } from '../../platform/federation/google-lookup.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { GoogleAccounts, WorkspaceUnavailable } from './google-accounts.ts';
import type { SamlDb } from './keys.ts';
import { samlMigrations } from './migrations.ts';
import type { SamlTables } from './schema.ts';

const ISSUER = 'http://cloud.test';
const AUDIENCE = 'k12cc-workspace';

describe.each(await testDatabases())('Google links kept by the cloud ($name)', (kind) => {
  let close: () => Promise<void>;
  let db: SamlDb;
  let server: Server;
  let google: GoogleAccounts;
  /** What the portal answers per cloud subject; `down` closes the connection instead. */
  const portal = { down: false, links: new Map<string, string | null>(), asked: [] as string[] };

  beforeAll(async () => {
    const database = await kind.open<SamlTables & PlatformTables>(samlMigrations);
    db = database.db;
    close = database.close;
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = await exportJWK(publicKey);
    server = createServer((req, res) => {
      if (portal.down) return req.socket.destroy();
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      jwtVerify(token, publicKey, { issuer: ISSUER, audience: AUDIENCE, typ: GOOGLE_LOOKUP_TYP })
        .then(({ payload }) => {
          const sub = String(payload.sub);
          portal.asked.push(`${req.url}:${sub}`);
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ sub, googleEmail: portal.links.get(sub) ?? null }));
        })
        .catch(() => {
          res.statusCode = 401;
          res.end('{}');
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    google = new GoogleAccounts({
      db,
      log: createLogger('silent'),
      issuer: ISSUER,
      audience: AUDIENCE,
      workspaceUrl: `http://127.0.0.1:${port}`,
      signingKey: async () => ({ key: privateKey, kid: String(jwk.kid ?? 'k1'), alg: 'RS256' }),
      timeoutMs: 2000,
    });
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await close?.();
  });

  const kept = (account: string) =>
    db
      .selectFrom('saml_google_links')
      .select(['google_email', 'domain'])
      .where('account_id', '=', account)
      .execute();

  it('asks the portal with a signed lookup token and keeps the address it confirms', async () => {
    portal.links.set('acc-1', 'teacher01@go.edu.tw');
    expect(await google.linkedAddress('acc-1', 'go.edu.tw')).toBe('teacher01@go.edu.tw');
    expect(portal.asked.at(-1)).toBe(`${GOOGLE_LOOKUP_PATH}:acc-1`);
    expect(await kept('acc-1')).toEqual([{ google_email: 'teacher01@go.edu.tw', domain: 'go.edu.tw' }]);
    // An address in another domain is no address of this one.
    expect(await google.linkedAddress('acc-1', 'other.edu.tw')).toBeUndefined();
  });

  it('uses the kept address while the portal is down, and refuses an account it never confirmed', async () => {
    portal.down = true;
    try {
      expect(await google.linkedAddress('acc-1', 'go.edu.tw')).toBe('teacher01@go.edu.tw');
      await expect(google.linkedAddress('acc-2', 'go.edu.tw')).rejects.toBeInstanceOf(WorkspaceUnavailable);
    } finally {
      portal.down = false;
    }
  });

  it('forgets the kept address once the portal says there is none', async () => {
    portal.links.set('acc-1', null);
    expect(await google.linkedAddress('acc-1', 'go.edu.tw')).toBeUndefined();
    expect(await kept('acc-1')).toEqual([]);
    portal.down = true;
    try {
      await expect(google.linkedAddress('acc-1', 'go.edu.tw')).rejects.toBeInstanceOf(WorkspaceUnavailable);
    } finally {
      portal.down = false;
    }
  });
});
