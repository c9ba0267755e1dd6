import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAdminCommand } from '../cli/run.ts';
import { openDatabase } from '../platform/database/connect.ts';
import type { PlatformTables } from '../platform/database/platform-schema.ts';
import { cloudCommand } from './cli.ts';
import { type CloudInstance, startCloudInstance } from './testing/cloud-instance.ts';

let cloud: CloudInstance;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'edugate-cloud-cli-'));
  const database = await openDatabase<PlatformTables>({ dataDir: 'memory://', schema: 'public' });
  cloud = await startCloudInstance(database, { dataDir });
});

afterAll(async () => {
  await cloud?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => lines.push(line));
  const error = vi.spyOn(console, 'error').mockImplementation((line: string) => lines.push(line));
  try {
    return {
      code: await runAdminCommand(cloudCommand, cloud.services.ctx.config, args),
      out: lines.join('\n'),
    };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('edugate cloud (through the running cloud’s admin API)', () => {
  it('adds, lists and disables county connections; the secret is never printed', async () => {
    const added = await run(
      'county',
      'add',
      '--code',
      'cyc',
      '--name',
      '嘉義縣',
      '--issuer',
      'https://cyc.example/cyc',
      '--client-id',
      'educloud',
      '--client-secret',
      'top-secret-value',
    );
    expect(added.code).toBe(0);
    expect(added.out).not.toContain('top-secret-value');
    expect((await cloud.services.counties.credentials('cyc'))?.clientSecret).toBe('top-secret-value');
    expect((await run('county', 'list')).out).toContain('https://cyc.example/cyc');
    expect((await run('county', 'disable', '--code', 'cyc')).code).toBe(0);
    expect((await cloud.services.counties.get('cyc'))?.enabled).toBe(false);
    expect((await run('county', 'add', '--code', 'cyc')).code).toBe(2);
    expect(
      (
        await run(
          'county',
          'add',
          '--code',
          'BAD CODE',
          '--name',
          'x',
          '--issuer',
          'nope',
          '--client-id',
          'a',
          '--client-secret',
          'b',
        )
      ).code,
    ).toBe(1);
  });

  it('suspends a cloud account and assigns custom roles', async () => {
    const account = await cloud.services.accounts.create({
      name: 'teacher09',
      displayName: 'T',
      passwordHash: null,
    });
    expect((await run('account', 'suspend', '--name', 'teacher09@mail.edu.tw')).code).toBe(0);
    expect((await cloud.services.accounts.byId(account.id))?.state).toBe('suspended');
    expect((await run('account', 'reactivate', '--name', 'teacher09')).code).toBe(0);
    expect((await run('role', 'add', '--code', 'k12.admin', '--name', '校園管理者')).code).toBe(0);
    expect(
      (await run('role', 'assign', '--code', 'k12.admin', '--account', 'teacher09', '--school', '114620'))
        .code,
    ).toBe(0);
    expect(await cloud.services.roles.claimFor(account.id)).toEqual([
      { role: 'k12.admin', name: '校園管理者', schoolid: '114620' },
    ]);
    expect((await run('account', 'suspend', '--name', 'nobody99')).code).toBe(1);
  });

  it('lists the accounts whose names are not addresses Google accepts (made before the dot rules)', async () => {
    for (const name of ['dotwalk29.', 'lin..xh', 'good.name1']) {
      await cloud.services.accounts.create({ name, displayName: name, passwordHash: null });
    }
    const listed = await run('account', 'invalid-names');
    expect(listed.code).toBe(0);
    const { accounts } = JSON.parse(listed.out) as { accounts: Array<{ email: string; problems: string[] }> };
    expect(accounts.map((a) => [a.email, a.problems])).toEqual([
      ['dotwalk29.@mail.edu.tw', ['account_name.dots']],
      ['lin..xh@mail.edu.tw', ['account_name.dots']],
    ]);
  });
});
