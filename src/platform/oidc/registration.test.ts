import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { CookieBrowser, formOf } from '../testing/cookie-browser.ts';
import { testDatabases } from '../testing/databases.ts';
import { oidcMigrations } from './migrations.ts';
import { startTestIssuer, type TestAccount, type TestIssuer } from './testing.ts';

const ALICE: TestAccount = {
  id: 'acc-alice',
  username: 'alice',
  password: 'pw-alice',
  state: 'active',
  claims: { name: '王小明', preferred_username: 'alice', email: 'alice@example.org', secret_number: '42' },
};
const TOKEN = 'initial-access-token-for-registration-tests';
const RP = 'https://rp.example.org/callback';

async function register(
  issuer: TestIssuer,
  metadata: Record<string, unknown>,
  token: string | undefined = TOKEN,
) {
  const response = await fetch(`${issuer.issuer}/oidc/v1/registration`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(metadata),
  });
  return {
    status: response.status,
    body: (await response.json().catch(() => ({}))) as Record<string, unknown>,
  };
}

/** Where the browser ends up for an authorization request: the client's redirect, or a page. */
async function authorizeAs(
  issuer: TestIssuer,
  registered: { client_id: string; client_secret: string },
  scope: string,
) {
  const config = await client.discovery(
    new URL(issuer.issuer),
    registered.client_id,
    {},
    client.ClientSecretBasic(registered.client_secret),
    { execute: [client.allowInsecureRequests] },
  );
  const browser = new CookieBrowser();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: RP, scope, state: 'st' });
  let step = await browser.follow(url, { stopBefore: RP });
  if (!step.url.href.startsWith(RP) && /name="username"/.test(step.text)) {
    const form = formOf(step.text, step.url);
    step = await browser.follow(form.action, {
      stopBefore: RP,
      form: { ...form.fields, username: ALICE.username, password: ALICE.password },
    });
  }
  return step;
}

for (const kind of await testDatabases()) {
  describe(`Dynamic Client Registration: ${kind.name}`, () => {
    let closedDb: Database<unknown>;
    let openDb: Database<unknown>;
    let closed: TestIssuer;
    let open: TestIssuer;

    beforeAll(async () => {
      closedDb = await kind.open(oidcMigrations('0901_oidc_test'));
      openDb = await kind.open(oidcMigrations('0901_oidc_test'));
      closed = await startTestIssuer({ db: closedDb.db, accounts: [ALICE] });
      open = await startTestIssuer({
        db: openDb.db,
        accounts: [ALICE],
        registrationToken: TOKEN,
        restrictedScopes: ['secret'],
      });
    });

    afterAll(async () => {
      await closed?.close();
      await open?.close();
      await closedDb?.close();
      await openDb?.close();
    });

    it('is closed without an initial access token: no endpoint in discovery, 404 at the path', async () => {
      const doc = (await (await fetch(`${closed.issuer}/.well-known/openid-configuration`)).json()) as Record<
        string,
        unknown
      >;
      expect(doc).not.toHaveProperty('registration_endpoint');
      for (const token of [undefined, 'anything', TOKEN]) {
        const attempt = await register(closed, { redirect_uris: [RP], client_name: 'Sneaky' }, token);
        expect(attempt.status).toBe(404);
      }
      expect(await closed.oidc.clients.list()).toEqual([]);
      const opened = (await (
        await fetch(`${open.issuer}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      expect(opened.registration_endpoint).toBe(`${open.issuer}/oidc/v1/registration`);
    });

    it('refuses a restricted scope at registration, and gives a registered client only the others', async () => {
      const asking = await register(open, {
        redirect_uris: [RP],
        client_name: 'Greedy',
        scope: 'openid secret',
      });
      expect(asking.status).toBe(400);
      expect(asking.body.error).toBe('invalid_client_metadata');

      const plain = await register(open, { redirect_uris: [RP], client_name: 'Plain' });
      expect(plain.status).toBe(201);
      const registered = plain.body as { client_id: string; client_secret: string; scope?: string };
      expect(registered.scope?.split(' ')).not.toContain('secret');
      const record = await open.oidc.clients.get(registered.client_id);
      expect(record).toMatchObject({ source: 'registration' });
      expect(record?.scopes).toEqual(expect.arrayContaining(['openid', 'profile', 'email']));
      expect(record?.scopes).not.toContain('secret');

      // Asking for it at authorization: invalid_scope back to the client, never a consent line.
      const refused = await authorizeAs(open, registered, 'openid secret');
      expect(refused.url.href.startsWith(RP)).toBe(true);
      expect(refused.url.searchParams.get('error')).toBe('invalid_scope');

      // Once an administrator grants it (console or CLI), the person is asked as for any client.
      await open.oidc.clients.update(registered.client_id, { scopes: [...(record?.scopes ?? []), 'secret'] });
      const granted = await authorizeAs(open, registered, 'openid secret');
      expect(granted.text).toContain('檢視您的秘密號碼');
    });

    it('holds registered redirect URIs to the console rule', async () => {
      const refusedUris = [
        'http://rp.example.org/callback',
        'https://rp.example.org/callback#frag',
        'https://*.example.org/callback',
        'https://rp.example.org/*',
        'javascript:alert(1)',
        'custom-scheme:/callback',
        'https://user:pw@rp.example.org/callback',
      ];
      for (const uri of refusedUris) {
        const attempt = await register(open, { redirect_uris: [uri], client_name: 'Bad URI' });
        expect([uri, attempt.status, attempt.body.error]).toEqual([uri, 400, 'invalid_redirect_uri']);
      }
      const logout = await register(open, {
        redirect_uris: [RP],
        post_logout_redirect_uris: ['http://rp.example.org/bye'],
        client_name: 'Bad logout URI',
      });
      expect([logout.status, logout.body.error]).toEqual([400, 'invalid_client_metadata']);
      for (const uri of ['http://127.0.0.1:8080/cb', 'http://localhost/cb', 'http://[::1]:9000/cb', RP]) {
        const attempt = await register(open, { redirect_uris: [uri], client_name: 'Fine' });
        expect([uri, attempt.status]).toEqual([uri, 201]);
      }
      // The same rule in the console and CLI.
      await expect(
        open.oidc.clients.add({
          name: 'Console',
          redirectUris: ['http://rp.example.org/cb'],
          scopes: ['openid'],
        }),
      ).rejects.toMatchObject({ code: 'oidc_redirect_uri_invalid' });
    });
  });
}
