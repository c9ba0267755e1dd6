import { Redis } from 'ioredis';
import { sql } from 'kysely';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { CookieBrowser, formOf } from '../testing/cookie-browser.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../testing/services.ts';
import { oidcMigrations } from './migrations.ts';
import { startTestIssuer, type TestAccount, type TestIssuer } from './testing.ts';

const ALICE: TestAccount = {
  id: 'acc-alice',
  username: 'alice',
  password: 'pw-alice',
  state: 'active',
  claims: {
    name: '王小明',
    preferred_username: 'alice',
    email: 'alice@example.org',
    email_verified: true,
    secret_number: '42',
  },
};
const BOB: TestAccount = {
  ...ALICE,
  id: 'acc-bob',
  username: 'bob',
  password: 'pw-bob',
  state: 'incomplete',
};
const CAROL: TestAccount = {
  ...ALICE,
  id: 'acc-carol',
  username: 'carol',
  password: 'pw-carol',
  state: 'suspended',
};

const RP = 'https://rp.example.org/callback';
const RP_LOGOUT = 'https://rp.example.org/bye';

let database: Database<unknown>;
let issuer: TestIssuer;
let confidential: { client_id: string; client_secret?: string };
let publicClient: { client_id: string };

beforeAll(async () => {
  database = await embeddedTestDatabase.open(oidcMigrations('0901_oidc_test'));
  issuer = await startTestIssuer({
    db: database.db,
    accounts: [ALICE, BOB, CAROL],
    registrationToken: 'initial-access-token-for-tests',
  });
  confidential = await issuer.oidc.clients.add({
    name: '測試應用',
    redirectUris: [RP],
    postLogoutRedirectUris: [RP_LOGOUT],
    scopes: ['openid', 'profile', 'email'],
  });
  publicClient = await issuer.oidc.clients.add({
    name: 'SPA',
    redirectUris: [RP],
    scopes: ['openid', 'profile'],
    public: true,
  });
});

afterAll(async () => {
  await issuer?.close();
  await database?.close();
});

async function discover(
  clientId: string,
  auth: client.ClientAuth,
  metadata: Partial<client.ClientMetadata> = {},
) {
  return client.discovery(new URL(issuer.issuer), clientId, metadata, auth, {
    execute: [client.allowInsecureRequests],
  });
}

interface Walk {
  browser?: CookieBrowser;
  config: client.Configuration;
  scope: string;
  account?: TestAccount;
  consent?: 'allow' | 'deny' | 'expect-none';
  extra?: Record<string, string>;
  pkce?: boolean;
}

/** Drives the browser from the authorization request to the redirect back to the client. */
async function authorize(walk: Walk) {
  const browser = walk.browser ?? new CookieBrowser();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params: Record<string, string> = {
    redirect_uri: RP,
    scope: walk.scope,
    state,
    nonce,
    ...(walk.pkce === false
      ? {}
      : { code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' }),
    ...walk.extra,
  };
  let step = await browser.follow(client.buildAuthorizationUrl(walk.config, params), { stopBefore: RP });
  let consentShown: string | undefined;
  if (!step.url.href.startsWith(RP) && /name="username"/.test(step.text)) {
    const account = walk.account ?? ALICE;
    const form = formOf(step.text, step.url);
    step = await browser.follow(form.action, {
      stopBefore: RP,
      form: { ...form.fields, username: account.username, password: account.password },
    });
  }
  if (!step.url.href.startsWith(RP) && /decision/.test(step.text)) {
    consentShown = step.text;
    if (walk.consent === 'expect-none') throw new Error('consent page shown although consent was remembered');
    const form = formOf(step.text, step.url);
    step = await browser.follow(form.action, {
      stopBefore: RP,
      form: { ...form.fields, decision: walk.consent ?? 'allow' },
    });
  }
  return { browser, step, verifier, state, nonce, consentShown };
}

async function signIn(config: client.Configuration, scope = 'openid profile email', browser?: CookieBrowser) {
  const walk = await authorize({ config, scope, ...(browser ? { browser } : {}) });
  expect(walk.step.url.href.startsWith(RP), walk.step.text.slice(0, 500)).toBe(true);
  const tokens = await client.authorizationCodeGrant(config, walk.step.url, {
    pkceCodeVerifier: walk.verifier,
    expectedState: walk.state,
    expectedNonce: walk.nonce,
  });
  return { ...walk, tokens };
}

describe('OIDC provider core against openid-client', () => {
  it('publishes the SPEC §4 paths in discovery', async () => {
    const response = await fetch(`${issuer.issuer}/.well-known/openid-configuration`);
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: issuer.issuer,
      authorization_endpoint: `${issuer.issuer}/oidc/v1/azp`,
      token_endpoint: `${issuer.issuer}/oidc/v1/token`,
      userinfo_endpoint: `${issuer.issuer}/oidc/v1/userinfo`,
      jwks_uri: `${issuer.issuer}/oidc/v1/jwksets`,
      end_session_endpoint: `${issuer.issuer}/oidc/v1/logout-to-go`,
      registration_endpoint: `${issuer.issuer}/oidc/v1/registration`,
    });
    expect(doc.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['client_secret_basic', 'client_secret_post']),
    );
    expect(doc.id_token_signing_alg_values_supported).toContain('RS256');
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
  });

  it('runs the code flow with PKCE, consent, userinfo (GET and POST) and refresh', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretPost(confidential.client_secret),
    );
    const { tokens, consentShown, browser } = await signIn(config);
    expect(consentShown).toContain('測試應用');
    expect(consentShown).toContain('檢視您的網路認證資料');
    expect(consentShown).toContain('檢視您的個人基本資料');
    expect(consentShown).toContain('同意授權');
    expect(consentShown).toContain('拒絕');
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 3600, scope: 'openid profile email' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const claims = tokens.claims();
    expect(claims).toMatchObject({ sub: ALICE.id, iss: issuer.issuer, aud: confidential.client_id });
    expect(claims?.email).toBe('alice@example.org');
    expect(claims).not.toHaveProperty('secret_number');

    const info = await client.fetchUserInfo(config, tokens.access_token, ALICE.id);
    expect(info).toMatchObject({ sub: ALICE.id, name: '王小明', email: 'alice@example.org' });
    expect(info).not.toHaveProperty('secret_number');
    const viaPost = await fetch(`${issuer.issuer}/oidc/v1/userinfo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(viaPost.status).toBe(200);
    expect(await viaPost.json()).toMatchObject({ sub: ALICE.id, preferred_username: 'alice' });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.claims()?.sub).toBe(ALICE.id);
    expect((await client.fetchUserInfo(config, refreshed.access_token, ALICE.id)).sub).toBe(ALICE.id);

    // Same browser, same scopes: single sign-on, no second consent.
    const again = await authorize({ config, scope: 'openid profile', browser, consent: 'expect-none' });
    expect(again.step.url.searchParams.get('code')).toBeTruthy();
  });

  it('asks the host port once per request for the account a token or session names', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretPost(confidential.client_secret),
    );
    const { tokens, browser } = await signIn(config);
    issuer.prefetches.length = 0;
    // userinfo: the token check, the claims and oidc-provider's own lookups share one read.
    await client.fetchUserInfo(config, tokens.access_token, ALICE.id);
    expect(issuer.prefetches).toEqual([`token:${ALICE.id}`]);
    issuer.prefetches.length = 0;
    await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(issuer.prefetches).toEqual([`token:${ALICE.id}`]);
    // An authorization with a live session: the host prompt and the provider share one read of
    // the account as it is now.
    issuer.prefetches.length = 0;
    const again = await authorize({ config, scope: 'openid profile', browser, consent: 'expect-none' });
    expect(again.step.url.searchParams.get('code')).toBeTruthy();
    expect(issuer.prefetches).toEqual([`interaction:${ALICE.id}`]);
  });

  it('remembers consent across sessions and asks again only when the scopes grow', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    // A new browser (new session): the earlier consent for openid profile email still holds.
    const first = await authorize({ config, scope: 'openid profile', consent: 'expect-none' });
    expect(first.step.url.searchParams.get('code')).toBeTruthy();

    await issuer.oidc.consents.forget(ALICE.id, confidential.client_id);
    await issuer.oidc.consents.remember(ALICE.id, confidential.client_id, ['openid']);
    const grown = await authorize({ config, scope: 'openid email' });
    expect(grown.consentShown).toContain('檢視您的電子郵件');
    const asked = /<ul class="consent-scopes">([\s\S]*?)<\/ul>/.exec(grown.consentShown ?? '')?.[1] ?? '';
    expect(asked).toContain('檢視您的電子郵件');
    expect(asked).not.toContain('檢視您的網路認證資料');
    expect(grown.step.url.searchParams.get('code')).toBeTruthy();
    expect(await issuer.oidc.consents.scopes(ALICE.id, confidential.client_id)).toEqual(['openid', 'email']);
  });

  it('keeps a returning browser in its provider session only while the session cookie carries its signature', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const { browser } = await signIn(config);
    // The browser's cookies are kept by name and path (`name|path`).
    const session = () =>
      [...browser.cookies.entries()].find(([key]) => /^edugate_oidc_[a-z0-9]+\|/.test(key))?.[1].value;
    const signedIn = session();
    expect(signedIn).toBeDefined();
    const again = await authorize({ config, scope: 'openid', browser, consent: 'expect-none' });
    expect(again.step.url.searchParams.get('code')).toBeTruthy();
    expect(session()).toBe(signedIn);

    // The signature changed by one character: the browser's session is not found, a new one begins.
    const signature = [...browser.cookies.entries()].find(([key]) =>
      /^edugate_oidc_[a-z0-9]+\.sig\|/.test(key),
    );
    expect(signature).toBeDefined();
    const [key, sig] = signature as [string, { value: string; path: string }];
    browser.cookies.set(key, {
      ...sig,
      value: `${sig.value.slice(0, -1)}${sig.value.endsWith('A') ? 'B' : 'A'}`,
    });
    await authorize({ config, scope: 'openid', browser, consent: 'expect-none' });
    expect(session()).toBeDefined();
    expect(session()).not.toBe(signedIn);
  });

  it('returns access_denied when the person refuses consent', async () => {
    const config = await discover(publicClient.client_id, client.None());
    const walk = await authorize({ config, scope: 'openid profile', consent: 'deny' });
    expect(walk.step.url.searchParams.get('error')).toBe('access_denied');
    expect(walk.step.url.searchParams.get('code')).toBeNull();
    expect(walk.step.url.searchParams.get('state')).toBe(walk.state);
  });

  it('signs out through logout-to-go and userlogout, revoking the tokens', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    for (const path of ['/oidc/v1/logout-to-go', '/oidc/v1/userlogout']) {
      const { tokens, browser } = await signIn(config);
      const url = client.buildEndSessionUrl(config, {
        id_token_hint: tokens.id_token as string,
        post_logout_redirect_uri: RP_LOGOUT,
        state: 'bye-state',
      });
      const logoutUrl = new URL(`${issuer.issuer}${path}${url.search}`);
      const confirm = await browser.follow(logoutUrl, { stopBefore: RP_LOGOUT });
      expect(confirm.text).toContain('是，登出');
      const form = formOf(confirm.text, confirm.url);
      const done = await browser.follow(form.action, {
        stopBefore: RP_LOGOUT,
        form: { ...form.fields, logout: 'yes' },
      });
      expect(done.url.origin + done.url.pathname).toBe(RP_LOGOUT);
      expect(done.url.searchParams.get('state')).toBe('bye-state');
      await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
      await expect(client.fetchUserInfo(config, tokens.access_token, ALICE.id)).rejects.toThrow();
      // Signed out: the next authorization asks for the password again.
      const next = await browser.follow(
        client.buildAuthorizationUrl(config, { redirect_uri: RP, scope: 'openid', state: 's' }),
        { stopBefore: RP },
      );
      expect(next.text).toContain('name="username"');
    }
  });

  it('sends an incomplete account to the host prompt before releasing anything', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const browser = new CookieBrowser();
    const walk = await authorize({ config, scope: 'openid profile', account: BOB, browser });
    expect(walk.step.url.href.startsWith(RP)).toBe(false);
    expect(walk.step.text).toContain('請先完成基本資料');
    const continueHref = /id="continue" href="([^"]+)"/.exec(walk.step.text)?.[1] as string;
    // Still incomplete: the prompt comes back.
    const again = await browser.follow(new URL(continueHref, issuer.origin), { stopBefore: RP });
    expect(again.text).toContain('請先完成基本資料');
    (issuer.accounts.get(BOB.id) as TestAccount).state = 'active';
    const href = /id="continue" href="([^"]+)"/.exec(again.text)?.[1] as string;
    const resumed = await browser.follow(new URL(href, issuer.origin), { stopBefore: RP });
    const form = formOf(resumed.text, resumed.url);
    const done = await browser.follow(form.action, {
      stopBefore: RP,
      form: { ...form.fields, decision: 'allow' },
    });
    expect(done.url.searchParams.get('code')).toBeTruthy();
    (issuer.accounts.get(BOB.id) as TestAccount).state = 'incomplete';
  });

  it('shows a refusal page to a suspended account and stops its tokens', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const walk = await authorize({ config, scope: 'openid', account: CAROL });
    expect(walk.step.status).toBe(403);
    expect(walk.step.text).toContain('您的帳號已停用');
    expect(walk.step.url.href.startsWith(RP)).toBe(false);

    const { tokens } = await signIn(config, 'openid');
    (issuer.accounts.get(ALICE.id) as TestAccount).state = 'suspended';
    try {
      await expect(client.fetchUserInfo(config, tokens.access_token, ALICE.id)).rejects.toThrow();
      await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    } finally {
      (issuer.accounts.get(ALICE.id) as TestAccount).state = 'active';
    }
  });
});

describe('OIDC provider core refuses bad requests with the right OAuth error', () => {
  it('refuses an unregistered redirect URI without redirecting', async () => {
    const url = new URL(`${issuer.issuer}/oidc/v1/azp`);
    url.search = new URLSearchParams({
      client_id: confidential.client_id,
      response_type: 'code',
      scope: 'openid',
      state: 's',
      redirect_uri: 'https://evil.example.org/callback',
    }).toString();
    const response = await fetch(url, { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    const text = await response.text();
    expect(text).toContain('redirect_uri');
    expect(text).toContain('無法完成登入');
    // A prefix of the registered URI is not the registered URI.
    url.searchParams.set('redirect_uri', `${RP}/more`);
    expect((await fetch(url, { redirect: 'manual' })).status).toBe(400);
  });

  it('refuses a replayed code and revokes what the first exchange issued', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const walk = await authorize({ config, scope: 'openid profile' });
    const checks = { pkceCodeVerifier: walk.verifier, expectedState: walk.state, expectedNonce: walk.nonce };
    const tokens = await client.authorizationCodeGrant(config, walk.step.url, checks);
    await expect(client.authorizationCodeGrant(config, walk.step.url, checks)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(client.fetchUserInfo(config, tokens.access_token, ALICE.id)).rejects.toThrow();
  });

  it('gives tokens to one of two concurrent exchanges of a code, invalid_grant to the other, and then revokes them', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    for (let round = 0; round < 3; round++) {
      const walk = await authorize({ config, scope: 'openid profile' });
      const checks = {
        pkceCodeVerifier: walk.verifier,
        expectedState: walk.state,
        expectedNonce: walk.nonce,
      };
      const exchanges = await Promise.allSettled([
        client.authorizationCodeGrant(config, walk.step.url, checks),
        client.authorizationCodeGrant(config, walk.step.url, checks),
      ]);
      const issued = exchanges.flatMap((exchange) =>
        exchange.status === 'fulfilled' ? [exchange.value] : [],
      );
      expect(issued).toHaveLength(1);
      expect(exchanges.find((exchange) => exchange.status === 'rejected')).toMatchObject({
        reason: { error: 'invalid_grant' },
      });
      // A replay: what the first exchange got is revoked, as for a code replayed later.
      const [tokens] = issued;
      await expect(client.fetchUserInfo(config, tokens?.access_token ?? '', ALICE.id)).rejects.toThrow();
      await expect(client.refreshTokenGrant(config, tokens?.refresh_token ?? '')).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    }
  });

  it('refuses a wrong PKCE verifier, and a public client without PKCE', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const walk = await authorize({ config, scope: 'openid' });
    await expect(
      client.authorizationCodeGrant(config, walk.step.url, {
        pkceCodeVerifier: client.randomPKCECodeVerifier(),
        expectedState: walk.state,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const spa = await discover(publicClient.client_id, client.None());
    const noPkce = await authorize({ config: spa, scope: 'openid', pkce: false });
    expect(noPkce.step.url.searchParams.get('error')).toBe('invalid_request');
    expect(noPkce.step.url.searchParams.get('error_description')).toMatch(/PKCE/);

    // A confidential client may omit PKCE (existing clients keep working).
    const legacy = await authorize({ config, scope: 'openid', pkce: false });
    const tokens = await client.authorizationCodeGrant(config, legacy.step.url, {
      expectedState: legacy.state,
      expectedNonce: legacy.nonce,
    });
    expect(tokens.access_token).toBeTruthy();
  });

  it('refuses scopes the client is not allowed', async () => {
    const config = await discover(publicClient.client_id, client.None());
    const walk = await authorize({ config, scope: 'openid secret' });
    expect(walk.step.url.searchParams.get('error')).toBe('invalid_scope');
    expect(walk.step.url.searchParams.get('code')).toBeNull();
  });

  it('refuses a wrong client secret with invalid_client', async () => {
    const good = await discover(confidential.client_id, client.ClientSecretBasic(confidential.client_secret));
    const walk = await authorize({ config: good, scope: 'openid' });
    for (const auth of [client.ClientSecretBasic('wrong-secret'), client.ClientSecretPost('wrong-secret')]) {
      const bad = await discover(confidential.client_id, auth);
      const failure = await client
        .authorizationCodeGrant(bad, walk.step.url, {
          pkceCodeVerifier: walk.verifier,
          expectedState: walk.state,
        })
        .then(
          () => undefined,
          (error: { status?: number; error?: string; cause?: Array<{ parameters?: { error?: string } }> }) =>
            error,
        );
      expect(failure?.status).toBe(401);
      // Basic: the error is in WWW-Authenticate; post: in the JSON body.
      expect(failure?.error ?? failure?.cause?.[0]?.parameters?.error).toBe('invalid_client');
    }
    // The code was not spent by the failed attempts.
    const tokens = await client.authorizationCodeGrant(good, walk.step.url, {
      pkceCodeVerifier: walk.verifier,
      expectedState: walk.state,
      expectedNonce: walk.nonce,
    });
    expect(tokens.access_token).toBeTruthy();
  });

  it('accepts the client secret in the body and in the Authorization header alike, in any order', async () => {
    const post = await discover(confidential.client_id, client.ClientSecretPost(confidential.client_secret));
    const basic = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const { tokens } = await signIn(post);
    let refreshToken = tokens.refresh_token as string;
    for (const config of [basic, post, basic, post]) {
      const refreshed = await client.refreshTokenGrant(config, refreshToken);
      expect(refreshed.claims()?.sub).toBe(ALICE.id);
      refreshToken = refreshed.refresh_token ?? refreshToken;
    }
  });

  it('refuses revoked and expired access tokens at userinfo', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const { tokens } = await signIn(config, 'openid');
    await client.tokenRevocation(config, tokens.access_token);
    const revoked = await fetch(`${issuer.issuer}/oidc/v1/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toContain('invalid_token');

    const expiring = (await signIn(config, 'openid')).tokens.access_token;
    expect(await client.fetchUserInfo(config, expiring, ALICE.id)).toMatchObject({ sub: ALICE.id });
    await sql`update oidc_payloads set expires_at = now() - interval '1 second'
      where model = 'AccessToken' and id = ${expiring}`.execute(database.db);
    const response = await fetch(`${issuer.issuer}/oidc/v1/userinfo`, {
      headers: { authorization: `Bearer ${expiring}` },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_token' });
  });
});

describe('OIDC provider core administration', () => {
  it('registers clients dynamically only with the initial access token', async () => {
    const endpoint = `${issuer.issuer}/oidc/v1/registration`;
    const metadata = {
      redirect_uris: ['https://dcr.example.org/cb'],
      client_name: 'DCR app',
      scope: 'openid email',
    };
    const refused = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    expect(refused.status).toBe(401);
    const wrong = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
      body: JSON.stringify(metadata),
    });
    expect(wrong.status).toBe(401);
    const created = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer initial-access-token-for-tests' },
      body: JSON.stringify(metadata),
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { client_id: string; client_secret: string };
    const record = await issuer.oidc.clients.get(body.client_id);
    expect(record).toMatchObject({ name: 'DCR app', source: 'registration', scopes: ['openid', 'email'] });
    const row = await database.db
      .selectFrom('oidc_clients' as never)
      .select(['secret_ciphertext' as never])
      .where('client_id' as never, '=', body.client_id as never)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(body.client_secret);
  });

  it('rotates a client secret: the new one works, the old one stops', async () => {
    const issued = await issuer.oidc.clients.add({
      name: 'Rotating',
      redirectUris: [RP],
      scopes: ['openid'],
    });
    const rotated = await issuer.oidc.clients.rotateSecret(issued.client_id);
    expect(rotated.client_secret).not.toBe(issued.client_secret);
    const token = (secret: string | undefined) =>
      fetch(`${issuer.issuer}/oidc/v1/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${issued.client_id}:${secret}`).toString('base64')}`,
        },
        body: 'grant_type=refresh_token&refresh_token=nothing',
      });
    expect((await token(issued.client_secret)).status).toBe(401);
    const current = await token(rotated.client_secret);
    expect(current.status).toBe(400);
    expect(await current.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('rotates signing keys: the new key signs, the old one stays published', async () => {
    const config = await discover(
      confidential.client_id,
      client.ClientSecretBasic(confidential.client_secret),
    );
    const before = (await (await fetch(`${issuer.issuer}/oidc/v1/jwksets`)).json()) as {
      keys: Array<{ kid: string; d?: string }>;
    };
    const old = await signIn(config, 'openid');
    const rotated = await issuer.oidc.rotateKeys();
    const after = (await (await fetch(`${issuer.issuer}/oidc/v1/jwksets`)).json()) as {
      keys: Array<{ kid: string; d?: string }>;
    };
    expect(after.keys.map((k) => k.kid)).toEqual([rotated.kid, ...before.keys.map((k) => k.kid)]);
    expect(after.keys.every((k) => k.d === undefined)).toBe(true);
    const fresh = await signIn(config, 'openid');
    const kid = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()).kid;
    expect(kid(fresh.tokens.id_token as string)).toBe(rotated.kid);
    expect(kid(old.tokens.id_token as string)).toBe(before.keys[0]?.kid);
    // The stored private keys are encrypted.
    const rows = await database.db
      .selectFrom('oidc_signing_keys' as never)
      .select(['private_jwk_ciphertext' as never])
      .execute();
    expect(JSON.stringify(rows)).not.toMatch(/"d"|"p":/);
  });
});

describe('OIDC provider core with Redis for short-lived artifacts', async () => {
  const available = await redisAvailable();
  if (!available) missingService('Redis', `start it or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);

  it.runIf(available)(
    'keeps codes and access tokens in Redis, grants and refresh tokens in the database',
    async () => {
      const redis = new Redis(TEST_REDIS_URL);
      const db = await embeddedTestDatabase.open(oidcMigrations('0901_oidc_test'));
      const withRedis = await startTestIssuer({ db: db.db, redis, accounts: [ALICE] });
      try {
        const registered = await withRedis.oidc.clients.add({
          name: 'R',
          redirectUris: [RP],
          scopes: ['openid'],
        });
        const config = await client.discovery(
          new URL(withRedis.issuer),
          registered.client_id,
          {},
          client.ClientSecretBasic(registered.client_secret),
          { execute: [client.allowInsecureRequests] },
        );
        const walk = await (async () => {
          const browser = new CookieBrowser();
          const verifier = client.randomPKCECodeVerifier();
          const url = client.buildAuthorizationUrl(config, {
            redirect_uri: RP,
            scope: 'openid',
            state: 'st',
            code_challenge: await client.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
          });
          let step = await browser.follow(url, { stopBefore: RP });
          const login = formOf(step.text, step.url);
          step = await browser.follow(login.action, {
            stopBefore: RP,
            form: { ...login.fields, username: 'alice', password: 'pw-alice' },
          });
          const consent = formOf(step.text, step.url);
          step = await browser.follow(consent.action, {
            stopBefore: RP,
            form: { ...consent.fields, decision: 'allow' },
          });
          return { step, verifier };
        })();
        const tokens = await client.authorizationCodeGrant(config, walk.step.url, {
          pkceCodeVerifier: walk.verifier,
          expectedState: 'st',
        });
        const inRedis = await redis.exists(`edugate:oidc:t1:AccessToken:${tokens.access_token}`);
        expect(inRedis).toBe(1);
        const rows = await db.db
          .selectFrom('oidc_payloads' as never)
          .select(['model' as never])
          .execute();
        const models = new Set((rows as Array<{ model: string }>).map((r) => r.model));
        expect(models.has('Grant')).toBe(true);
        expect(models.has('RefreshToken')).toBe(true);
        expect(models.has('AccessToken')).toBe(false);
        expect(models.has('AuthorizationCode')).toBe(false);
        expect(models.has('Session')).toBe(false);
        const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
        expect((await client.fetchUserInfo(config, refreshed.access_token, ALICE.id)).sub).toBe(ALICE.id);
      } finally {
        await withRedis.close();
        await db.close();
        const keys = await redis.keys('edugate:oidc:t1:*');
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    },
  );
});
