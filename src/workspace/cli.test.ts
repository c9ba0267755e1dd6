import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAdminCommand } from '../cli/run.ts';
import { adminPort } from '../platform/runtime/roles.ts';
import { freeAdminPortBase } from '../platform/testing/ports.ts';
import { type CloudProfile, rememberProfile } from './activation/accounts.ts';
import { workspaceCommand } from './cli.ts';
import type { Db } from './provisioning/provision-account.ts';
import { type ProvisioningRig, runJobsToCompletion, startProvisioningRig } from './testing.ts';

// `edugate workspace …` as an operator types it, against a running activation portal: the CLI
// reaches the portal's admin listener over HTTP with the admin token; provisioning goes to the
// Google stand-in.

let rig: ProvisioningRig;
let db: Db;

beforeAll(async () => {
  const key = () => randomBytes(32).toString('base64url');
  rig = await startProvisioningRig({
    adminPort: await freeAdminPortBase(),
    adminToken: key(),
    secret: key(),
    nationalIdKeys: `k1:${key()}`,
    blindIndexKey: key(),
  });
  await rig.workspace.app.listenAdmin({ port: adminPort(rig.config, 'workspace'), host: '127.0.0.1' });
  db = rig.workspace.ctx.db;
  for (const [username, name] of [
    ['teacher02', '陳大文'],
    ['teacher03', '林美玲'],
  ] as const) {
    const profile: CloudProfile = {
      sub: `sub-${username}`,
      username,
      email: `${username}@mail.edu.tw`,
      name,
      givenName: name.slice(1),
      familyName: name.slice(0, 1),
      schoolCode: '454503',
      county: 'cyc',
      state: 'active',
    };
    await rememberProfile(db, profile, rig.config.workspaceDomain);
  }
});
afterAll(async () => {
  await rig?.close();
});

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => lines.push(line));
  try {
    return { code: await runAdminCommand(workspaceCommand, rig.config, args), out: lines.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const state = async (username: string) =>
  (
    await db
      .selectFrom('workspace_accounts')
      .select('state')
      .where('cloud_username', '=', username)
      .executeTakeFirstOrThrow()
  ).state;

describe('edugate workspace (through the portal’s admin listener)', () => {
  it('activates a teacher, whose Google account is then created, and lists accounts by state', async () => {
    const activated = await run('activate', '--user', 'teacher02');
    expect(activated.code, activated.out).toBe(0);
    expect(JSON.parse(activated.out)).toEqual({
      username: 'teacher02',
      google_email: `teacher02@${rig.config.workspaceDomain}`,
      state: 'queued',
    });
    await runJobsToCompletion(rig.workspace.ctx);
    expect(await state('teacher02')).toBe('active');
    const google = (await rig.googleAdmin('GET', '/users')) as unknown;
    expect(JSON.stringify(google)).toContain(`teacher02@${rig.config.workspaceDomain}`);

    const active = await run('list', '--state', 'active');
    expect(active.code).toBe(0);
    const accounts = (JSON.parse(active.out) as { accounts: Array<{ cloud_username: string }> }).accounts;
    expect(accounts.map((a) => a.cloud_username)).toEqual(['teacher02']);
    // Pressing again changes nothing.
    expect(JSON.parse((await run('activate', '--user', 'teacher02')).out)).toMatchObject({ state: 'active' });
  });

  it('retries a failed activation only, and names an unknown teacher', async () => {
    await db
      .updateTable('workspace_accounts')
      .set({ state: 'failed', last_error: 'Google: 400 invalid' })
      .where('cloud_username', '=', 'teacher03')
      .execute();
    const retried = await run('retry', '--user', 'teacher03');
    expect(retried.code, retried.out).toBe(0);
    expect(JSON.parse(retried.out)).toMatchObject({ state: 'queued' });
    expect(await state('teacher03')).toBe('queued');

    const notFailed = await run('retry', '--user', 'teacher02');
    expect(notFailed.code).toBe(1);
    expect(notFailed.out).toContain('帳號 teacher02 的啟用沒有失敗（目前狀態：active）');
    const unknown = await run('activate', '--user', 'nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toContain('啟用入口沒有帳號 nobody');
    expect((await run('activate')).code).toBe(2);
  });

  it('adds and lists the portal’s administrators, refusing a malformed name', async () => {
    const added = await run('admins', 'add', '--user', 'chen.ming');
    expect(added.code, added.out).toBe(0);
    expect(JSON.parse(added.out)).toEqual({ username: 'chen.ming', added: true });
    expect(JSON.parse((await run('admins', 'add', '--user', 'chen.ming')).out)).toMatchObject({
      added: false,
    });
    const listed = await run('admins', 'list');
    expect(JSON.parse(listed.out)).toEqual({ admins: ['chen.ming'] });
    const bad = await run('admins', 'add', '--user', 'chen ming!');
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('教育雲帳號名稱只能有英文字母');
    expect(JSON.parse((await run('admins', 'list')).out)).toEqual({ admins: ['chen.ming'] });
    const audit = await rig.workspace.ctx.db
      .selectFrom('audit_log')
      .select(['action', 'target'])
      .where('action', '=', 'workspace.admin.added')
      .execute();
    expect(audit).toEqual([{ action: 'workspace.admin.added', target: 'chen.ming' }]);
    expect((await run('admins')).code).toBe(2);
  });
});
