import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAdminCommand } from '../../cli/run.ts';
import { nationalIdGuid } from '../../identity/index.ts';
import { DEMO_CLIENTS, demoClientSecret } from '../../platform/federation/clients.ts';
import { DEMO_COUNTY_ACCOUNTS, DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { clientCommand, DISCOVERY_PATH, keysCommand, OIDC_ROUTES } from '../../platform/oidc/index.ts';
import { adminOrigin } from '../../platform/runtime/roles.ts';
import { CookieBrowser, formOf } from '../../platform/testing/cookie-browser.ts';
import { identityClaims } from '../accounts/claims.ts';
import { ReleasableAccounts } from '../accounts/releasable.ts';
import { findAccountById } from '../accounts/repository.ts';
import type { AccountState } from '../schema.ts';
import { startListeningCounty } from '../testing/oidc.ts';
import type { CountyTestApp } from '../testing.ts';
import { countyClaims } from './accounts.ts';
import { COUNTY_SCOPES } from './scopes.ts';

const TEACHER01 = DEMO_COUNTY_ACCOUNTS.find((a) => a.username === 'teacher01')!;
const CYCADMIN = DEMO_COUNTY_ACCOUNTS.find((a) => a.username === 'cycadmin')!;
const ADMIN_TOKEN = 'county-oidc-test-admin-token-0123456789';

let county: CountyTestApp;
let origin: string;
let issuer: string;
let cloudRedirect: string;

beforeAll(async () => {
  ({ county, origin } = await startListeningCounty({
    adminToken: ADMIN_TOKEN,
    secret: 'county-oidc-test-installation-secret',
    registrationToken: 'county-dcr-token',
  }));
  issuer = `${origin}/cyc`;
  cloudRedirect = `http://cloud.test${DEMO_CLIENTS.cloudAtCounty.redirectPath}`;
});

afterAll(async () => {
  await county?.close();
});

const discover = (clientId: string, auth: client.ClientAuth, at = issuer) =>
  client.discovery(new URL(at), clientId, {}, auth, { execute: [client.allowInsecureRequests] });

const cloudConfig = (tenant = 'cyc') =>
  discover(
    DEMO_CLIENTS.cloudAtCounty.clientId,
    client.ClientSecretBasic(demoClientSecret(county.ctx.secrets.secret, `cloud-at-${tenant}`)),
    `${origin}/${tenant}`,
  );

/** The county login page of an interaction: fills 帳號 and 密碼 and submits. */
async function passLogin(
  browser: CookieBrowser,
  step: { url: URL; text: string },
  stopAt: string,
  username: string,
) {
  expect(step.text).toContain('使用者登入');
  const form = formOf(step.text, step.url);
  return browser.follow(form.action, {
    stopBefore: stopAt,
    form: { ...form.fields, username, password: DEMO_PASSWORD },
  });
}

/** A browser signed in to the county portal with the login form (no relying party involved). */
async function signedInAtPortal(username: string, browser = new CookieBrowser()): Promise<CookieBrowser> {
  const loginPage = await browser.follow(`${issuer}/login`, { stopBefore: 'never:' });
  const form = formOf(loginPage.text, loginPage.url);
  await browser.follow(form.action, {
    stopBefore: 'never:',
    form: { ...form.fields, username, password: DEMO_PASSWORD },
  });
  return browser;
}

async function authorize(
  config: client.Configuration,
  redirectUri: string,
  scope: string,
  options: { browser?: CookieBrowser; username?: string } = {},
) {
  const browser = options.browser ?? new CookieBrowser();
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  let step = await browser.follow(url, { stopBefore: redirectUri });
  let consent: string | undefined;
  if (!step.url.href.startsWith(redirectUri) && step.text.includes('name="username"')) {
    step = await passLogin(browser, step, redirectUri, options.username ?? 'teacher01');
  }
  if (!step.url.href.startsWith(redirectUri) && step.text.includes('name="decision"')) {
    consent = step.text;
    const form = formOf(step.text, step.url);
    step = await browser.follow(form.action, {
      stopBefore: redirectUri,
      form: { ...form.fields, decision: 'allow' },
    });
  }
  return { browser, step, verifier, state, nonce, consent };
}

async function tokensFor(
  config: client.Configuration,
  redirectUri: string,
  scope: string,
  browser?: CookieBrowser,
) {
  const walk = await authorize(config, redirectUri, scope, browser ? { browser } : {});
  expect(walk.step.url.href.startsWith(redirectUri), walk.step.text.slice(0, 400)).toBe(true);
  const tokens = await client.authorizationCodeGrant(config, walk.step.url, {
    pkceCodeVerifier: walk.verifier,
    expectedState: walk.state,
    expectedNonce: walk.nonce,
  });
  return { ...walk, tokens };
}

async function addClient(tenant: string, body: Record<string, unknown>) {
  // The admin API is served by the role's admin listener, not on its public port.
  const response = await fetch(
    `${adminOrigin(county.ctx.config, 'county')}/admin/api/oidc/${tenant}/clients`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    },
  );
  expect(response.status).toBe(201);
  return (await response.json()) as { client_id: string; client_secret: string };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('county OIDC provider (嘉義縣 /cyc, 臺南市 /tn)', () => {
  it('publishes one issuer per county with the SPEC §4 paths', async () => {
    for (const tenant of ['cyc', 'tn']) {
      const doc = (await (
        await fetch(`${origin}/${tenant}/.well-known/openid-configuration`)
      ).json()) as Record<string, unknown>;
      expect(doc).toMatchObject({
        issuer: `${origin}/${tenant}`,
        authorization_endpoint: `${origin}/${tenant}/oidc/v1/azp`,
        token_endpoint: `${origin}/${tenant}/oidc/v1/token`,
        userinfo_endpoint: `${origin}/${tenant}/oidc/v1/userinfo`,
        jwks_uri: `${origin}/${tenant}/oidc/v1/jwksets`,
        end_session_endpoint: `${origin}/${tenant}/oidc/v1/logout-to-go`,
      });
      expect(doc.scopes_supported).toEqual(
        expect.arrayContaining(['openid', 'profile', 'email', 'exchangedata', 'eduinfo', 'guid', 'personid']),
      );
    }
    const cyc = (await (await fetch(`${origin}/cyc/oidc/v1/jwksets`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    const tn = (await (await fetch(`${origin}/tn/oidc/v1/jwksets`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(cyc.keys[0]?.kid).not.toBe(tn.keys[0]?.kid);
  });

  it('logs a teacher in to the education cloud client with exchangedata (code flow + PKCE)', async () => {
    const config = await cloudConfig();
    const { tokens, consent } = await tokensFor(config, cloudRedirect, 'openid exchangedata');
    expect(consent).toContain('檢視您的網路認證資料');
    expect(consent).toContain('檢視您的個人資料交換內容');
    expect(consent).toContain('同意授權');
    expect(tokens).toMatchObject({ expires_in: 3600, scope: 'openid exchangedata' });
    const expected = {
      sub: TEACHER01.id,
      preferred_username: 'teacher01',
      name: '王小明',
      family_name: '王',
      given_name: '小明',
      email: TEACHER01.email,
      schoolid: '454503',
      titles: [{ schoolid: '454503', titles: ['教師', '資訊組長'] }],
      guid: nationalIdGuid(TEACHER01.nationalId),
    };
    expect(tokens.claims()).toMatchObject({
      ...expected,
      iss: issuer,
      aud: DEMO_CLIENTS.cloudAtCounty.clientId,
    });
    const info = await client.fetchUserInfo(config, tokens.access_token, TEACHER01.id);
    expect(info).toMatchObject(expected);
    expect(JSON.stringify(info)).not.toContain(TEACHER01.nationalId);
    expect(info).not.toHaveProperty('personid');
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(refreshed.claims()?.sub).toBe(TEACHER01.id);
  });

  it('serves the cncresource APIs by token scope', async () => {
    const config = await cloudConfig();
    const { tokens } = await tokensFor(config, cloudRedirect, 'openid eduinfo guid');
    // A GET with a bearer header is served ahead of the app's routing: same answer, same headers.
    const v1 = await fetch(`${issuer}/cncresource/api/v1/eduinfo`, bearer(tokens.access_token));
    expect(v1.status).toBe(200);
    expect(v1.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(v1.headers.get('cache-control')).toBe('no-store');
    expect(v1.headers.get('x-content-type-options')).toBe('nosniff');
    // Never a page: the short API security headers (what nothing may load, frame or sniff).
    expect(v1.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
    // Sent whole, with its length (not in chunks).
    const text = await v1.text();
    expect(v1.headers.get('content-length')).toBe(String(Buffer.byteLength(text)));
    expect(v1.headers.get('transfer-encoding')).toBeNull();
    const eduinfo = JSON.parse(text) as { titles: Array<{ titles: string[] }> };
    expect(eduinfo).toEqual({
      sub: TEACHER01.id,
      schoolid: '454503',
      titles: [{ schoolid: '454503', titles: ['教師', '資訊組長'] }],
      classinfo: [],
    });
    expect(eduinfo.titles[0]?.titles[0]).toBe('教師');
    const v2 = await fetch(`${issuer}/cncresource/api/v2/eduinfo`, {
      method: 'POST',
      ...bearer(tokens.access_token),
    });
    expect(await v2.json()).toMatchObject({
      schoolid: '454503',
      schoolname: '朴子國民中學',
      schools: [{ schoolid: '454503', schoolname: '朴子國民中學', titles: ['教師', '資訊組長'] }],
    });
    const guid = await fetch(`${issuer}/cncresource/api/v1/guid`, bearer(tokens.access_token));
    expect(await guid.json()).toEqual({ sub: TEACHER01.id, guid: nationalIdGuid(TEACHER01.nationalId) });

    // No personid scope on this token: refused, and the number is not in the answer.
    const personid = await fetch(`${issuer}/cncresource/api/v1/personid`, bearer(tokens.access_token));
    expect(personid.status).toBe(403);
    expect(personid.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(await personid.text()).not.toContain(TEACHER01.nationalId);
    const none = await fetch(`${issuer}/cncresource/api/v1/eduinfo`);
    expect(none.status).toBe(400);
    const forged = await fetch(`${issuer}/cncresource/api/v1/eduinfo`, bearer('not-a-token'));
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toBe('Bearer realm="edugate", error="invalid_token"');
    // The token in a form POST, as some deployed clients send it.
    const posted = await fetch(`${issuer}/cncresource/api/v1/eduinfo`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: tokens.access_token }).toString(),
    });
    expect(await posted.json()).toMatchObject({ sub: TEACHER01.id, schoolid: '454503' });
    expect(await forged.json()).toEqual({
      error: 'invalid_token',
      error_description: 'invalid token provided',
    });
    // A token of one county is worthless at another.
    const elsewhere = await fetch(`${origin}/tn/cncresource/api/v1/eduinfo`, bearer(tokens.access_token));
    expect(elsewhere.status).toBe(401);
  });

  it('refuses the tokens of a client the county disabled, at userinfo and the resource APIs', async () => {
    const app = await addClient('cyc', {
      name: '停用測試',
      redirect_uris: ['https://off.example.org/cb'],
      scopes: ['openid', 'eduinfo'],
    });
    const config = await discover(app.client_id, client.ClientSecretPost(app.client_secret));
    const { tokens } = await tokensFor(config, 'https://off.example.org/cb', 'openid eduinfo');
    const eduinfo = () => fetch(`${issuer}/cncresource/api/v1/eduinfo`, bearer(tokens.access_token));
    const userinfo = () => fetch(`${issuer}${OIDC_ROUTES.userinfo}`, bearer(tokens.access_token));
    expect((await eduinfo()).status).toBe(200);
    const answered = await userinfo();
    expect(answered.status).toBe(200);
    expect(answered.headers.get('content-security-policy')).toBe(
      "default-src 'none'; frame-ancestors 'none'",
    );
    // The same through the app's routes (inject), for discovery and for a page of the provider.
    const injected = await county.app.inject({ url: `/cyc${DISCOVERY_PATH}` });
    expect(injected.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    const page = await county.app.inject({ url: `/cyc${OIDC_ROUTES.authorization}?client_id=nobody` });
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    const disabled = await fetch(
      `${adminOrigin(county.ctx.config, 'county')}/admin/api/oidc/cyc/clients/${app.client_id}`,
      {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ disabled: true }),
      },
    );
    expect(disabled.status).toBe(200);
    expect((await eduinfo()).status).toBe(401);
    expect((await userinfo()).status).toBe(401);
  });

  it('releases personid only to a client explicitly allowed it', async () => {
    const allowed = await addClient('cyc', {
      name: '人事系統',
      redirect_uris: ['https://hr.example.org/cb'],
      scopes: ['openid', 'personid'],
    });
    const config = await discover(allowed.client_id, client.ClientSecretPost(allowed.client_secret));
    const { tokens } = await tokensFor(config, 'https://hr.example.org/cb', 'openid personid');
    const response = await fetch(`${issuer}/cncresource/api/v1/personid`, bearer(tokens.access_token));
    expect(await response.json()).toEqual({ sub: TEACHER01.id, personid: TEACHER01.nationalId });

    const cloud = await cloudConfig();
    const refused = await authorize(cloud, cloudRedirect, 'openid personid');
    expect(refused.step.url.searchParams.get('error')).toBe('invalid_scope');
    expect(refused.step.url.searchParams.get('code')).toBeNull();
  });

  it('answers exactly what the AxerZ PHP client sends and reads', async () => {
    const php = await addClient('cyc', {
      name: 'PHP 範例',
      redirect_uris: ['https://openid.zipko.info/callback.php'],
      scopes: ['openid', 'email', 'profile'],
    });
    const redirect = 'https://openid.zipko.info/callback.php';
    const browser = new CookieBrowser();
    const authorizeUrl =
      `${issuer}/oidc/v1/azp?response_type=code&client_id=${php.client_id}` +
      `&redirect_uri=${encodeURIComponent(redirect)}&scope=openid+email+profile&state=1:&nonce=`;
    let step = await browser.follow(authorizeUrl, { stopBefore: redirect });
    step = await passLogin(browser, step, redirect, 'teacher01');
    const consent = formOf(step.text, step.url);
    step = await browser.follow(consent.action, {
      stopBefore: redirect,
      form: { ...consent.fields, decision: 'allow' },
    });
    expect(step.url.searchParams.get('state')).toBe('1:');
    const code = step.url.searchParams.get('code') as string;
    expect(code).toBeTruthy();

    const token = await fetch(`${issuer}/oidc/v1/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${php.client_id}:${php.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirect,
      }).toString(),
    });
    expect(token.status).toBe(200);
    const acctoken = (await token.json()) as Record<string, unknown>;
    expect(acctoken).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    for (const field of ['access_token', 'id_token', 'refresh_token', 'scope']) {
      expect(typeof acctoken[field], field).toBe('string');
    }
    const userinfo = await fetch(`${issuer}/oidc/v1/userinfo`, bearer(acctoken.access_token as string));
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({
      sub: TEACHER01.id,
      name: '王小明',
      email: TEACHER01.email,
    });
  });

  it('signs a portal session in without the form, and signs out through userlogout', async () => {
    const browser = await signedInAtPortal('teacher01');
    const config = await cloudConfig();
    const walk = await authorize(config, cloudRedirect, 'openid exchangedata', { browser });
    expect(walk.step.url.searchParams.get('code')).toBeTruthy();
    const tokens = await client.authorizationCodeGrant(config, walk.step.url, {
      pkceCodeVerifier: walk.verifier,
      expectedState: walk.state,
      expectedNonce: walk.nonce,
    });
    const end = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: 'http://cloud.test/',
    });
    const confirm = await browser.follow(`${issuer}/oidc/v1/userlogout${end.search}`, {
      stopBefore: 'http://cloud.test/',
    });
    expect(confirm.text).toContain('是，登出');
    const logout = formOf(confirm.text, confirm.url);
    const done = await browser.follow(logout.action, {
      stopBefore: 'http://cloud.test/',
      form: { ...logout.fields, logout: 'yes' },
    });
    expect(done.url.href).toBe('http://cloud.test/');
    await expect(client.fetchUserInfo(config, tokens.access_token, TEACHER01.id)).rejects.toThrow();
  });

  it('reads a returning browser’s sign-in and account once, and asks for the password once the sign-in is ended elsewhere', async () => {
    const browser = await signedInAtPortal('teacher01');
    const config = await cloudConfig();
    expect(
      (await authorize(config, cloudRedirect, 'openid exchangedata', { browser })).step.url.href,
    ).toContain('code=');

    // Returning: the portal's session row and the account come in one read (or from this node's
    // copies of both), which the whole authorization uses (its prompts included).
    const withSignIn = vi.spyOn(ReleasableAccounts.prototype, 'withSignIn');
    const fresh = vi.spyOn(ReleasableAccounts.prototype, 'fresh');
    try {
      const again = await authorize(config, cloudRedirect, 'openid exchangedata', { browser });
      expect(again.step.url.searchParams.get('code')).toBeTruthy();
      expect(withSignIn).toHaveBeenCalledTimes(1);
      expect(fresh).not.toHaveBeenCalled();
    } finally {
      withSignIn.mockRestore();
      fresh.mockRestore();
    }

    // The sign-in ended on another device (its row revoked): the provider session no longer stands.
    await county.county.db
      .updateTable('county_account_sessions')
      .set({ revoked_at: new Date() })
      .where('account_id', '=', TEACHER01.id)
      .where('revoked_at', 'is', null)
      .execute();
    const silent = client.buildAuthorizationUrl(config, {
      redirect_uri: cloudRedirect,
      scope: 'openid exchangedata',
      prompt: 'none',
      code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    // As soon as the database announced it (the copies go on every node).
    const started = Date.now();
    let refused = await browser.follow(silent, { stopBefore: cloudRedirect });
    while (refused.url.searchParams.get('error') !== 'login_required' && Date.now() - started < 1000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      refused = await browser.follow(silent, { stopBefore: cloudRedirect });
    }
    expect(refused.url.searchParams.get('error')).toBe('login_required');
    const asked = await authorize(config, cloudRedirect, 'openid exchangedata', {
      browser: new CookieBrowser(),
    });
    expect(asked.step.url.searchParams.get('code')).toBeTruthy();
  });

  it('asks for the password again at prompt=login and max_age, and gives the password time as auth_time', async () => {
    const seconds = () => Math.floor(Date.now() / 1000);
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const config = await cloudConfig();
    /** One authorization: whether the password was asked (and when), and the ID token's claims. */
    const walk = async (browser: CookieBrowser, extra: Record<string, string>) => {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: cloudRedirect,
        scope: 'openid exchangedata',
        state,
        nonce,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...extra,
      });
      let step = await browser.follow(url, { stopBefore: cloudRedirect });
      let passwordAt: number | undefined;
      if (!step.url.href.startsWith(cloudRedirect) && step.text.includes('name="password"')) {
        passwordAt = seconds();
        // The page header of a signed-in portal has its sign-out form first: take the login form.
        const login =
          /<form[^>]*action="[^"]*\/interaction\/[^"]*\/login"[\s\S]*?<\/form>/.exec(step.text)?.[0] ?? '';
        const form = formOf(login, step.url);
        step = await browser.follow(form.action, {
          stopBefore: cloudRedirect,
          form: { ...form.fields, username: 'teacher01', password: DEMO_PASSWORD },
        });
      }
      if (!step.url.href.startsWith(cloudRedirect) && step.text.includes('name="decision"')) {
        const form = formOf(step.text, step.url);
        step = await browser.follow(form.action, {
          stopBefore: cloudRedirect,
          form: { ...form.fields, decision: 'allow' },
        });
      }
      expect(step.url.href.startsWith(cloudRedirect), `${step.url.href} ${step.text.slice(0, 1500)}`).toBe(
        true,
      );
      const tokens = await client.authorizationCodeGrant(config, step.url, {
        pkceCodeVerifier: verifier,
        expectedState: state,
        expectedNonce: nonce,
        ...(extra.max_age !== undefined ? { maxAge: Number(extra.max_age) } : {}),
      });
      return { passwordAt, claims: tokens.claims() as client.IDToken };
    };

    // Signed in at the portal; a client asks 2 s later: no form, auth_time is the portal sign-in.
    const browser = new CookieBrowser();
    const loginPage = await browser.follow(`${issuer}/login`, { stopBefore: 'never:' });
    const form = formOf(loginPage.text, loginPage.url);
    const portalAt = seconds();
    await browser.follow(form.action, {
      stopBefore: 'never:',
      form: { ...form.fields, username: 'teacher01', password: DEMO_PASSWORD },
    });
    const portalDone = seconds();
    await pause(2100);
    const sso = await walk(browser, { max_age: '3600' });
    expect(sso.passwordAt).toBeUndefined();
    expect(sso.claims.auth_time).toBeGreaterThanOrEqual(portalAt);
    expect(sso.claims.auth_time).toBeLessThanOrEqual(portalDone);
    expect(sso.claims.iat - (sso.claims.auth_time as number)).toBeGreaterThanOrEqual(2);

    // prompt=login, max_age=0, and a max_age the sign-in is older than: the password again.
    const asks: Array<Record<string, string>> = [{ prompt: 'login' }, { max_age: '0' }, { max_age: '1' }];
    let previous = sso.claims.auth_time as number;
    for (const extra of asks) {
      // Whole seconds: 2.1 s puts the last password check more than 1 s back (max_age=1).
      await pause(2100);
      const again = await walk(browser, extra);
      expect([extra, again.passwordAt !== undefined]).toEqual([extra, true]);
      expect(again.claims.auth_time).toBeGreaterThanOrEqual(again.passwordAt as number);
      expect(again.claims.auth_time).toBeGreaterThan(previous);
      previous = again.claims.auth_time as number;
    }
  });

  it('sends an incomplete profile to the profile check and refuses suspended accounts', async () => {
    const db = county.county.db;
    const config = await cloudConfig();
    const saved = await db
      .selectFrom('county_accounts')
      .select(['national_id_encrypted'])
      .where('id', '=', TEACHER01.id)
      .executeTakeFirstOrThrow();
    await db
      .updateTable('county_accounts')
      .set({ national_id_encrypted: null })
      .where('id', '=', TEACHER01.id)
      .execute();
    try {
      const walk = await authorize(config, cloudRedirect, 'openid exchangedata');
      expect(walk.step.url.pathname).toBe('/cyc/profile/check');
      const next = walk.step.url.searchParams.get('next') as string;
      expect(next).toMatch(/^\/cyc\/interaction\/[\w-]+\/continue$/);
    } finally {
      await db
        .updateTable('county_accounts')
        .set({ national_id_encrypted: saved.national_id_encrypted })
        .where('id', '=', TEACHER01.id)
        .execute();
    }

    const { tokens, browser } = await tokensFor(config, cloudRedirect, 'openid exchangedata guid');
    await db
      .updateTable('county_accounts')
      .set({ status: 'suspended' })
      .where('id', '=', TEACHER01.id)
      .execute();
    try {
      const refused = await authorize(config, cloudRedirect, 'openid exchangedata', { browser });
      expect(refused.step.status).toBe(403);
      expect(refused.step.text).toContain('帳號已暫停使用');
      expect(refused.step.url.href.startsWith(cloudRedirect)).toBe(false);
      // 回到應用程式 tells the application that the county refused the account, not that the
      // person cancelled.
      const back = formOf(refused.step.text, refused.step.url);
      const answer = await refused.browser.follow(back.action, {
        stopBefore: cloudRedirect,
        form: back.fields,
      });
      expect(answer.url.searchParams.get('error')).toBe('access_denied');
      expect(answer.url.searchParams.get('error_description')).toBe('account suspended');
      await expect(client.fetchUserInfo(config, tokens.access_token, TEACHER01.id)).rejects.toThrow();
      expect((await fetch(`${issuer}/cncresource/api/v1/guid`, bearer(tokens.access_token))).status).toBe(
        401,
      );
      await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    } finally {
      await db
        .updateTable('county_accounts')
        .set({ status: 'active' })
        .where('id', '=', TEACHER01.id)
        .execute();
    }
  });

  it('refuses the token of an account suspended or departed on the very next request', async () => {
    const db = county.county.db;
    const config = await cloudConfig();
    const { tokens } = await tokensFor(config, cloudRedirect, 'openid exchangedata guid');
    const setState = (state: AccountState) =>
      db.updateTable('county_accounts').set({ status: state }).where('id', '=', TEACHER01.id).execute();
    const userinfo = () => fetch(`${issuer}/oidc/v1/userinfo`, bearer(tokens.access_token));
    const guid = () => fetch(`${issuer}/cncresource/api/v1/guid`, bearer(tokens.access_token));
    try {
      for (const state of ['suspended', 'departed'] as const) {
        // Served a moment ago; nothing of it is kept for the next request.
        expect((await userinfo()).status).toBe(200);
        expect((await guid()).status).toBe(200);
        await setState(state);
        const [info, resource] = await Promise.all([userinfo(), guid()]);
        expect(info.status).toBe(401);
        expect(info.headers.get('www-authenticate')).toContain('invalid_token');
        expect(resource.status).toBe(401);
        await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
          error: 'invalid_grant',
        });
        await setState('active');
      }
      expect((await userinfo()).status).toBe(200);
    } finally {
      await setState('active');
    }
  });

  it('computes the claims of the scopes asked for, in the shapes of identityClaims', async () => {
    const account = await findAccountById(county.county.db, 'cyc', TEACHER01.id);
    if (!account) throw new Error('demo account missing');
    const identity = await identityClaims(county.county, account);
    expect(await countyClaims(county.county, account)).toEqual({
      sub: identity.sub,
      preferred_username: identity.preferred_username,
      name: identity.name,
      family_name: identity.family_name,
      given_name: identity.given_name,
      email: identity.email,
      email_verified: identity.email_verified,
      schoolid: identity.eduinfo.schoolid,
      titles: identity.eduinfo.titles,
      classinfo: [],
      guid: identity.guid,
      personid: identity.personid,
    });
    // The national ID is decrypted only for a token whose scopes release guid or personid.
    const decrypt = vi.spyOn(county.county.vault, 'decrypt');
    try {
      const config = await cloudConfig();
      const plain = await tokensFor(config, cloudRedirect, 'openid profile email');
      expect(await client.fetchUserInfo(config, plain.tokens.access_token, TEACHER01.id)).not.toHaveProperty(
        'guid',
      );
      expect(decrypt).not.toHaveBeenCalled();
      const withGuid = await tokensFor(config, cloudRedirect, 'openid guid');
      expect(await client.fetchUserInfo(config, withGuid.tokens.access_token, TEACHER01.id)).toMatchObject({
        guid: nationalIdGuid(TEACHER01.nationalId),
      });
      expect(decrypt).toHaveBeenCalled();
    } finally {
      decrypt.mockRestore();
    }
    // Every scope's claims are among those computed for it.
    for (const [scope, names] of Object.entries(COUNTY_SCOPES)) {
      const claims = await countyClaims(county.county, account, new Set(['sub', ...names]));
      for (const name of names) expect(claims, `${scope}: ${name}`).toHaveProperty(name);
    }
  });

  it('finds an account for its own county only, by a UUID subject', async () => {
    const accounts = new ReleasableAccounts(county.county.db);
    for (const read of [accounts.fresh.bind(accounts), accounts.current.bind(accounts)]) {
      expect(await read('cyc', TEACHER01.id)).toMatchObject({ username: 'teacher01' });
      expect(await read('tn', TEACHER01.id)).toBeUndefined();
      expect(await read('cyc', 'not-a-uuid')).toBeUndefined();
    }
  });

  it('refuses a wrong redirect URI and a wrong client secret', async () => {
    const url = `${issuer}/oidc/v1/azp?response_type=code&client_id=${DEMO_CLIENTS.cloudAtCounty.clientId}&redirect_uri=${encodeURIComponent('http://cloud.test/elsewhere')}&scope=openid&state=s`;
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    // The authorization endpoint's error is a page: a page's security headers.
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const bad = await discover(DEMO_CLIENTS.cloudAtCounty.clientId, client.ClientSecretBasic('wrong'));
    await expect(client.refreshTokenGrant(bad, 'whatever')).rejects.toMatchObject({ status: 401 });
  });
});

describe('county OIDC administration', () => {
  it('registers a client in the county admin console, showing its secret once', async () => {
    const browser = await signedInAtPortal(CYCADMIN.username);
    const consolePage = await browser.follow(`${issuer}/manage/oidc`, { stopBefore: 'never:' });
    expect(consolePage.text).toContain('OpenID 應用程式管理');
    expect(consolePage.text).toContain(DEMO_CLIENTS.cloudAtCounty.clientId);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(consolePage.text)?.[1] as string;
    const body = new URLSearchParams({
      _csrf: csrf,
      name: '校務行政系統',
      redirect_uris: 'https://school.example.org/oidc/cb',
      post_logout_redirect_uris: '',
    });
    for (const scope of ['openid', 'profile', 'eduinfo']) body.append('scope', scope);
    const created = await fetch(`${issuer}/manage/oidc/clients`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: browser.cookieHeader(new URL(`${issuer}/manage/oidc/clients`)),
        accept: 'text/html',
      },
      body: body.toString(),
    });
    const text = await created.text();
    expect(created.status).toBe(201);
    const clientId = /id="issued-client-id">([^<]+)</.exec(text)?.[1] as string;
    const secret = /id="issued-secret">([^<]+)</.exec(text)?.[1] as string;
    expect(secret.length).toBeGreaterThan(30);
    expect((await browser.follow(`${issuer}/manage/oidc`, { stopBefore: 'never:' })).text).not.toContain(
      secret,
    );
    const config = await discover(clientId, client.ClientSecretPost(secret));
    const { tokens } = await tokensFor(
      config,
      'https://school.example.org/oidc/cb',
      'openid profile eduinfo',
    );
    expect(tokens.scope).toBe('openid profile eduinfo');

    // A teacher may not open the console.
    const teacher = new CookieBrowser();
    const tlogin = await teacher.follow(`${issuer}/login`, { stopBefore: 'never:' });
    const tform = formOf(tlogin.text, tlogin.url);
    await teacher.follow(tform.action, {
      stopBefore: 'never:',
      form: { ...tform.fields, username: 'teacher01', password: DEMO_PASSWORD },
    });
    expect((await teacher.request(`${issuer}/manage/oidc`)).status).toBe(403);
  });

  it('adds a client and rotates keys from the CLI while the server runs', async () => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      out.push(String(line));
    });
    try {
      const code = await runAdminCommand(clientCommand, county.ctx.config, [
        'add',
        '--role',
        'county',
        '--tenant',
        'cyc',
        '--name',
        'CLI app',
        '--redirect-uri',
        'https://cli.example.org/cb',
        '--scope',
        'openid',
        '--scope',
        'email',
      ]);
      expect(code).toBe(0);
      const issued = JSON.parse(out.at(-1) as string) as { client_id: string; client_secret: string };
      expect(Object.keys(issued).sort()).toEqual(['client_id', 'client_secret']);
      const config = await discover(issued.client_id, client.ClientSecretBasic(issued.client_secret));
      const { tokens } = await tokensFor(config, 'https://cli.example.org/cb', 'openid email');
      expect(tokens.claims()?.email).toBe(TEACHER01.email);

      const before = (await (await fetch(`${issuer}/oidc/v1/jwksets`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      expect(
        await runAdminCommand(keysCommand, county.ctx.config, [
          'rotate',
          '--role',
          'county',
          '--tenant',
          'cyc',
        ]),
      ).toBe(0);
      const after = (await (await fetch(`${issuer}/oidc/v1/jwksets`)).json()) as {
        keys: Array<{ kid: string }>;
      };
      expect(after.keys).toHaveLength(before.keys.length + 1);
      expect(after.keys.slice(1).map((k) => k.kid)).toEqual(before.keys.map((k) => k.kid));
      const fresh = await tokensFor(config, 'https://cli.example.org/cb', 'openid');
      const header = JSON.parse(
        Buffer.from((fresh.tokens.id_token as string).split('.')[0] as string, 'base64url').toString(),
      );
      expect(header.kid).toBe(after.keys[0]?.kid);
    } finally {
      log.mockRestore();
    }
  });

  it('registers a client dynamically with the initial access token only', async () => {
    const metadata = JSON.stringify({ redirect_uris: ['https://dcr.example.org/cb'], client_name: 'DCR' });
    const endpoint = `${issuer}/oidc/v1/registration`;
    expect(
      (
        await fetch(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: metadata,
        })
      ).status,
    ).toBe(401);
    const created = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer county-dcr-token' },
      body: metadata,
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { client_id: string; client_secret: string };
    const config = await discover(body.client_id, client.ClientSecretBasic(body.client_secret));
    const { tokens } = await tokensFor(config, 'https://dcr.example.org/cb', 'openid');
    expect(tokens.claims()?.sub).toBe(TEACHER01.id);
  });

  it('never lets a registered client give itself personid: only an administrator grants it', async () => {
    const endpoint = `${issuer}/oidc/v1/registration`;
    const register = (metadata: Record<string, unknown>) =>
      fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer county-dcr-token' },
        body: JSON.stringify(metadata),
      });
    const greedy = await register({
      redirect_uris: ['https://dcr.example.org/cb'],
      client_name: '身分證字號收集器',
      scope: 'openid exchangedata personid',
    });
    expect(greedy.status).toBe(400);
    expect(await greedy.json()).toMatchObject({ error: 'invalid_client_metadata' });

    const created = await register({
      redirect_uris: ['https://dcr.example.org/cb'],
      client_name: '自行註冊',
    });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { client_id: string; client_secret: string };
    const config = await discover(body.client_id, client.ClientSecretBasic(body.client_secret));
    const asked = await authorize(config, 'https://dcr.example.org/cb', 'openid personid');
    expect(asked.consent).toBeUndefined();
    expect(asked.step.url.searchParams.get('error')).toBe('invalid_scope');
    expect(asked.step.url.searchParams.get('code')).toBeNull();

    // The county administrator grants personid to it (console or CLI): from then on it may ask.
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const code = await runAdminCommand(clientCommand, county.ctx.config, [
        'scopes',
        '--role',
        'county',
        '--tenant',
        'cyc',
        '--client-id',
        body.client_id,
        '--scope',
        'openid personid',
      ]);
      expect(code).toBe(0);
    } finally {
      log.mockRestore();
    }
    const again = await authorize(config, 'https://dcr.example.org/cb', 'openid personid');
    expect(again.consent).toContain('檢視您的身分證字號');
    expect(again.step.url.searchParams.get('code')).toBeTruthy();
  });
});
