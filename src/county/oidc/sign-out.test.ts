// Sign-out and revocation at the county provider, seen by a relying party: the portal's 登出 ends
// the provider session and posts a logout token the relying party's back-channel receiver accepts
// once (a replayed, altered or misaddressed one is refused); a password change revokes every
// session, grant and token of the account.

import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import {
  BackchannelLogoutReceiver,
  type LogoutRequest,
  mountBackchannelLogout,
} from '../../platform/oidc/index.ts';
import { adminOrigin } from '../../platform/runtime/roles.ts';
import { CookieBrowser, formOf } from '../../platform/testing/cookie-browser.ts';
import { freePort } from '../../platform/testing/ports.ts';
import { startListeningCounty } from '../testing/oidc.ts';
import type { CountyTestApp } from '../testing.ts';

const ADMIN_TOKEN = 'county-sign-out-test-admin-token-0123456789';
const REDIRECT = 'http://127.0.0.1:9/callback';

let county: CountyTestApp;
let origin: string;
let issuer: string;
let rp: FastifyInstance;
let rpUrl: string;
let clientId: string;
let config: client.Configuration;
const received: string[] = [];
const logouts: LogoutRequest[] = [];

function receiver(audience: string) {
  return new BackchannelLogoutReceiver({
    db: county.ctx.db,
    log: createLogger('silent'),
    issuer: async (iss) =>
      iss === issuer ? { issuer, audience, jwksUri: `${issuer}/oidc/v1/jwksets` } : undefined,
    async handle(_tx, logout) {
      logouts.push(logout);
      return undefined;
    },
  });
}

beforeAll(async () => {
  ({ county, origin } = await startListeningCounty({
    adminToken: ADMIN_TOKEN,
    secret: 'county-sign-out-test-installation-secret',
  }));
  issuer = `${origin}/cyc`;

  // The relying party's back-channel logout endpoint (it keeps each token it is sent).
  const rpPort = await freePort();
  rpUrl = `http://127.0.0.1:${rpPort}`;
  rp = Fastify();
  await rp.register(formbody);
  rp.addHook('preHandler', async (request) => {
    const token = (request.body as Record<string, string> | undefined)?.logout_token;
    if (token) received.push(token);
  });
  // The admin API is served by the role's admin listener, not on its public port.
  const response = await fetch(`${adminOrigin(county.ctx.config, 'county')}/admin/api/oidc/cyc/clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: '學校應用',
      redirect_uris: [REDIRECT],
      backchannel_logout_uri: `${rpUrl}/backchannel-logout`,
      scopes: ['openid', 'profile'],
    }),
  });
  expect(response.status).toBe(201);
  const created = (await response.json()) as { client_id: string; client_secret: string };
  clientId = created.client_id;
  await mountBackchannelLogout(rp, '/backchannel-logout', receiver(clientId));
  await rp.listen({ port: rpPort, host: '127.0.0.1' });
  config = await client.discovery(
    new URL(issuer),
    clientId,
    {},
    client.ClientSecretBasic(created.client_secret),
    { execute: [client.allowInsecureRequests] },
  );
});

afterAll(async () => {
  await rp?.close();
  await county?.close();
});

/** Signs in (the county login form) and returns the tokens of the code flow. */
async function signIn(browser: CookieBrowser, username: string, password = DEMO_PASSWORD) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  let step = await browser.follow(url, { stopBefore: REDIRECT });
  if (step.text.includes('name="username"')) {
    const form = formOf(step.text, step.url);
    step = await browser.follow(form.action, {
      stopBefore: REDIRECT,
      form: { ...form.fields, username, password },
    });
  }
  if (step.text.includes('name="decision"')) {
    const form = formOf(step.text, step.url);
    step = await browser.follow(form.action, {
      stopBefore: REDIRECT,
      form: { ...form.fields, decision: 'allow' },
    });
  }
  expect(step.url.href.startsWith(REDIRECT), step.text.slice(0, 300)).toBe(true);
  return client.authorizationCodeGrant(config, step.url, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
}

/**
 * An authorization without a login form: the code, or the error the client gets (`prompt=none`),
 * or `login form` when one shows (without `prompt=none`).
 */
async function silent(browser: CookieBrowser, prompt: 'none' | 'default' = 'none'): Promise<string> {
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile',
    ...(prompt === 'none' ? { prompt } : {}),
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const step = await browser.follow(url, { stopBefore: REDIRECT });
  if (step.text.includes('name="password"')) return 'login form';
  const answer = step.url.searchParams;
  return answer.get('error') ?? (answer.get('code') ? 'code' : `no answer: ${step.text.slice(0, 200)}`);
}

/** The form token of a portal page (the session's own once signed in). */
async function formToken(browser: CookieBrowser, path: string): Promise<string> {
  const page = await browser.follow(`${origin}${path}`, { stopBefore: 'never' });
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!token) throw new Error(`no form token on ${path}: ${page.text.slice(0, 300)}`);
  return token;
}

const userinfo = (token: string) =>
  fetch(`${issuer}/oidc/v1/userinfo`, { headers: { authorization: `Bearer ${token}` } });

const postLogoutToken = (token: string) =>
  fetch(`${rpUrl}/backchannel-logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }),
  });

describe('county sign-out at a relying party', () => {
  it('登出 ends the provider session; the logout token is accepted once, and refused altered or misaddressed', async () => {
    const browser = new CookieBrowser();
    const tokens = await signIn(browser, 'teacher01');
    const sid = tokens.claims()?.sid;
    expect(typeof sid).toBe('string');
    expect(await silent(browser)).toBe('code');
    expect((await userinfo(tokens.access_token)).status).toBe(200);

    const before = received.length;
    const csrf = await formToken(browser, '/cyc');
    const page = await browser.follow(`${origin}/cyc/logout`, { stopBefore: 'never', form: { _csrf: csrf } });
    expect(page.text).toContain('您已登出');
    expect(page.text).toContain('學校應用');

    // The relying party was told, with the session of its ID token.
    expect(received.length).toBe(before + 1);
    const token = received.at(-1) as string;
    const logout = logouts.at(-1);
    expect(logout).toMatchObject({ issuer, sid, sub: tokens.claims()?.sub });

    // The browser is signed out of the provider and its token stops working.
    expect(await silent(browser)).toBe('login_required');
    expect((await userinfo(tokens.access_token)).status).toBe(401);

    // Replayed: refused (the sessions of a jti end once).
    const replay = await postLogoutToken(token);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('invalid_request');
    expect(logouts.length).toBe(received.length - 1);

    // Altered (another subject): the signature no longer holds.
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'someone-else', jti: 'new' })).toString(
      'base64url',
    );
    expect((await postLogoutToken(`${header}.${forged}.${signature}`)).status).toBe(400);

    // Addressed to another client: refused there.
    expect(await receiver('another-client').receive(token)).toMatchObject({ ok: false });
    expect((await postLogoutToken('not-a-jwt')).status).toBe(400);
    expect(logouts.length).toBe(1);
  });

  it('a password change revokes every session, grant, refresh token and access token of the account', async () => {
    const laptop = new CookieBrowser();
    const shared = new CookieBrowser();
    const first = await signIn(laptop, 'teacher01');
    const second = await signIn(shared, 'teacher01');
    expect(first.refresh_token).toBeTruthy();
    const before = received.length;

    const csrf = await formToken(laptop, '/cyc/account/password');
    const changed = await laptop.follow(`${origin}/cyc/account/password`, {
      stopBefore: 'never',
      form: {
        _csrf: csrf,
        current_password: DEMO_PASSWORD,
        password: 'Another long pass 2026',
        password_confirm: 'Another long pass 2026',
      },
    });
    expect(changed.text).toContain('密碼已變更');

    for (const tokens of [first, second]) {
      expect((await userinfo(tokens.access_token)).status).toBe(401);
      await expect(client.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toMatchObject({
        error: 'invalid_grant',
      });
    }
    // Both provider sessions ended and the relying party heard of each.
    expect(received.length).toBe(before + 2);
    expect(new Set(logouts.slice(-2).map((l) => l.sid))).toEqual(
      new Set([first.claims()?.sid, second.claims()?.sid]),
    );
    // Both browsers are signed out of the provider; the other computer of the portal too, while
    // this one keeps its portal session, which signs it in again without a password.
    expect(await silent(shared)).toBe('login_required');
    expect(await silent(shared, 'default')).toBe('login form');
    expect(await silent(laptop)).toBe('login_required');
    expect(await silent(laptop, 'default')).toBe('code');
  });
});
