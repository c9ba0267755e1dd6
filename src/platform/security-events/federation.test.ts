// The whole demo over real HTTP: a county administrator's decision about teacher02 (臺南市) reaches
// the education cloud as a security event, and the cloud's decision reaches the workspace portal,
// which has the Google stand-in follow — nobody signs in anywhere for it to happen.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callAdmin } from '../../cli/admin-call.ts';
import { runAdminCommand } from '../../cli/run.ts';
import { DEMO_COUNTY_ACCOUNTS, DEMO_PASSWORD } from '../federation/seed-data.ts';
import { createRoleApp } from '../http/role-app.ts';
import { createLogger } from '../observability/logger.ts';
import type { RoleContext } from '../runtime/role.ts';
import { adminOrigin } from '../runtime/roles.ts';
import { CookieBrowser, formOn, type PageResult } from '../testing/cookie-browser.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { startTestDemo, type TestDemo } from '../testing/demo-harness.ts';
import { freePort } from '../testing/ports.ts';
import { eventsCommand } from './cli.ts';
import { securityEventMigrations } from './migrations.ts';
import { mountSecurityEventReceiver, SecurityEventReceiver } from './receiver.ts';
import { RISC_ACCOUNT_DISABLED, type VerifiedSecurityEvent } from './set.ts';

const TEACHER02 = DEMO_COUNTY_ACCOUNTS.find((a) => a.username === 'teacher02');
const TEACHER01 = DEMO_COUNTY_ACCOUNTS.find((a) => a.username === 'teacher01');
const GOOGLE_EMAIL = 'teacher02@go.edu.tw';

let demo: TestDemo;
const ctxOf = (role: 'county' | 'cloud' | 'workspace' | 'google') => {
  const running = demo.roles.get(role);
  if (!running) throw new Error(`${role} is not running`);
  return running.ctx as RoleContext<unknown>;
};
// Assertions read each role's own database; the roles themselves only talk over HTTP. The harness
// knows the roles by name only, so their tables are read untyped here.
type AnyDb = import('kysely').Kysely<Record<string, Record<string, unknown>>>;
const dbOf = (role: 'cloud' | 'workspace') => ctxOf(role).db as unknown as AnyDb;

/** Polls until `check` returns a value other than undefined/false (bounded). */
async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function submit(
  browser: CookieBrowser,
  page: PageResult,
  action: string,
  fields: Record<string, string> = {},
) {
  const form = formOn(page, action);
  return browser.follow(form.action, { form: { ...form.fields, ...fields } });
}

async function googleUser(): Promise<{ primaryEmail: string; suspended: boolean } | undefined> {
  const response = await fetch(`${adminOrigin(demo.config, 'google')}/admin/api/users`, {
    headers: { authorization: `Bearer ${ctxOf('google').secrets.adminToken}` },
  });
  const { users } = (await response.json()) as { users: Array<{ primaryEmail: string; suspended: boolean }> };
  return users.find((u) => u.primaryEmail === GOOGLE_EMAIL);
}

async function identity() {
  return dbOf('cloud')
    .selectFrom('cloud_identities')
    .select(['disabled_at', 'disabled_reason'])
    .where('subject', '=', TEACHER02?.id ?? '')
    .executeTakeFirstOrThrow();
}

async function cloudAccount() {
  return dbOf('cloud')
    .selectFrom('cloud_accounts')
    .select(['id', 'state', 'suspended_by'])
    .where('name', '=', 'teacher02')
    .executeTakeFirstOrThrow();
}

async function workspaceState() {
  return dbOf('workspace')
    .selectFrom('workspace_accounts')
    .select(['cloud_state', 'state'])
    .where('cloud_username', '=', 'teacher02')
    .executeTakeFirst();
}

/** A county administrator of 臺南市 signed in to the county portal. */
async function tnAdmin(): Promise<CookieBrowser> {
  const browser = new CookieBrowser();
  const login = await browser.follow(`${demo.urls.county}/tn/login`);
  const home = await submit(browser, login, '/tn/login', { username: 'tnadmin', password: DEMO_PASSWORD });
  expect(home.status).toBe(200);
  return browser;
}

async function countyDecision(
  browser: CookieBrowser,
  accountId: string,
  action: 'suspend' | 'reactivate' | 'depart',
) {
  const page = await browser.follow(`${demo.urls.county}/tn/manage/accounts/${accountId}`);
  const done = await submit(browser, page, `/manage/accounts/${accountId}/${action}`, {
    reason: `測試：${action}`,
  });
  expect(done.status).toBe(200);
}

beforeAll(async () => {
  demo = await startTestDemo({ captcha: 'off' });
});

afterAll(async () => {
  await demo?.close();
});

describe('security events across the federation (demo over HTTP)', () => {
  it('teacher02 signs in at the workspace portal with the cloud password and activates G Suite', async () => {
    const browser = new CookieBrowser();
    const login = await browser.follow(`${demo.urls.cloud}/login`);
    await submit(browser, login, '/login', { name: 'teacher02', password: DEMO_PASSWORD });
    let portal = await browser.follow(`${demo.urls.workspace}/auth/login`);
    if (portal.text.includes('/consent"'))
      portal = await submit(browser, portal, '/consent', { decision: 'allow' });
    expect(portal.url.origin).toBe(new URL(demo.urls.workspace).origin);
    await submit(browser, portal, '/activate');
    const user = await waitFor('the Google user', googleUser);
    expect(user.suspended).toBe(false);
    expect((await workspaceState())?.state).toBe('active');
  });

  it("a county suspension disables the cloud's identity; the account keeps working on its own password", async () => {
    const admin = await tnAdmin();
    await countyDecision(admin, TEACHER02?.id ?? '', 'suspend');
    const disabled = await waitFor('the identity disabled', async () => {
      const row = await identity();
      return row.disabled_at ? row : undefined;
    });
    expect(disabled.disabled_reason).toBe('suspended');
    // teacher02 has a cloud password: the cloud account and the Google user stay active.
    expect((await cloudAccount()).state).toBe('active');
    expect((await googleUser())?.suspended).toBe(false);

    await countyDecision(admin, TEACHER02?.id ?? '', 'reactivate');
    await waitFor('the identity enabled', async () => (await identity()).disabled_at === null);
  });

  it('departing the only county identity suspends the cloud account, and Google follows', async () => {
    const admin = await tnAdmin();
    await countyDecision(admin, TEACHER02?.id ?? '', 'depart');
    const account = await waitFor('the cloud account suspended', async () => {
      const row = await cloudAccount();
      return row.state === 'suspended' ? row : undefined;
    });
    expect(account.suspended_by).toBe('county');
    expect((await identity()).disabled_reason).toBe('departed');
    await waitFor('the workspace told', async () => (await workspaceState())?.cloud_state === 'suspended');
    await waitFor('the Google user suspended', async () => (await googleUser())?.suspended === true);
  });

  it("a cloud administrator's reactivation and suspension reach Google", async () => {
    // Through the admin API, as `edugate cloud account reactivate --name teacher02` does.
    const reactivated = await callAdmin(
      demo.config,
      'cloud',
      'POST',
      '/admin/api/cloud/accounts/teacher02/reactivate',
    );
    expect(reactivated.status).toBe(200);
    await waitFor('the Google user unsuspended', async () => (await googleUser())?.suspended === false);
    expect((await cloudAccount()).suspended_by).toBe(null);

    // Through the admin console, signed in as cloudadmin.
    const browser = new CookieBrowser();
    const login = await browser.follow(`${demo.urls.cloud}/login`);
    await submit(browser, login, '/login', { name: 'cloudadmin', password: DEMO_PASSWORD });
    const { id } = await cloudAccount();
    const accounts = await browser.follow(`${demo.urls.cloud}/admin/accounts`);
    const done = await submit(browser, accounts, `/admin/accounts/${String(id)}/suspend`);
    expect(done.status).toBe(200);
    const account = await cloudAccount();
    expect(account.state).toBe('suspended');
    expect(account.suspended_by).toBe('admin');
    await waitFor('the workspace told', async () => (await workspaceState())?.cloud_state === 'suspended');
    await waitFor('the Google user suspended', async () => (await googleUser())?.suspended === true);
  });

  it('edugate events receiver add registers a receiver while the demo runs; it verifies what the county sends', async () => {
    // An independent receiver of 嘉義縣's events, trusting the county's published keys only.
    const database = await embeddedTestDatabase.open(securityEventMigrations('0902_events'));
    const received: VerifiedSecurityEvent[] = [];
    const app = await createRoleApp({ role: 'receiver', logger: createLogger('silent') });
    const issuer = `${demo.urls.county}/cyc`;
    await mountSecurityEventReceiver(
      app,
      '/events',
      new SecurityEventReceiver({
        db: database.db,
        log: createLogger('silent'),
        transmitter: async (iss) =>
          iss === issuer
            ? { issuer, audience: 'school-app', jwksUri: `${issuer}/oidc/v1/jwksets` }
            : undefined,
        handle: async (_tx, event) => {
          received.push(event);
        },
      }),
    );
    const port = await freePort();
    await app.listen({ port, host: '127.0.0.1' });
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      out.push(String(line));
    });
    try {
      const events = (args: string[]) => runAdminCommand(eventsCommand, demo.config, args);
      const code = await events([
        'receiver',
        'add',
        '--role',
        'county',
        '--tenant',
        'cyc',
        '--url',
        `http://127.0.0.1:${port}/events`,
        '--audience',
        'school-app',
      ]);
      expect(code).toBe(0);
      const { receiver } = JSON.parse(out.at(-1) ?? '{}') as { receiver: { id: string; tenant: string } };
      expect(receiver.tenant).toBe('cyc');
      expect(await events(['receiver', 'list', '--role', 'county', '--tenant', 'cyc'])).toBe(0);
      const listed = JSON.parse(out.at(-1) ?? '{}') as {
        receivers: Array<{ url: string; audience: string }>;
      };
      expect(listed.receivers.map((r) => r.audience).sort()).toEqual(['educloud', 'school-app']);

      // A county administrator of 嘉義縣 suspends teacher01 in the console.
      const browser = new CookieBrowser();
      const login = await browser.follow(`${demo.urls.county}/cyc/login`);
      await submit(browser, login, '/cyc/login', { username: 'cycadmin', password: DEMO_PASSWORD });
      const page = await browser.follow(`${demo.urls.county}/cyc/manage/accounts/${TEACHER01?.id}`);
      await submit(browser, page, `/manage/accounts/${TEACHER01?.id}/suspend`, { reason: '測試' });
      const [event] = await waitFor(
        'the SET at the new receiver',
        async () => received.length > 0 && received,
      );
      expect(event?.subject).toEqual({ format: 'iss_sub', iss: issuer, sub: TEACHER01?.id });
      expect(event?.events[RISC_ACCOUNT_DISABLED]).toEqual({ reason: 'suspended' });

      expect(await events(['deliveries', '--role', 'county', '--state', 'done'])).toBe(0);
      const { deliveries } = JSON.parse(out.at(-1) ?? '{}') as {
        deliveries: Array<{ receiver: string; subject: string; state: string }>;
      };
      expect(deliveries.some((d) => d.receiver === receiver.id && d.subject === TEACHER01?.id)).toBe(true);
    } finally {
      log.mockRestore();
      await app.close();
      await database.close();
    }
  });
});
