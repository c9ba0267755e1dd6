import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import pg from 'pg';
import { countyRole } from '../src/county/role.ts';
import { loadConfig } from '../src/platform/config/load.ts';
import { DEMO_CLIENTS } from '../src/platform/federation/clients.ts';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { createLogger } from '../src/platform/observability/logger.ts';
import { OIDC_ROUTES } from '../src/platform/oidc/paths.ts';
import { bootRole } from '../src/platform/runtime/boot.ts';
import { loadSecrets } from '../src/platform/runtime/secrets.ts';
import { CookieBrowser, formOf } from '../src/platform/testing/cookie-browser.ts';
import { freePort } from '../src/platform/testing/ports.ts';
import { postgresAvailable, TEST_DATABASE_URL } from '../src/platform/testing/services.ts';
import { BARE_TTL, mapAdapter } from './map-adapter.ts';
import { alternatingThroughput, type Workers } from './oidc-measure.ts';
import type { Figure } from './report.ts';

const REDIRECT = 'https://rp.bench.example/cb';
const SCOPE = 'openid profile email';

/** What the measured loops need from an issuer: a signed-in browser and a registered client. */
interface Target {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Cookie header of a browser that is signed in and has consented. */
  cookie: string;
  close(): Promise<void>;
}

const basic = (t: Target) => `Basic ${Buffer.from(`${t.clientId}:${t.clientSecret}`).toString('base64')}`;

async function token(t: Target, body: Record<string, string>) {
  const response = await fetch(`${t.issuer}${OIDC_ROUTES.token}`, {
    method: 'POST',
    headers: { authorization: basic(t), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body).toString(),
  });
  if (response.status !== 200)
    throw new Error(`token endpoint answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as { access_token: string; refresh_token: string };
}

/** One authorization with the existing session (no page shown) and its code exchange. */
async function codeFlow(t: Target) {
  const url = new URL(`${t.issuer}${OIDC_ROUTES.authorization}`);
  url.search = new URLSearchParams({
    client_id: t.clientId,
    response_type: 'code',
    scope: SCOPE,
    redirect_uri: REDIRECT,
    state: 'bench',
  }).toString();
  const response = await fetch(url, { redirect: 'manual', headers: { cookie: t.cookie } });
  const location = response.headers.get('location') ?? '';
  const code = new URL(location, t.issuer).searchParams.get('code');
  if (!code) throw new Error(`authorization did not return a code (${response.status} ${location})`);
  return token(t, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT });
}

async function userinfo(t: Target, accessToken: string) {
  const response = await fetch(`${t.issuer}${OIDC_ROUTES.userinfo}`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  if (response.status !== 200)
    throw new Error(
      `userinfo answered ${response.status}: ${await response.text()} ${response.headers.get('www-authenticate')}`,
    );
  await response.arrayBuffer();
}

/**
 * The county provider as deployed: the county role on its own PostgreSQL database (created for
 * the run, dropped after), the county login and consent pages.
 */
async function countyTarget(): Promise<Target> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const name = `edugate_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const databaseUrl = new URL(TEST_DATABASE_URL);
  databaseUrl.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-bench-'));
  const config = loadConfig(
    {},
    {
      dataDir,
      databaseUrl: databaseUrl.href,
      countyPort: port,
      countyUrl: origin,
      captcha: 'off',
      logLevel: 'silent',
    },
  );
  const running = await bootRole(countyRole, {
    config,
    secrets: loadSecrets(config, false),
    log: createLogger('silent'),
    demo: true,
    startJobs: false,
  });
  await running.app.listen({ port, host: '127.0.0.1' });
  const county = {
    app: running.app,
    ctx: running.ctx,
    async close() {
      await running.close();
      await admin.query(`drop database if exists ${name}`).catch(() => undefined);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  const issuer = `${origin}/cyc`;
  const response = await county.app.inject({
    method: 'POST',
    url: '/admin/api/oidc/cyc/clients',
    headers: { authorization: `Bearer ${county.ctx.secrets.adminToken}`, 'content-type': 'application/json' },
    payload: JSON.stringify({
      name: 'bench',
      redirect_uris: [REDIRECT],
      scopes: ['openid', 'profile', 'email'],
    }),
  });
  const issued = JSON.parse(response.body) as { client_id: string; client_secret: string };
  const browser = new CookieBrowser();
  const url = `${issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({
    client_id: issued.client_id,
    response_type: 'code',
    scope: SCOPE,
    redirect_uri: REDIRECT,
    state: 's',
  })}`;
  let step = await browser.follow(url, { stopBefore: REDIRECT });
  const login = formOf(step.text, step.url);
  step = await browser.follow(login.action, {
    stopBefore: REDIRECT,
    form: { ...login.fields, username: 'teacher01', password: DEMO_PASSWORD },
  });
  const consent = formOf(step.text, step.url);
  step = await browser.follow(consent.action, {
    stopBefore: REDIRECT,
    form: { ...consent.fields, decision: 'allow' },
  });
  if (!step.url.searchParams.get('code')) throw new Error('county sign-in for the bench failed');
  return {
    issuer,
    clientId: issued.client_id,
    clientSecret: issued.client_secret,
    cookie: browser.cookieHeader(new URL(`${issuer}${OIDC_ROUTES.authorization}`)),
    close: () => county.close(),
  };
}

/** The baseline: oidc-provider alone, in-memory storage, same paths, TTLs and token policy. */
async function bareTarget(): Promise<Target> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = DEMO_CLIENTS.cloudAtCounty.clientId;
  const clientSecret = 'bare-provider-bench-secret-0123456789abcdef';
  const provider = new Provider(issuer, {
    adapter: mapAdapter(),
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [REDIRECT],
        grant_types: ['authorization_code', 'refresh_token'],
        scope: SCOPE,
      },
    ],
    claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email', 'email_verified'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false }, resourceIndicators: { enabled: false } },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({
        sub,
        name: '王小明',
        preferred_username: 'teacher01',
        email: 't@example.org',
        email_verified: true,
      }),
    }),
    routes: OIDC_ROUTES,
    ttl: BARE_TTL,
    cookies: { keys: ['bench-cookie-key'] },
  });
  const callback = provider.callback();
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        const details = await provider.interactionDetails(req, res);
        const grant = new provider.Grant({ accountId: 'bench-user', clientId });
        grant.addOIDCScope(String(details.params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, {
          login: { accountId: 'bench-user' },
          consent: { grantId },
        });
      })();
      return;
    }
    void callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const target: Target = {
    issuer,
    clientId,
    clientSecret,
    cookie: '',
    close: async () => void server.close(),
  };
  const browser = new CookieBrowser();
  const step = await browser.follow(
    `${issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({ client_id: clientId, response_type: 'code', scope: SCOPE, redirect_uri: REDIRECT, state: 's' })}`,
    { stopBefore: REDIRECT },
  );
  if (!step.url.searchParams.get('code')) throw new Error('bare provider sign-in for the bench failed');
  target.cookie = browser.cookieHeader(new URL(`${issuer}${OIDC_ROUTES.authorization}`));
  return target;
}

/** Signed-in relying-party sessions, one per worker, and the loops the figures measure. */
async function loopsFor(t: Target, concurrency: number) {
  // Each worker refreshes its own refresh token, as separate relying-party sessions would.
  const sessions = await Promise.all(Array.from({ length: concurrency }, () => codeFlow(t)));
  for (let i = 0; i < 20; i++) await userinfo(t, sessions[0]?.access_token ?? '');
  const each = (once: (worker: number) => Promise<void>): Workers =>
    sessions.map((_, worker) => () => once(worker));
  return {
    code: each(async () => {
      await codeFlow(t);
    }),
    refresh: each(async (worker) => {
      await token(t, { grant_type: 'refresh_token', refresh_token: sessions[worker]?.refresh_token ?? '' });
    }),
    userinfo: each((worker) => userinfo(t, sessions[worker]?.access_token ?? '')),
  };
}

/**
 * The former in-process measurement, kept for the record beside oidc-county.ts (which measures
 * role processes from load processes): load loops, the bare provider and the county role all share
 * this process, so the figures weigh the load generator as much as the servers.
 * County OIDC provider on PostgreSQL (county role, database adapter, encrypted client secrets)
 * vs a bare in-memory oidc-provider measured in the same run, in alternating one-second slices:
 * authorization code flows (authorize with a signed-in session + code exchange), refresh_token
 * grants and userinfo calls.
 */
export async function benchOidcInProcess(
  seconds = Number(process.env.BENCH_SECONDS) || 9,
  concurrency = 16,
): Promise<Figure[]> {
  if (!(await postgresAvailable())) throw new Error('PostgreSQL is required (EDUGATE_TEST_DATABASE_URL)');
  const bare = await bareTarget();
  const county = await countyTarget().catch(async (error: unknown) => {
    await bare.close();
    throw error;
  });
  try {
    const base = await loopsFor(bare, concurrency);
    const ours = await loopsFor(county, concurrency);
    const code = await alternatingThroughput(seconds, base.code, ours.code);
    const refresh = await alternatingThroughput(seconds, base.refresh, ours.refresh);
    const info = await alternatingThroughput(seconds, base.userinfo, ours.userinfo);
    const figure = (name: string, measured: { baseline: number; ours: number }): Figure => ({
      name,
      value: measured.ours,
      unit: '/s',
      baseline: measured.baseline,
      baselineName: 'bare in-memory oidc-provider',
      target: 0.6,
    });
    return [
      figure(
        '[old, in-process] county OIDC authorization_code flows (authorize + token) on PostgreSQL',
        code,
      ),
      figure('[old, in-process] county OIDC refresh_token grants on PostgreSQL', refresh),
      figure('[old, in-process] county OIDC userinfo on PostgreSQL', info),
    ];
  } finally {
    await county.close();
    await bare.close();
  }
}
