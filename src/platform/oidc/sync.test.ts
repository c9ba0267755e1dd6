import type Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { CookieBrowser, formOf } from '../testing/cookie-browser.ts';
import { testDatabases } from '../testing/databases.ts';
import { oidcMigrations } from './migrations.ts';
import { OIDC_ROUTES } from './paths.ts';
import { startTestIssuer, type TestAccount, type TestIssuer } from './testing.ts';

const ALICE: TestAccount = {
  id: 'acc-alice',
  username: 'alice',
  password: 'pw-alice',
  state: 'active',
  claims: { name: '王小明', preferred_username: 'alice', email: 'alice@example.org', email_verified: true },
};
const RP = 'https://rp.example.org/callback';
const RP_NEW = 'https://rp.example.org/new-callback';
/** The bound the core promises for a change made on another node (2 s), with room for a slow run. */
const BOUND_MS = 3500;

/** Client authentication at the token endpoint: 401 for a wrong or unknown client, 400 otherwise. */
async function tokenStatus(node: TestIssuer, clientId: string, secret: string | undefined) {
  const response = await fetch(`${node.issuer}${OIDC_ROUTES.token}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: 'grant_type=refresh_token&refresh_token=nothing',
  });
  await response.arrayBuffer();
  return response.status;
}

/** How long until `check` holds (polled), or a failure after the bound. */
async function within(bound: number, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > bound) throw new Error(`not seen within ${bound} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - started;
}

const jwksKids = async (node: TestIssuer) =>
  (
    (await (await fetch(`${node.issuer}${OIDC_ROUTES.jwks}`)).json()) as { keys: Array<{ kid: string }> }
  ).keys.map((key) => key.kid);

async function signIn(node: TestIssuer, clientId: string, secret: string | undefined) {
  const browser = new CookieBrowser();
  const url = `${node.issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    scope: 'openid profile',
    redirect_uri: RP,
    state: 's',
  })}`;
  let step = await browser.follow(url, { stopBefore: RP });
  const login = formOf(step.text, step.url);
  step = await browser.follow(login.action, {
    stopBefore: RP,
    form: { ...login.fields, username: ALICE.username, password: ALICE.password },
  });
  if (!step.url.href.startsWith(RP)) {
    const consent = formOf(step.text, step.url);
    step = await browser.follow(consent.action, {
      stopBefore: RP,
      form: { ...consent.fields, decision: 'allow' },
    });
  }
  const code = step.url.searchParams.get('code');
  if (!code) throw new Error(`no code: ${step.url.href} ${step.text.slice(0, 300)}`);
  const response = await fetch(`${node.issuer}${OIDC_ROUTES.token}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: RP }).toString(),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { access_token: string; refresh_token: string; id_token: string };
}

for (const kind of await testDatabases()) {
  describe(`clients and keys changed on another node (${kind.name})`, () => {
    let database: Database<unknown>;
    // Two nodes of one issuer: the same database and tenant, each with its own memory.
    let a: TestIssuer;
    let b: TestIssuer;
    const built: Provider[] = [];

    beforeAll(async () => {
      database = await kind.open(oidcMigrations('0901_oidc_sync'));
      a = await startTestIssuer({ db: database.db, dbKind: database.kind, accounts: [ALICE] });
      b = await startTestIssuer({
        db: database.db,
        dbKind: database.kind,
        accounts: [ALICE],
        onProvider: (p) => built.push(p),
      });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      await database?.close();
    });

    it('serves a rotated secret, a disabled client and new redirect URIs on every node within the bound', async () => {
      const issued = await a.oidc.clients.add({ name: 'Two nodes', redirectUris: [RP], scopes: ['openid'] });
      // Node B keeps the client in memory from here on.
      expect(await tokenStatus(b, issued.client_id, issued.client_secret)).toBe(400);
      expect(await tokenStatus(b, issued.client_id, issued.client_secret)).toBe(400);

      const rotated = await a.oidc.clients.rotateSecret(issued.client_id);
      // The node that made the change sees it at once.
      expect(await tokenStatus(a, issued.client_id, issued.client_secret)).toBe(401);
      expect(await tokenStatus(a, issued.client_id, rotated.client_secret)).toBe(400);
      const took = await within(
        BOUND_MS,
        async () => (await tokenStatus(b, issued.client_id, issued.client_secret)) === 401,
      );
      expect(took).toBeLessThanOrEqual(BOUND_MS);
      expect(await tokenStatus(b, issued.client_id, rotated.client_secret)).toBe(400);

      await a.oidc.clients.update(issued.client_id, { disabled: true });
      expect(await tokenStatus(a, issued.client_id, rotated.client_secret)).toBe(401);
      await within(
        BOUND_MS,
        async () => (await tokenStatus(b, issued.client_id, rotated.client_secret)) === 401,
      );

      await a.oidc.clients.update(issued.client_id, { disabled: false, redirectUris: [RP_NEW] });
      const authorizeAt = (node: TestIssuer, redirect: string) =>
        fetch(
          `${node.issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({
            client_id: issued.client_id,
            response_type: 'code',
            scope: 'openid',
            redirect_uri: redirect,
            state: 's',
          })}`,
          { redirect: 'manual' },
        );
      // An unregistered redirect URI is an error page (400), a registered one goes to the login.
      await within(BOUND_MS, async () => (await authorizeAt(b, RP_NEW)).status === 303);
      expect((await authorizeAt(b, RP)).status).toBe(400);
    });

    it('shows a renamed client by its new name on the consent page of every node within the bound', async () => {
      const issued = await a.oidc.clients.add({ name: '舊的名稱', redirectUris: [RP], scopes: ['openid'] });
      const consentPage = async (node: TestIssuer) => {
        const browser = new CookieBrowser();
        const step = await browser.follow(
          `${node.issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({
            client_id: issued.client_id,
            response_type: 'code',
            scope: 'openid',
            redirect_uri: RP,
            state: 's',
          })}`,
          { stopBefore: RP },
        );
        const login = formOf(step.text, step.url);
        const consent = await browser.follow(login.action, {
          stopBefore: RP,
          form: { ...login.fields, username: ALICE.username, password: ALICE.password },
        });
        return consent.text;
      };
      // Node B keeps the client (and its name) in memory from here on.
      expect(await consentPage(b)).toContain('「舊的名稱」要求存取您的下列資料');
      await a.oidc.clients.update(issued.client_id, { name: '新的名稱' });
      // The node that made the change shows it at once, the other within the bound.
      expect(await consentPage(a)).toContain('「新的名稱」要求存取您的下列資料');
      await within(BOUND_MS, async () => (await consentPage(b)).includes('「新的名稱」'));
    });

    it('serves a client removed on another node no longer', async () => {
      const issued = await a.oidc.clients.add({ name: 'Removed', redirectUris: [RP], scopes: ['openid'] });
      expect(await tokenStatus(b, issued.client_id, issued.client_secret)).toBe(400);
      await a.oidc.clients.remove(issued.client_id);
      await within(
        BOUND_MS,
        async () => (await tokenStatus(b, issued.client_id, issued.client_secret)) === 401,
      );
    });

    it('publishes and signs with a key rotated on another node within the bound, rebuilding through onProvider', async () => {
      const issued = await a.oidc.clients.add({
        name: 'Keys',
        redirectUris: [RP],
        scopes: ['openid', 'profile'],
      });
      const before = built.length;
      const key = await a.oidc.rotateKeys();
      expect((await jwksKids(a))[0]).toBe(key.kid);
      await within(BOUND_MS, async () => (await jwksKids(b))[0] === key.kid);
      const tokens = await signIn(b, issued.client_id, issued.client_secret);
      const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0] ?? '', 'base64url').toString()) as {
        kid: string;
      };
      expect(header.kid).toBe(key.kid);
      // Node B rebuilt its oidc-provider instance once for the new key set, and said so.
      expect(built.length).toBe(before + 1);
      expect(built.at(-1)).toBe(b.oidc.provider);
    });
  });
}

describe('the onProvider hook', () => {
  it('is called with each instance the core builds, so listeners follow key rotations', async () => {
    const [kind] = await testDatabases();
    if (!kind) throw new Error('no test database');
    const database = await kind.open(oidcMigrations('0901_oidc_hook'));
    const built: Provider[] = [];
    let grants = 0;
    const node = await startTestIssuer({
      db: database.db,
      accounts: [ALICE],
      onProvider: (provider) => {
        built.push(provider);
        provider.on('grant.success', () => grants++);
      },
    });
    try {
      expect(built).toEqual([node.oidc.provider]);
      const issued = await node.oidc.clients.add({
        name: 'Hook',
        redirectUris: [RP],
        scopes: ['openid', 'profile'],
      });
      await signIn(node, issued.client_id, issued.client_secret);
      expect(grants).toBe(1);

      await node.oidc.rotateKeys();
      expect(built).toHaveLength(2);
      expect(built[1]).toBe(node.oidc.provider);
      expect(built[1]).not.toBe(built[0]);
      // The listener is on the instance now serving, once: one grant, one event.
      await signIn(node, issued.client_id, issued.client_secret);
      expect(grants).toBe(2);
    } finally {
      await node.close();
      await database.close();
    }
  });
});
