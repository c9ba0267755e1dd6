import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../platform/federation/seed-data.ts';
import { CookieBrowser, formOf } from '../platform/testing/cookie-browser.ts';
import type { FaultProxy } from '../platform/testing/fault-proxy.ts';
import { HAPROXY, HaproxyFront, haproxyAvailable } from '../platform/testing/haproxy.ts';
import { freePort } from '../platform/testing/ports.ts';
import { type ProcessStage, postgresAndRedis, processStage } from '../platform/testing/process-stage.ts';
import { RoleProcess } from '../platform/testing/role-process.ts';
import { missingService } from '../platform/testing/services.ts';
import { authorizationRequest } from './testing/oidc.ts';
import { type CountyNodes, countyNodeEnv, startTwoCountyNodes } from './testing/two-nodes.ts';

// Two county nodes (`edugate start --role county`, a process each) on one PostgreSQL database and
// one Redis, behind a real HAProxy that health-checks /readyz, as docs/OPERATIONS.md sets them up.
// A teacher is half-way through signing in to the portal, and an application half-way through an
// OIDC authorization code flow, when the node serving them is killed (SIGKILL): the other node
// finishes both, and HAProxy takes the dead node out.

const services = await postgresAndRedis();
const haproxy = haproxyAvailable();
if (!haproxy) missingService('HAProxy', `${HAPROXY} not found (apt-get install haproxy)`);

const RP_REDIRECT = 'https://rp.test/callback';

describe.runIf(services && haproxy)('two county nodes behind HAProxy', () => {
  let stage: ProcessStage;
  let front: HaproxyFront;
  const nodes: CountyNodes = { a: undefined, b: undefined };
  let env: Record<string, string>;
  let database: FaultProxy;

  beforeAll(async () => {
    stage = await processStage('edugate_lb', { ownRedisDatabase: true });
    database = stage.database;
    const publicPort = await freePort();
    env = countyNodeEnv(stage, {
      EDUGATE_COUNTY_URL: `http://127.0.0.1:${publicPort}`,
      EDUGATE_READINESS_TIMEOUT_MS: '500',
      LOG_FORMAT: 'json',
    });
    // Node a reaches PostgreSQL through a proxy that can refuse it.
    await startTwoCountyNodes(stage, env, nodes);
    const [a, b] = [nodes.a as RoleProcess, nodes.b as RoleProcess];
    front = await HaproxyFront.start(
      { a: new URL(a.base).host, b: new URL(b.base).host },
      { balance: 'first', port: publicPort },
    );
    await front.until('a', 'UP');
    await front.until('b', 'UP');
  }, 180_000);
  afterAll(async () => {
    await front?.close();
    await Promise.all([nodes.a?.stop('SIGKILL'), nodes.b?.stop('SIGKILL')]);
    await stage?.close();
  });

  /** Follows redirects through HAProxy like a browser, noting the node of each answer. */
  const walk = async (
    browser: CookieBrowser,
    url: string | URL,
    served: string[],
    init: { form?: Record<string, string> } = {},
  ) => {
    let current = new URL(url);
    let response = await browser.request(current, init);
    for (let hops = 0; hops < 20; hops++) {
      served.push(response.headers.get('x-served-by') ?? '?');
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) break;
      current = new URL(location, current);
      if (current.href.startsWith(RP_REDIRECT)) return { url: current, status: response.status, text: '' };
      response = await browser.request(current);
    }
    return { url: current, status: response.status, text: await response.text() };
  };
  it('finishes a portal sign-in and an OIDC code flow on the other node when one dies mid-flow', async () => {
    const a = nodes.a as RoleProcess;
    const b = nodes.b as RoleProcess;
    const registered = await fetch(`${a.adminBase}/admin/api/oidc/cyc/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.EDUGATE_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '校務系統', redirect_uris: [RP_REDIRECT], scopes: ['openid', 'profile'] }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    const rp = (await registered.json()) as { client_id: string; client_secret: string };

    // Both flows start on node a: the portal's login page, and the RP's authorization request up to
    // the login page of its interaction.
    const before: string[] = [];
    const teacher = new CookieBrowser();
    const loginPage = await walk(teacher, `${front.url}/cyc/login`, before);
    expect(loginPage.text).toContain('name="username"');
    const app = new CookieBrowser();
    const state = randomBytes(8).toString('hex');
    const authorize = authorizationRequest(`${front.url}/cyc`, {
      client_id: rp.client_id,
      redirect_uri: RP_REDIRECT,
      state,
    });
    const interaction = await walk(app, authorize, before);
    expect(interaction.text).toContain('name="username"');
    expect(new Set(before)).toEqual(new Set(['a']));

    expect(await a.stop('SIGKILL')).toBeNull();

    // The rest on node b, with the sessions, CSRF tokens and interaction node a started.
    const after: string[] = [];
    const loginForm = formOf(loginPage.text, loginPage.url);
    const portal = await walk(teacher, loginForm.action, after, {
      form: { ...loginForm.fields, username: 'teacher01', password: DEMO_PASSWORD },
    });
    expect(portal.status).toBe(200);
    expect(portal.text).toContain('teacher01');
    expect(portal.text).not.toContain('name="password"');

    const interactionForm = formOf(interaction.text, interaction.url);
    let step = await walk(app, interactionForm.action, after, {
      form: { ...interactionForm.fields, username: 'teacher01', password: DEMO_PASSWORD },
    });
    if (!step.url.href.startsWith(RP_REDIRECT)) {
      const consent = formOf(step.text, step.url);
      step = await walk(app, consent.action, after, { form: { ...consent.fields, decision: 'allow' } });
    }
    expect(step.url.href.startsWith(RP_REDIRECT), step.text.slice(0, 400)).toBe(true);
    expect(step.url.searchParams.get('state')).toBe(state);
    const code = step.url.searchParams.get('code') ?? '';
    const token = await fetch(`${front.url}/cyc/oidc/v1/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${rp.client_id}:${rp.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: RP_REDIRECT }),
    });
    after.push(token.headers.get('x-served-by') ?? '?');
    expect(token.status).toBe(200);
    const tokens = (await token.json()) as { access_token: string; id_token: string };
    const userinfo = await fetch(`${front.url}/cyc/oidc/v1/userinfo`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(userinfo.status).toBe(200);
    expect(await userinfo.json()).toMatchObject({ name: '王小明' });
    expect(new Set(after)).toEqual(new Set(['b']));

    // HAProxy's health checks take the dead node out; the live one stays in and ready.
    await front.until('a', 'DOWN', 5000);
    expect((await front.states()).b).toBe('UP');
    expect((await fetch(`${front.url}/readyz`)).status).toBe(200);
    expect(b.exited, b.output).toBe(false);
  });

  it('keeps a node restarted during a database outage out of rotation until the database is back', async () => {
    await database.refuse();
    const a = await RoleProcess.start(
      'county',
      { ...env, DATABASE_URL: stage.env.DATABASE_URL ?? '' },
      nodes.a,
    );
    nodes.a = a;
    // Waiting for its database: alive, not ready, so HAProxy leaves it out and node b serves.
    await a.until(200, '/healthz', 20_000);
    expect(await a.status('/readyz')).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await front.states()).a).toBe('DOWN');
    const served = await fetch(`${front.url}/cyc/login`);
    expect(served.status).toBe(200);
    expect(served.headers.get('x-served-by')).toBe('b');

    await database.heal();
    await a.until(200, '/readyz', 30_000);
    await front.until('a', 'UP', 5000);
    // `first` balancing: node a takes the traffic again.
    const back = await fetch(`${front.url}/cyc/login`);
    expect(back.status).toBe(200);
    expect(back.headers.get('x-served-by')).toBe('a');
  });
});
