import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { CookieBrowser, type PageResult } from '../../platform/testing/cookie-browser.ts';
import { cloudAccountFromRow } from '../account/accounts.ts';
import { type CloudInstance, startCloudInstance } from '../testing/cloud-instance.ts';
import { linkedAccount } from '../testing/database.ts';
import { authorizeAtCloud, submitForm } from '../testing/oidc-app.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const PASSWORD = 'Provider-test-2026';
/** The teacher's titles and class at the county, as linked and as the eduinfo API gives them back. */
const TITLES = [{ schoolid: '114620', titles: ['教師', '資訊組長'] }];
const CLASSINFO = [
  {
    year: '113',
    semester: '1',
    schoolid: '114620',
    grade: '5',
    classno: '04',
    classtitle: '五年丁班',
    seatno: '12',
  },
];

let cloud: CloudInstance;
let clientId: string;
let clientSecret: string;
let accountId: string;

beforeAll(async () => {
  const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
  cloud = await startCloudInstance(database, { registrationToken: 'initial-access-token-0123456789' });
  const { services } = cloud;
  const account = await linkedAccount(
    services,
    {
      name: 'tad0616',
      familyName: '吳',
      givenName: '弘凱',
      password: PASSWORD,
      openid2Ids: ['https://openid.tn.edu.tw/op/user.aspx/Tad'],
    },
    {
      countyCode: 'tn',
      issuer: 'https://tn.example/tn',
      subject: 'county-sub-1',
      snapshot: {
        username: 'tad',
        email: 'tad@example.org',
        schoolid: '114620',
        titles: TITLES,
        classinfo: CLASSINFO,
      },
    },
  );
  accountId = account.id;
  await services.roles.define({ code: 'k12.admin', name: '校園管理者', description: '' });
  await services.roles.assign('k12.admin', account.id, '114620');
  const issued = await services.oidc!.clients.add({
    name: '學校應用程式',
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: ['http://127.0.0.1:9/bye'],
    scopes: ['openid', 'profile', 'email', 'openid2', 'eduinfo', 'educloudroles'],
  });
  clientId = issued.client_id;
  clientSecret = issued.client_secret ?? '';
}, 60_000);

afterAll(async () => {
  await cloud?.close();
});

async function discover(id = clientId, secret = clientSecret) {
  return client.discovery(new URL(cloud.url), id, secret, client.ClientSecretBasic(secret), {
    execute: [client.allowInsecureRequests],
  });
}

/** What a resource API (`/moeresource/api/…`) answers the access token. */
async function resource(config: client.Configuration, accessToken: string, path: string): Promise<unknown> {
  const url = new URL(`${cloud.url}/moeresource/api/${path}`);
  return (await client.fetchProtectedResource(config, accessToken, url, 'GET')).json();
}

const submit = (browser: CookieBrowser, page: PageResult, action: string, form: Record<string, string>) =>
  submitForm(browser, page, action, form);

/** Signs in as tad0616 where asked (`onPassword` is told just before); the redirect to the client. */
const authorize = (browser: CookieBrowser, url: URL, onPassword?: () => void) =>
  authorizeAtCloud(browser, url, { name: 'tad0616', password: PASSWORD }, onPassword);

/** An authorization request with PKCE, state and nonce, and the code grant that checks them. */
async function codeFlow(config: client.Configuration, scope: string, extra: Record<string, string> = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const grant = (callback: URL, maxAge?: number) =>
    client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      ...(maxAge !== undefined ? { maxAge } : {}),
    });
  return { url, grant };
}

/** RP-initiated logout with the ID token, confirmed on the cloud's question page; the page it ends on. */
async function signOutOfClient(
  browser: CookieBrowser,
  config: client.Configuration,
  idToken: string | undefined,
) {
  const logout = client.buildEndSessionUrl(config, {
    id_token_hint: idToken ?? '',
    post_logout_redirect_uri: 'http://127.0.0.1:9/bye',
  });
  const confirm = await browser.follow(logout, { stopBefore: 'http://127.0.0.1:9/' });
  return submit(browser, confirm, 'logout', { logout: 'yes' });
}

describe('the cloud OIDC provider with openid-client', () => {
  it('publishes the SPEC §4 endpoints', async () => {
    const config = await discover();
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(cloud.url);
    expect(meta.authorization_endpoint).toBe(`${cloud.url}/oidc/v1/azp`);
    expect(meta.token_endpoint).toBe(`${cloud.url}/oidc/v1/token`);
    expect(meta.userinfo_endpoint).toBe(`${cloud.url}/oidc/v1/userinfo`);
    expect(meta.jwks_uri).toBe(`${cloud.url}/oidc/v1/jwksets`);
    expect(meta.end_session_endpoint).toBe(`${cloud.url}/oidc/v1/logout-to-go`);
    expect(meta.scopes_supported).toEqual(
      expect.arrayContaining(['openid', 'profile', 'email', 'openid2', 'eduinfo', 'educloudroles']),
    );
  });

  it('code flow, userinfo, eduinfo, refresh and logout', async () => {
    const config = await discover();
    const browser = new CookieBrowser();
    const { url, grant } = await codeFlow(config, 'openid profile email openid2 eduinfo educloudroles');
    const first = await browser.follow(url, { stopBefore: 'http://127.0.0.1:9/' });
    expect(first.url.pathname).toBe('/login');
    expect(first.text).toContain('縣市帳號登入');
    const tokens = await grant(await authorize(browser, url));
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.refresh_token).toBeTruthy();
    const idClaims = tokens.claims();
    expect(idClaims?.sub).toBe(accountId);
    expect(idClaims?.sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(idClaims?.preferred_username).toBe('tad0616');
    expect(idClaims?.email).toBe('tad0616@mail.edu.tw');
    expect(idClaims?.openid2_id).toEqual(['https://openid.tn.edu.tw/op/user.aspx/Tad']);

    const userinfo = await client.fetchUserInfo(config, tokens.access_token, accountId);
    expect(userinfo).toMatchObject({
      sub: accountId,
      email_verified: true,
      name: '吳弘凱',
      preferred_username: 'tad0616',
      given_name: '弘凱',
      family_name: '吳',
      email: 'tad0616@mail.edu.tw',
      educloudroles: [{ role: 'k12.admin', name: '校園管理者', schoolid: '114620' }],
    });

    for (const version of ['v1', 'v2']) {
      expect(await resource(config, tokens.access_token, `${version}/oidc/eduinfo`)).toEqual({
        sub: accountId,
        schoolid: '114620',
        titles: TITLES,
        classinfo: CLASSINFO,
      });
    }
    expect(await resource(config, tokens.access_token, 'v1/oidc/profile')).toMatchObject({
      sub: accountId,
      name: '吳弘凱',
      preferred_username: 'tad0616',
    });
    expect(await resource(config, tokens.access_token, 'v2/oidc/relation')).toMatchObject({
      sub: accountId,
      relation: [{ county: 'tn', schoolid: '114620' }],
    });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(await client.fetchUserInfo(config, refreshed.access_token, accountId)).toMatchObject({
      sub: accountId,
    });

    // A second client login needs no password while the cloud session lives (single sign-on).
    const sso = await browser.follow(
      client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid email', state: 's2' }),
      { stopBefore: 'http://127.0.0.1:9/' },
    );
    expect(sso.url.searchParams.get('code')).toBeTruthy();

    // RP-initiated logout ends the provider session, the cloud session and the refresh token.
    const done = await signOutOfClient(browser, config, tokens.id_token);
    // 「您已登出」 at the cloud, with the way back to the client's registered post-logout URI.
    expect(done.url.href).toBe(`${cloud.url}/signed-out`);
    expect(done.text).toContain('href="http://127.0.0.1:9/bye"');
    const account = await browser.follow(`${cloud.url}/account`);
    expect(account.url.pathname).toBe('/login');
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token ?? '')).rejects.toThrow();
  });

  it('answers the AxerZ-style request replay (no PKCE, HTTP Basic, userinfo GET)', async () => {
    const browser = new CookieBrowser();
    const state = 'axerz-state-123';
    const authorizeUrl = new URL(
      `${cloud.url}/oidc/v1/azp?response_type=code&client_id=${clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid+email+profile&state=${state}&nonce=axerz-nonce`,
    );
    const callback = await authorize(browser, authorizeUrl);
    expect(callback.searchParams.get('state')).toBe(state);
    const code = callback.searchParams.get('code') ?? '';
    const tokenResponse = await fetch(`${cloud.url}/oidc/v1/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
      }).toString(),
    });
    expect(tokenResponse.status).toBe(200);
    const body = (await tokenResponse.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining([
        'access_token',
        'id_token',
        'refresh_token',
        'token_type',
        'expires_in',
        'scope',
      ]),
    );
    expect(body.expires_in).toBe(3600);
    const userinfo = await fetch(`${cloud.url}/oidc/v1/userinfo`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    expect(await userinfo.json()).toEqual({
      sub: accountId,
      email: 'tad0616@mail.edu.tw',
      email_verified: true,
      name: '吳弘凱',
      family_name: '吳',
      given_name: '弘凱',
      preferred_username: 'tad0616',
    });
    const replayed = await fetch(`${cloud.url}/oidc/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT,
        client_id: clientId,
        client_secret: clientSecret,
      }).toString(),
    });
    expect(replayed.status).toBe(400);
  });

  it('keeps each client to its allowed scopes', async () => {
    const narrow = await cloud.services.oidc!.clients.add({
      name: 'narrow',
      redirectUris: [REDIRECT],
      scopes: ['openid', 'email'],
    });
    const browser = new CookieBrowser();
    const denied = await browser.follow(
      `${cloud.url}/oidc/v1/azp?response_type=code&client_id=${narrow.client_id}&redirect_uri=${encodeURIComponent(REDIRECT)}&scope=openid+eduinfo&state=x`,
      { stopBefore: 'http://127.0.0.1:9/' },
    );
    expect(denied.url.searchParams.get('error')).toBe('invalid_scope');
  });

  it('registers clients dynamically only with the initial access token', async () => {
    const metadata = { redirect_uris: ['https://school.example/cb'], client_name: 'DCR app' };
    const anonymous = await fetch(`${cloud.url}/oidc/v1/registration`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(metadata),
    });
    expect(anonymous.status).toBe(401);
    const registered = await fetch(`${cloud.url}/oidc/v1/registration`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer initial-access-token-0123456789',
      },
      body: JSON.stringify(metadata),
    });
    expect(registered.status).toBe(201);
    expect(((await registered.json()) as { client_id?: string }).client_id).toBeTruthy();
  });

  it('gzips eduinfo when configured, and stops the tokens of a suspended account or a revoked consent', async () => {
    const config = await discover();
    const browser = new CookieBrowser();
    const callback = await authorize(
      browser,
      client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid eduinfo', state: 'g' }),
    );
    const tokens = await client.authorizationCodeGrant(config, callback, { expectedState: 'g' });
    const previous = cloud.services.ctx.config.cloudEduinfoGzip;
    (cloud.services.ctx.config as { cloudEduinfoGzip: boolean }).cloudEduinfoGzip = true;
    const raw = await fetch(`${cloud.url}/moeresource/api/v1/oidc/eduinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}`, 'accept-encoding': 'identity' },
    });
    (cloud.services.ctx.config as { cloudEduinfoGzip: boolean }).cloudEduinfoGzip = previous;
    expect(raw.headers.get('content-encoding')).toBe('gzip');
    // fetch inflates the body itself (Content-Encoding: gzip).
    expect(await raw.json()).toMatchObject({ sub: accountId, schoolid: '114620' });

    await cloud.services.accounts.setState(accountId, 'suspended');
    const suspended = await fetch(`${cloud.url}/oidc/v1/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(suspended.status).toBe(401);
    await cloud.services.accounts.setState(accountId, 'active');

    const apps = await cloud.services.grants!.list(accountId);
    expect(apps.map((a) => a.clientId)).toContain(clientId);
    await cloud.services.grants!.revoke(accountId, clientId);
    const revoked = await fetch(`${cloud.url}/moeresource/api/v1/oidc/eduinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(revoked.status).toBe(401);
    await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toThrow();
  });

  it('ends the cloud session at RP-initiated logout after a signing key rotation too', async () => {
    const config = await discover();
    const browser = new CookieBrowser();
    const callback = await authorize(
      browser,
      client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: 'openid', state: 'k' }),
    );
    const tokens = await client.authorizationCodeGrant(config, callback, { expectedState: 'k' });
    expect((await browser.follow(`${cloud.url}/account`)).url.pathname).toBe('/account');
    // The core rebuilds its oidc-provider instance; the logout listener comes with it (onProvider).
    await cloud.services.oidc!.rotateKeys();
    const done = await signOutOfClient(browser, config, tokens.id_token);
    // 「您已登出」 at the cloud, with the way back to the client's registered post-logout URI.
    expect(done.url.href).toBe(`${cloud.url}/signed-out`);
    expect(done.text).toContain('href="http://127.0.0.1:9/bye"');
    expect((await browser.follow(`${cloud.url}/account`)).url.pathname).toBe('/login');
  });

  it('refuses the tokens of a suspended account on the very next request, and serves them again once active', async () => {
    const config = await discover();
    const callback = await authorize(
      new CookieBrowser(),
      client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT,
        scope: 'openid profile eduinfo',
        state: 'x',
      }),
    );
    const tokens = await client.authorizationCodeGrant(config, callback, { expectedState: 'x' });
    const userinfo = () =>
      fetch(`${cloud.url}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const profile = () =>
      fetch(`${cloud.url}/moeresource/api/v1/oidc/profile`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
    expect((await userinfo()).status).toBe(200);
    expect((await profile()).status).toBe(200);
    await cloud.services.accounts.setState(accountId, 'suspended');
    try {
      const [info, resource] = await Promise.all([userinfo(), profile()]);
      expect(info.status).toBe(401);
      expect(resource.status).toBe(401);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token ?? '')).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    } finally {
      await cloud.services.accounts.setState(accountId, 'active');
    }
    expect(await (await userinfo()).json()).toMatchObject({ sub: accountId, name: '吳弘凱' });
  });

  it('reads an account with its identities for the provider the way CloudAccounts reads each', async () => {
    const row = await cloud.services.db
      .selectFrom('cloud_accounts')
      .selectAll()
      .where('id', '=', accountId)
      .executeTakeFirstOrThrow();
    expect(cloudAccountFromRow(row)).toEqual(await cloud.services.accounts.byId(accountId));
    expect(await cloud.services.accounts.withIdentities(accountId)).toEqual({
      account: await cloud.services.accounts.byId(accountId),
      identities: await cloud.services.accounts.identities(accountId),
    });
  });
});

describe('re-authentication at the cloud (prompt=login, max_age, auth_time)', () => {
  const seconds = () => Math.floor(Date.now() / 1000);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /**
   * One authorization in `browser`: notes whether the cloud asked for the password (and when it
   * was given), then returns the ID token's claims.
   */
  async function walk(browser: CookieBrowser, extra: Record<string, string> = {}) {
    const config = await discover();
    const { url, grant } = await codeFlow(config, 'openid profile', extra);
    let passwordAt: number | undefined;
    const callback = await authorize(browser, url, () => {
      passwordAt = seconds();
    });
    const tokens = await grant(callback, extra.max_age !== undefined ? Number(extra.max_age) : undefined);
    const claims = tokens.claims();
    if (!claims) throw new Error('no ID token');
    return { claims, passwordAt };
  }

  it('gives the time of the password check as auth_time when a live cloud session signs a client in', async () => {
    const browser = new CookieBrowser();
    const login = await browser.follow(`${cloud.url}/login`);
    const passwordAt = seconds();
    await submit(browser, login, '/login', { name: 'tad0616', password: PASSWORD });
    const passwordDone = seconds();
    await pause(2100);
    // max_age asks for auth_time in the ID token.
    const later = await walk(browser, { max_age: '3600' });
    expect(later.passwordAt).toBeUndefined();
    expect(later.claims.auth_time).toBeGreaterThanOrEqual(passwordAt);
    expect(later.claims.auth_time).toBeLessThanOrEqual(passwordDone);
    expect(later.claims.iat - (later.claims.auth_time as number)).toBeGreaterThanOrEqual(2);
    // The provider's own session keeps it for the next client request.
    const again = await walk(browser, { max_age: '3600' });
    expect(again.claims.auth_time).toBe(later.claims.auth_time);
  });

  it('asks for the password again at prompt=login and max_age=0, even right after signing in', async () => {
    const browser = new CookieBrowser();
    const first = await walk(browser, { max_age: '3600' });
    await pause(1100);
    const asks: Array<Record<string, string>> = [
      { prompt: 'login' },
      { max_age: '0' },
      { prompt: 'login', max_age: '60' },
    ];
    for (const extra of asks) {
      const again = await walk(browser, extra);
      expect([extra, again.passwordAt !== undefined]).toEqual([extra, true]);
      expect(again.claims.auth_time).toBeGreaterThanOrEqual(again.passwordAt as number);
      expect(again.claims.auth_time).toBeGreaterThan(first.claims.auth_time as number);
    }
  });

  it('asks again when max_age has passed since the sign-in', async () => {
    const browser = new CookieBrowser();
    await walk(browser);
    await pause(2100);
    const stale = await walk(browser, { max_age: '1' });
    expect(stale.passwordAt).toBeDefined();
    expect(stale.claims.auth_time).toBeGreaterThanOrEqual(stale.passwordAt as number);
  });
});
