import { beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../platform/errors/app-error.ts';
import { SecretBox } from '../platform/security/secret-box.ts';
import { testDatabases } from '../platform/testing/databases.ts';
import { CloudAccounts } from './account/accounts.ts';
import { CountyRegistry } from './broker/counties.ts';
import type { CloudDb } from './db.ts';
import { checkAccountName } from './first-login/account-name.ts';
import { LoginFlows } from './first-login/flows.ts';
import { CustomRoles } from './roles/custom-roles.ts';
import type { CloudServices } from './services.ts';
import { cloudTestDatabase, teacherSnapshot } from './testing/database.ts';

const snapshot = teacherSnapshot({ titles: [{ schoolid: '454503', titles: ['教師'] }] });

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
  return 'no error';
}

describe.each(await testDatabases())('cloud repositories on $name', (kind) => {
  let db: CloudDb;
  let accounts: CloudAccounts;

  const database = cloudTestDatabase(kind);
  beforeAll(async () => {
    db = database.db;
    accounts = new CloudAccounts(db);
  });

  it('creates accounts with unique lowercase names and unique guid hashes', async () => {
    const a = await accounts.create({
      name: 'Teacher01',
      displayName: '王小明',
      passwordHash: 'h',
      guidHash: 'g1',
    });
    expect(a.name).toBe('teacher01');
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await accounts.byName('TEACHER01'))?.id).toBe(a.id);
    expect(await code(accounts.create({ name: 'teacher01', displayName: 'x', passwordHash: 'h' }))).toBe(
      'cloud.name_taken',
    );
    expect(
      await code(accounts.create({ name: 'another1', displayName: 'x', passwordHash: 'h', guidHash: 'g1' })),
    ).toBe('cloud.already_has_account');
    expect((await accounts.byGuidHash('g1'))?.id).toBe(a.id);
  });

  it('lists the accounts whose names Google refuses (made before the dot rules)', async () => {
    for (const name of ['dotwalk29.', 'lin..xh', 'fine.name9', 'ok_name_1']) {
      await accounts.create({ name, displayName: name, passwordHash: null });
    }
    expect((await accounts.withInvalidNames()).map((a) => a.name)).toEqual(['dotwalk29.', 'lin..xh']);
  });

  it('links a county identity to one account only, and refreshes its copy', async () => {
    const a = await accounts.byName('teacher01');
    const b = await accounts.create({ name: 'someone2', displayName: 'B', passwordHash: null });
    await accounts.link(a?.id ?? '', { countyCode: 'cyc', issuer: 'https://cyc', subject: 's1', snapshot });
    expect(
      await code(accounts.link(b.id, { countyCode: 'cyc', issuer: 'https://cyc', subject: 's1', snapshot })),
    ).toBe('cloud.identity_linked');
    expect((await accounts.byIdentity('https://cyc', 's1'))?.id).toBe(a?.id);
    await accounts.refreshIdentity('https://cyc', 's1', {
      ...snapshot,
      titles: [{ schoolid: '454503', titles: ['教務主任'] }],
    });
    expect((await accounts.identity('https://cyc', 's1'))?.snapshot.titles[0]?.titles).toEqual(['教務主任']);
  });

  it('never unlinks the last identity of an account without a password', async () => {
    const b = await accounts.byName('someone2');
    const only = await accounts.link(b?.id ?? '', {
      countyCode: 'tn',
      issuer: 'https://tn',
      subject: 's2',
      snapshot,
    });
    expect(await code(accounts.unlink(b?.id ?? '', only.id))).toBe('cloud.unlink_last');
    const second = await accounts.link(b?.id ?? '', {
      countyCode: 'cyc',
      issuer: 'https://cyc',
      subject: 's3',
      snapshot,
    });
    await accounts.unlink(b?.id ?? '', second.id);
    expect((await accounts.identities(b?.id ?? '')).map((i) => i.subject)).toEqual(['s2']);
    const a = await accounts.byName('teacher01');
    const aIdentity = (await accounts.identities(a?.id ?? ''))[0];
    // Not someone else's identity.
    expect(await code(accounts.unlink(b?.id ?? '', aIdentity?.id ?? ''))).toBe('not_found');
    // With a password set, the last identity may go.
    await accounts.unlink(a?.id ?? '', aIdentity?.id ?? '');
    expect(await accounts.identities(a?.id ?? '')).toEqual([]);
  });

  it('adopts a guid hash once and refuses another person’s', async () => {
    const b = await accounts.byName('someone2');
    await accounts.adoptGuidHash(b?.id ?? '', 'g2');
    await accounts.adoptGuidHash(b?.id ?? '', 'g2');
    expect(await code(accounts.adoptGuidHash(b?.id ?? '', 'g3'))).toBe('cloud.link_other_person');
    const c = await accounts.create({ name: 'third333', displayName: 'C', passwordHash: 'h' });
    expect(await code(accounts.adoptGuidHash(c.id, 'g1'))).toBe('cloud.link_other_person');
  });

  it('confirms only the pending backup email', async () => {
    const a = await accounts.byName('teacher01');
    await accounts.setPendingBackupEmail(a?.id ?? '', 'new@example.org');
    expect(await accounts.confirmBackupEmail(a?.id ?? '', 'other@example.org')).toBe(false);
    expect(await accounts.confirmBackupEmail(a?.id ?? '', 'new@example.org')).toBe(true);
    expect((await accounts.byId(a?.id ?? ''))?.backupEmail).toBe('new@example.org');
    expect(await accounts.confirmBackupEmail(a?.id ?? '', 'new@example.org')).toBe(false);
  });

  it('keeps county client secrets sealed and validates connections', async () => {
    const registry = new CountyRegistry(db, new SecretBox('installation-secret-0123456789abcdef', 'test'));
    await registry.upsert({
      code: 'cyc',
      name: '嘉義縣',
      issuer: 'https://cyc.example/cyc/',
      clientId: 'educloud',
      clientSecret: 's3cret',
    });
    const row = await db
      .selectFrom('cloud_counties')
      .selectAll()
      .where('code', '=', 'cyc')
      .executeTakeFirstOrThrow();
    expect(row.client_secret_sealed).not.toContain('s3cret');
    expect(row.issuer).toBe('https://cyc.example/cyc');
    expect((await registry.credentials('cyc'))?.clientSecret).toBe('s3cret');
    expect(
      await code(
        registry.upsert({ code: 'x', name: '', issuer: 'not a url', clientId: '', clientSecret: '' }),
      ),
    ).toBe('cloud.county_invalid');
    expect(
      await code(
        registry.upsert({
          code: 'dup',
          name: 'd',
          issuer: 'https://cyc.example/cyc',
          clientId: 'c',
          clientSecret: 's',
        }),
      ),
    ).toBe('cloud.county_issuer_taken');
    await registry.setEnabled('cyc', false);
    expect(await registry.list({ enabledOnly: true })).toEqual([]);
    expect(await code(registry.setEnabled('nope', true))).toBe('not_found');
  });

  it('moves first-login flows only from the expected state', async () => {
    const flows = new LoginFlows(db);
    const flow = await flows.create({
      state: 'no_account',
      countyCode: 'cyc',
      issuer: 'https://cyc',
      subject: 'new',
      snapshot,
      guidHash: null,
      accountId: null,
      returnTo: '/account',
    });
    expect(await flows.take(flow.id, 'name')).toBe(false);
    expect(await flows.take(flow.id, 'create')).toBe(true);
    expect(await flows.take(flow.id, 'create')).toBe(false);
    expect((await flows.get(flow.id))?.state).toBe('choose_name');
    await db
      .updateTable('cloud_login_flows')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', flow.id)
      .execute();
    expect(await flows.get(flow.id)).toBeUndefined();
    expect(await flows.sweep()).toBeGreaterThanOrEqual(1);
  });

  it('gives the educloudroles claim of assigned roles', async () => {
    const roles = new CustomRoles(db);
    await roles.define({ code: 'k12.admin', name: '校園管理者', description: '' });
    expect(await code(roles.define({ code: 'Bad Code', name: 'x', description: '' }))).toBe(
      'cloud.role_invalid',
    );
    const a = await accounts.byName('teacher01');
    await roles.assign('k12.admin', a?.id ?? '', '454503');
    await roles.assign('k12.admin', a?.id ?? '');
    await roles.assign('k12.admin', a?.id ?? '');
    expect(await roles.claimFor(a?.id ?? '')).toEqual([
      { role: 'k12.admin', name: '校園管理者' },
      { role: 'k12.admin', name: '校園管理者', schoolid: '454503' },
    ]);
    await roles.revoke('k12.admin', a?.id ?? '', '454503');
    expect(await roles.claimFor(a?.id ?? '')).toEqual([{ role: 'k12.admin', name: '校園管理者' }]);
  });

  it('refuses every naming rule and names already taken', async () => {
    const services = { accounts } as unknown as CloudServices;
    const problems = async (name: string) => (await checkAccountName(services, name)).problems;
    expect(await problems('wang.xm')).toEqual([]);
    expect(await problems('  Wang.XM ')).toEqual([]); // normalized: trimmed and lowercased
    expect(await problems('1wangxm')).toEqual(['account_name.start']);
    expect(await problems('_wangxm')).toEqual(['account_name.start']);
    expect(await problems('.wangxm')).toEqual(['account_name.start']);
    expect(await problems('wangx')).toEqual(['account_name.length']);
    expect(await problems('w'.repeat(21))).toEqual(['account_name.length']);
    expect(await problems('wang-xm')).toEqual(['account_name.characters']);
    expect(await problems('wang xm')).toEqual(['account_name.characters']);
    expect(await problems('wang@xm')).toEqual(['account_name.characters']);
    expect(await problems('wang小明ab')).toEqual(['account_name.characters']);
    for (const reserved of [
      'admin1',
      'postmaster',
      'webmaster',
      'support',
      'support2',
      'ad.min',
      'root_01',
    ]) {
      expect(await problems(reserved)).toContain('account_name.reserved');
    }
    expect(await problems('teacher01')).toEqual(['account_name.taken']);
    expect(await problems('TEACHER01')).toEqual(['account_name.taken']);
  });
});
