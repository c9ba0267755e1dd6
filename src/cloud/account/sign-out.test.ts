import type { FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import type { LogoutRequest } from '../../platform/oidc/index.ts';
import { CookieBrowser, formOn, type PageResult } from '../../platform/testing/cookie-browser.ts';
import { freePort } from '../../platform/testing/ports.ts';
import { type CloudInstance, startCloudInstance } from '../testing/cloud-instance.ts';
import { type CountyPeer, connectCounty, startCountyPeer } from '../testing/county-peer.ts';
import { linkedAccount } from '../testing/database.ts';
import { authorizeAtCloud, logoutReceiverApp, submitForm } from '../testing/oidc-app.ts';
import { BrowserSessions } from './browser-sessions.ts';
import { ReleasableAccounts } from './releasable.ts';

const REDIRECT = 'http://127.0.0.1:9/callback';
const BYE = 'http://127.0.0.1:9/bye';
const PASSWORD = 'Sign-out-test-2026';
const SECRET = 'county-client-secret';

let cloud: CloudInstance;
let tn: CountyPeer;
let rp: FastifyInstance;
let config: client.Configuration;
let accountId: string;
const appLogouts: LogoutRequest[] = [];

beforeAll(async () => {
  const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
  cloud = await startCloudInstance(database);
  const { services } = cloud;
  tn = await startCountyPeer({
    clientId: 'educloud',
    clientSecret: SECRET,
    redirectUri: `${cloud.url}/cncreturnpage`,
    backchannelLogoutUri: `${cloud.url}/backchannel-logout/county`,
    postLogoutRedirectUri: `${cloud.url}/signed-out`,
    accounts: [{ id: 'tn-7', claims: { preferred_username: 'teacher07', name: '陳老師', guid: 'G7' } }],
  });
  await connectCounty(services.counties, { code: 'tn', name: '臺南市', peer: tn }, { clientSecret: SECRET });
  const account = await linkedAccount(
    services,
    { name: 'teacher07', familyName: '陳', givenName: '老師', password: PASSWORD, openid2Ids: [] },
    {
      countyCode: 'tn',
      issuer: tn.issuer,
      subject: 'tn-7',
      snapshot: { username: 'teacher07', email: null, schoolid: null },
    },
  );
  accountId = account.id;

  // A school app of the cloud, with its back-channel logout endpoint.
  const port = await freePort();
  const issued = await services.oidc!.clients.add({
    name: '學校應用程式',
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: [BYE],
    backchannelLogoutUri: `http://127.0.0.1:${port}/logout`,
    scopes: ['openid', 'profile'],
  });
  rp = await logoutReceiverApp(services.db, cloud.url, issued.client_id, appLogouts);
  await rp.listen({ port, host: '127.0.0.1' });
  config = await client.discovery(
    new URL(cloud.url),
    issued.client_id,
    issued.client_secret,
    client.ClientSecretBasic(issued.client_secret ?? ''),
    { execute: [client.allowInsecureRequests] },
  );
}, 60_000);

afterAll(async () => {
  await rp?.close();
  await cloud?.close();
  await tn?.close();
});

const submit = (browser: CookieBrowser, page: PageResult, action: string, form: Record<string, string>) =>
  submitForm(browser, page, action, form);

/** The school app's code flow in this browser (cloud password where asked); its tokens. */
async function appTokens(browser: CookieBrowser, app: client.Configuration = config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(app, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const callback = await authorizeAtCloud(browser, url, { name: 'teacher07', password: PASSWORD });
  return client.authorizationCodeGrant(app, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
}

/** `prompt=none` in this browser: `code` or the error the app gets. */
async function silent(browser: CookieBrowser): Promise<string> {
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    prompt: 'none',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const page = await browser.follow(url, { stopBefore: 'http://127.0.0.1:9/' });
  return page.url.searchParams.get('error') ?? (page.url.searchParams.get('code') ? 'code' : page.url.href);
}

const signedIn = async (browser: CookieBrowser) =>
  (await browser.follow(`${cloud.url}/account`)).url.pathname === '/account';

const userinfo = (token: string) =>
  fetch(`${cloud.url}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } });

const postCountyLogout = (token: string) =>
  fetch(`${cloud.url}/backchannel-logout/county`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  });

describe('cloud sign-out', () => {
  it("an app's RP-initiated logout at the cloud goes on to the county and ends on 「您已登出」, with the way back to the app", async () => {
    const browser = new CookieBrowser();
    expect((await browser.follow(`${cloud.url}/login/county/tn?return_to=%2Faccount`)).url.pathname).toBe(
      '/account',
    );
    const tokens = await appTokens(browser);
    expect(await silent(browser)).toBe('code');
    const heard = appLogouts.length;

    const end = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token as string,
      post_logout_redirect_uri: BYE,
      state: 'app-state-1',
    });
    // The cloud's confirmation (submitted by itself in a browser: the app's own ID token asks).
    const confirm = await browser.follow(end, { stopBefore: 'http://127.0.0.1:9/' });
    expect(confirm.text).toContain('op-logout-yes');
    const sent = formOn(confirm, '/oidc/v1/');
    // On to the county's end-session endpoint with the county's ID token; the county asks.
    const atCounty = await browser.follow(sent.action, {
      form: { ...sent.fields, logout: 'yes' },
      stopBefore: 'http://127.0.0.1:9/',
    });
    expect(atCounty.url.origin).toBe(new URL(tn.issuer).origin);
    expect(atCounty.text).toContain('op.logoutForm');
    const county = formOn(atCounty, '/session/end/confirm');
    const done = await browser.follow(county.action, {
      form: { ...county.fields, logout: 'yes' },
      stopBefore: 'http://127.0.0.1:9/',
    });
    expect(done.url.origin + done.url.pathname).toBe(`${cloud.url}/signed-out`);
    expect(done.text).toContain('您已登出');
    expect(done.text).toContain('學校應用程式');
    expect(done.text).toContain('臺南市');
    expect(done.text).toContain(`href="${BYE}?state=app-state-1"`);
    expect(done.text).toContain('返回 學校應用程式');

    // Everything in the chain ended: the cloud session, the app's silent sign-in, and the app heard.
    expect(await signedIn(browser)).toBe(false);
    expect(await silent(browser)).toBe('login_required');
    expect(appLogouts.length).toBeGreaterThan(heard);
  });

  it('reads a returning browser’s sign-in row and account once, and answers login_required once the row is ended elsewhere', async () => {
    const browser = new CookieBrowser();
    expect((await browser.follow(`${cloud.url}/login/county/tn?return_to=%2Faccount`)).url.pathname).toBe(
      '/account',
    );
    await appTokens(browser);
    // Returning: the cloud's session row, the account and its identities come in one read, which
    // the whole authorization uses; then from this node's copies, while neither changed.
    const along = vi.spyOn(ReleasableAccounts.prototype, 'withSignIn');
    const fresh = vi.spyOn(ReleasableAccounts.prototype, 'fresh');
    const read = vi.spyOn(BrowserSessions.prototype, 'signInWithAccount');
    try {
      expect(await silent(browser)).toBe('code');
      expect(along).toHaveBeenCalledTimes(1);
      expect(read.mock.calls.length).toBeLessThanOrEqual(1);
      read.mockClear();
      expect(await silent(browser)).toBe('code');
      expect(read).not.toHaveBeenCalled();
      expect(fresh).not.toHaveBeenCalled();
    } finally {
      along.mockRestore();
      fresh.mockRestore();
      read.mockRestore();
    }
    // The row ended elsewhere (the provider session itself left standing): the app must sign in again.
    await cloud.services.db
      .updateTable('cloud_sessions')
      .set({ revoked_at: new Date() })
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .execute();
    // As soon as the database announced it (the copies go on every node).
    const started = Date.now();
    while ((await silent(browser)) !== 'login_required') {
      if (Date.now() - started > 1000) throw new Error('the ended sign-in still authorizes after 1 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  });

  it("a county's back-channel logout ends the cloud sessions of that county session, once", async () => {
    const browser = new CookieBrowser();
    const other = new CookieBrowser();
    for (const b of [browser, other]) {
      const page = await b.follow(`${cloud.url}/login/county/tn?return_to=%2Faccount`);
      expect(page.url.pathname).toBe('/account');
    }
    await appTokens(browser);
    expect(await silent(browser)).toBe('code');
    const rows = await cloud.services.db
      .selectFrom('cloud_sessions')
      .select(['id', 'county_sid'])
      .where('account_id', '=', accountId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at')
      .execute();
    expect(rows).toHaveLength(2);
    const sid = rows[0]?.county_sid as string;
    expect(sid).toBeTruthy();

    // An altered token (another session) is refused and ends nothing.
    await tn.logout('tn-7', sid);
    const token = tn.logoutTokens.at(-1) as string;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sid: rows[1]?.county_sid, jti: 'x' })).toString(
      'base64url',
    );
    expect((await postCountyLogout(`${header}.${forged}.${signature}`)).status).toBe(400);
    expect(await signedIn(other)).toBe(true);

    // The genuine one ended this browser's cloud session and its provider session; the app heard.
    expect(await signedIn(browser)).toBe(false);
    expect(await silent(browser)).toBe('login_required');
    expect(appLogouts.at(-1)).toMatchObject({ issuer: cloud.url, sub: accountId });
    // Replayed: refused.
    const replay = await postCountyLogout(token);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({ error: 'invalid_request' });
    // The other browser (another county session) is still signed in.
    expect(await signedIn(other)).toBe(true);
    // A token for another audience (not this cloud's client id at the county): refused.
    await connectCounty(
      cloud.services.counties,
      { code: 'tn', name: '臺南市', peer: tn },
      { clientSecret: SECRET, clientId: 'someone-else' },
    );
    await expect(tn.logout('tn-7', rows[1]?.county_sid as string)).rejects.toThrow(/400/);
    expect(await signedIn(other)).toBe(true);
    await connectCounty(
      cloud.services.counties,
      { code: 'tn', name: '臺南市', peer: tn },
      { clientSecret: SECRET },
    );
  });

  it('a logout token the app cannot take while its receiver is down reaches it once it is back (job queue, backoff)', async () => {
    const port = await freePort();
    const issued = await cloud.services.oidc!.clients.add({
      name: '晚到的應用程式',
      redirectUris: [REDIRECT],
      backchannelLogoutUri: `http://127.0.0.1:${port}/logout`,
      scopes: ['openid', 'profile'],
    });
    const late = await client.discovery(
      new URL(cloud.url),
      issued.client_id,
      issued.client_secret,
      client.ClientSecretBasic(issued.client_secret ?? ''),
      { execute: [client.allowInsecureRequests] },
    );
    const browser = new CookieBrowser();
    const tokens = await appTokens(browser, late);
    const sid = tokens.claims()?.sid;
    expect(sid).toBeTruthy();

    // 登出 while nothing listens at the app's receiver: the sign-out goes through, the token waits.
    const page = await browser.follow(`${cloud.url}/logout`, { stopBefore: 'http://127.0.0.1:9/' });
    expect(page.text).toContain('您已登出');
    const queued = await cloud.services.db
      .selectFrom('jobs')
      .select(['state', 'payload'])
      .where('type', '=', 'oidc.backchannel_logout')
      .execute();
    expect(queued.filter((j) => JSON.stringify(j.payload).includes(issued.client_id))).toHaveLength(1);

    // The app comes back: the queue's next try delivers a fresh logout token for that session.
    const received: LogoutRequest[] = [];
    const app = await logoutReceiverApp(cloud.services.db, cloud.url, issued.client_id, received);
    await app.listen({ port, host: '127.0.0.1' });
    try {
      await expect
        .poll(
          async () => {
            await cloud.running.ctx.jobs.drain();
            return received.map((logout) => logout.sid);
          },
          { timeout: 15_000, interval: 250 },
        )
        .toEqual([sid]);
      const done = await cloud.services.db
        .selectFrom('jobs')
        .select('state')
        .where('type', '=', 'oidc.backchannel_logout')
        .execute();
      expect(done.map((j) => j.state)).toEqual(['done']);
    } finally {
      await app.close();
    }
  });

  it('a password change revokes every session, grant, refresh token and access token of the account', async () => {
    const laptop = new CookieBrowser();
    const shared = new CookieBrowser();
    const first = await appTokens(shared);
    const second = await appTokens(laptop);
    expect(first.refresh_token).toBeTruthy();
    expect((await userinfo(first.access_token)).status).toBe(200);
    const heard = appLogouts.length;

    const account = await laptop.follow(`${cloud.url}/account`);
    // The current password again is no change: refused, nothing revoked.
    const same = await submit(laptop, account, '/account/password', {
      current: PASSWORD,
      password: PASSWORD,
      password_confirm: PASSWORD,
    });
    expect(same.status).toBe(422);
    expect(same.text).toContain('新密碼必須與目前的密碼不同');
    expect((await userinfo(first.access_token)).status).toBe(200);
    const changed = await submit(laptop, same, '/account/password', {
      current: PASSWORD,
      password: 'A new long password 2026',
      password_confirm: 'A new long password 2026',
    });
    expect(changed.text).toContain('其他裝置上的登入已登出');

    for (const tokens of [first, second]) {
      expect((await userinfo(tokens.access_token)).status).toBe(401);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    }
    // The app heard of both sessions (and of any other session of the account still open).
    const sids = appLogouts.slice(heard).map((logout) => logout.sid);
    expect(sids).toEqual(expect.arrayContaining([first.claims()?.sid, second.claims()?.sid]));
    // The shared computer is signed out of the cloud; the laptop keeps its session.
    expect(await signedIn(shared)).toBe(false);
    expect(await silent(shared)).toBe('login_required');
    expect(await signedIn(laptop)).toBe(true);
  });

  it('登出其他所有裝置 on 登入中的裝置 signs the other browsers out of the cloud and its apps', async () => {
    const here = new CookieBrowser();
    const there = new CookieBrowser();
    // The password the previous test set.
    const password = 'A new long password 2026';
    for (const browser of [here, there]) {
      const login = await browser.follow(`${cloud.url}/login?return_to=%2Faccount`);
      const page = await submit(browser, login, '/login', { name: 'teacher07', password });
      expect(page.url.pathname).toBe('/account');
    }
    await appTokens(there);
    expect(await silent(there)).toBe('code');

    const sessions = await here.follow(`${cloud.url}/account/sessions`);
    expect(sessions.text).toContain('登入中的裝置');
    expect(sessions.text).toContain('目前使用中的裝置');
    // Times are Taiwan time: the sign-in a moment ago reads as now in Taipei.
    const shown = [...sessions.text.matchAll(/<td>(\d{4}-\d{2}-\d{2} \d{2}:\d{2})<\/td>/g)].map((m) =>
      Date.parse(`${(m[1] as string).replace(' ', 'T')}:00+08:00`),
    );
    expect(shown.length).toBeGreaterThan(0);
    for (const at of shown) expect(Math.abs(Date.now() - at)).toBeLessThan(3 * 60_000);
    const english = await here.follow(`${cloud.url}/account/sessions?lang=en`);
    expect(english.text).toMatch(/\d{2}:\d{2} \(UTC\+8\)/);
    const listed = sessions.text.match(/\/account\/sessions\/[^/"]+\/revoke/g) ?? [];
    expect(listed.length).toBeGreaterThanOrEqual(1);
    const heard = appLogouts.length;
    await submit(here, sessions, '/account/sessions/revoke-others', {});

    expect(await signedIn(there)).toBe(false);
    expect(await silent(there)).toBe('login_required');
    expect(appLogouts.length).toBeGreaterThan(heard);
    expect(await signedIn(here)).toBe(true);
  });

  it('登出 beside one device on 登入中的裝置 signs that browser out, and only it', async () => {
    const password = 'A new long password 2026';
    const signIn = async (browser: CookieBrowser) => {
      const login = await browser.follow(`${cloud.url}/login?return_to=%2Faccount`);
      await submit(browser, login, '/login', { name: 'teacher07', password });
    };
    const here = new CookieBrowser();
    await signIn(here);
    // The devices of the tests before are signed out first: one other device is listed.
    await submit(
      here,
      await here.follow(`${cloud.url}/account/sessions`),
      '/account/sessions/revoke-others',
      {},
    );
    const there = new CookieBrowser();
    await signIn(there);
    const sessions = await here.follow(`${cloud.url}/account/sessions`);
    const listed = sessions.text.match(/\/account\/sessions\/[^/"]+\/revoke/g) ?? [];
    expect(listed).toHaveLength(1);
    const page = await submit(here, sessions, listed[0] as string, {});
    expect(page.url.pathname).toBe('/account/sessions');
    expect(await signedIn(there)).toBe(false);
    expect(await signedIn(here)).toBe(true);
  });
});
