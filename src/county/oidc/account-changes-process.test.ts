import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { CookieBrowser, formOf } from '../../platform/testing/cookie-browser.ts';
import { type ProcessStage, postgresAndRedis, processStage } from '../../platform/testing/process-stage.ts';
import type { RoleProcess } from '../../platform/testing/role-process.ts';
import { authorizationRequest } from '../testing/oidc.ts';
import { type CountyNodes, countyNodeEnv, startTwoCountyNodes } from '../testing/two-nodes.ts';

// Two county nodes (`edugate start --role county`, a process each) on one PostgreSQL database and
// one Redis. Each keeps the accounts and grants it serves tokens for in memory; a change of an
// account made anywhere (here: SQL on the database, as an operator or another node would) must
// stop or change what every node serves as soon as the database announced it: the time the
// notification takes to arrive (a millisecond or so; a request racing it is answered as one that
// came just before the change), never an expiry.

const services = await postgresAndRedis();
const RP = 'https://rp.test/callback';
/** How long the database's announcement may take to reach a node on this (busy, shared) machine. */
const ANNOUNCED_WITHIN_MS = 250;

/** Milliseconds until `check` holds, asked every few ms; fails after `ANNOUNCED_WITHIN_MS`. */
async function soon(check: () => Promise<boolean>): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ANNOUNCED_WITHIN_MS)
      throw new Error(`not seen within ${ANNOUNCED_WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return performance.now() - started;
}

describe.runIf(services)('an account changed while two county nodes serve its tokens', () => {
  let stage: ProcessStage;
  const nodes: CountyNodes = { a: undefined, b: undefined };
  let env: Record<string, string>;
  let rp: { client_id: string; client_secret: string };

  beforeAll(async () => {
    stage = await processStage('edugate_changes', { ownRedisDatabase: true });
    env = countyNodeEnv(stage, { LOG_LEVEL: 'warn' });
    // Node a reaches PostgreSQL through a proxy that can cut its connections.
    await startTwoCountyNodes(stage, env, nodes);
    const registered = await fetch(`${(nodes.a as RoleProcess).adminBase}/admin/api/oidc/cyc/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${env.EDUGATE_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '校務系統', redirect_uris: [RP], scopes: ['openid', 'profile'] }),
    });
    expect(registered.status, await registered.clone().text()).toBe(201);
    rp = (await registered.json()) as typeof rp;
  }, 180_000);
  afterAll(async () => {
    await Promise.all([nodes.a?.stop('SIGKILL'), nodes.b?.stop('SIGKILL')]);
    await stage?.close();
  });

  const authorizeAt = (node: RoleProcess) =>
    authorizationRequest(`${node.base}/cyc`, { client_id: rp.client_id, redirect_uri: RP, state: 's' });
  /** teacher01 signs in to the relying party at node a: its tokens, and the browser. */
  const tokensAtA = async () => {
    const a = nodes.a as RoleProcess;
    const browser = new CookieBrowser();
    const authorize = authorizeAt(a);
    let step = await browser.follow(authorize, { stopBefore: RP });
    const login = formOf(step.text, step.url);
    step = await browser.follow(login.action, {
      stopBefore: RP,
      form: { ...login.fields, username: 'teacher01', password: DEMO_PASSWORD },
    });
    if (!step.url.href.startsWith(RP)) {
      const consent = formOf(step.text.replace(/<form[^>]*logout[\s\S]*?<\/form>/g, ''), step.url);
      step = await browser.follow(consent.action, {
        stopBefore: RP,
        form: { ...consent.fields, decision: 'allow' },
      });
    }
    const code = step.url.searchParams.get('code');
    if (!code) throw new Error(`no code: ${step.url.href} ${step.text.slice(0, 300)}`);
    const token = await fetch(`${a.base}/cyc/oidc/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: RP }),
    });
    expect(token.status).toBe(200);
    return { ...((await token.json()) as { access_token: string; refresh_token: string }), browser };
  };
  const basic = () => `Basic ${Buffer.from(`${rp.client_id}:${rp.client_secret}`).toString('base64')}`;
  const userinfo = async (node: RoleProcess, accessToken: string) => {
    const response = await fetch(`${node.base}/cyc/oidc/v1/userinfo`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const refresh = async (node: RoleProcess, refreshToken: string) => {
    const response = await fetch(`${node.base}/cyc/oidc/v1/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic() },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const teacher01 = (set: string) =>
    stage.query(`update edugate_county.county_accounts set ${set} where username = 'teacher01'`);

  it('refuses a suspended or departed account on every node once announced, and serves it again once active', async () => {
    const a = nodes.a as RoleProcess;
    const b = nodes.b as RoleProcess;
    const tokens = await tokensAtA();
    for (const status of ['suspended', 'departed', 'suspended']) {
      // Served a moment ago by both nodes: each keeps the account and the grant in memory.
      for (const node of [a, b]) {
        expect((await userinfo(node, tokens.access_token)).status).toBe(200);
        expect((await refresh(node, tokens.refresh_token)).status).toBe(200);
      }
      await teacher01(`status = '${status}'`);
      // As soon as the change is announced, on either node (no expiry waited for).
      await soon(async () => (await userinfo(b, tokens.access_token)).status === 401);
      expect(await refresh(b, tokens.refresh_token)).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
      await soon(async () => (await userinfo(a, tokens.access_token)).status === 401);
      expect(await refresh(a, tokens.refresh_token)).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
      await teacher01(`status = 'active'`);
      for (const node of [b, a])
        await soon(async () => (await userinfo(node, tokens.access_token)).status === 200);
    }
  });

  it('stops authorizing a browser whose sign-in was ended elsewhere, on every node once announced', async () => {
    const a = nodes.a as RoleProcess;
    const b = nodes.b as RoleProcess;
    const { browser } = await tokensAtA();
    /** Whether the signed-in browser gets a code at once, without the password. */
    const codeAt = async (node: RoleProcess) => {
      const step = await browser.follow(authorizeAt(node), { stopBefore: RP });
      return step.url.href.startsWith(RP) && step.url.searchParams.has('code');
    };
    // Authorized twice on each node: each keeps the sign-in row and the account in memory.
    for (const node of [a, b, a, b]) expect(await codeAt(node)).toBe(true);
    // The sign-in ended on another device (登出 on the sessions page, a password change, an
    // operator): the row is revoked, the browser's portal session left as it was.
    await stage.query(
      `update edugate_county.county_account_sessions set revoked_at = now() where revoked_at is null
         and account_id = (select id from edugate_county.county_accounts where username = 'teacher01')`,
    );
    for (const node of [b, a]) await soon(async () => !(await codeAt(node)));
    expect(await codeAt(b)).toBe(false);
  });

  it('releases an edited profile on the other node once announced', async () => {
    const b = nodes.b as RoleProcess;
    const tokens = await tokensAtA();
    expect((await userinfo(b, tokens.access_token)).body).toMatchObject({ name: '王小明' });
    try {
      await teacher01(`real_name = '王曉明'`);
      await soon(async () => (await userinfo(b, tokens.access_token)).body.name === '王曉明');
    } finally {
      await teacher01(`real_name = '王小明'`);
    }
    await soon(async () => (await userinfo(b, tokens.access_token)).body.name === '王小明');
  });

  it('ends a revoked consent on the other node once announced', async () => {
    const b = nodes.b as RoleProcess;
    const tokens = await tokensAtA();
    expect((await refresh(b, tokens.refresh_token)).status).toBe(200);
    // The grant goes (as at sign-out, or when the teacher withdraws the application's access).
    await stage.query(
      `delete from edugate_county.oidc_payloads where model = 'Grant' and id = (
         select grant_id from edugate_county.oidc_payloads where model = 'RefreshToken' and id = $1)`,
      [tokens.refresh_token],
    );
    await soon(async () => (await refresh(b, tokens.refresh_token)).status === 400);
    expect(await refresh(b, tokens.refresh_token)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
  });

  it('reads the database while it cannot hear the changes, and keeps nothing it may have missed', async () => {
    const a = nodes.a as RoleProcess;
    const tokens = await tokensAtA();
    expect((await userinfo(a, tokens.access_token)).status).toBe(200);
    // Node a's connections to PostgreSQL (its listening one too) are cut; the change is made
    // while it reconnects.
    stage.database.reset();
    await teacher01(`status = 'suspended'`);
    try {
      expect((await userinfo(a, tokens.access_token)).status).toBe(401);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await userinfo(a, tokens.access_token)).status).toBe(401);
    } finally {
      await teacher01(`status = 'active'`);
    }
    await soon(async () => (await userinfo(a, tokens.access_token)).status === 200);
  });
});
