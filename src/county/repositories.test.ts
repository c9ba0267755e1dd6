// Contract suite of the county repositories: the same expectations on PGlite and PostgreSQL.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../platform/database/connect.ts';
import { isUniqueViolation } from '../platform/database/errors.ts';
import { testDatabases } from '../platform/testing/databases.ts';
import {
  findAccountByBlindIndex,
  findAccountByEmail,
  findAccountById,
  findAccountBySession,
  findAccountByUsername,
  insertAccount,
  searchAccounts,
  transitionAccount,
} from './accounts/repository.ts';
import { audit } from './db.ts';
import { countyMigrations } from './migrations.ts';
import { completeStep, loadFlow, startFlow } from './registration/flow.ts';
import { REGISTRATION } from './registration/transitions.ts';
import type { CountyDatabase } from './schema.ts';
import {
  findUnit,
  findUnitByMailbox,
  listUnits,
  searchUnits,
  upsertTenant,
  upsertUnit,
} from './tenants/tenants.ts';

const kinds = await testDatabases();

describe.each(kinds)('county repositories on $name', (kind) => {
  let database: Database<CountyDatabase>;
  const db = () => database.db;
  const base = {
    tenant: 'cyc',
    passwordHash: 'md5$0123456789abcdef0123456789abcdef',
    role: 'teacher' as const,
    state: 'active' as const,
    unitCode: '454503',
  };

  beforeAll(async () => {
    database = await kind.open<CountyDatabase>(countyMigrations);
    await upsertTenant(db(), {
      code: 'cyc',
      name: '嘉義縣',
      portal_name: '嘉義縣教師資訊應用服務入口',
      mail_domain: 'mail.cyc.edu.tw',
    });
    await upsertTenant(db(), {
      code: 'tn',
      name: '臺南市',
      portal_name: '臺南市教師資訊應用服務入口',
      mail_domain: 'mail.tn.edu.tw',
    });
    await upsertUnit(db(), 'cyc', {
      code: '454503',
      name: '朴子國民中學',
      abbreviation: '朴子國中',
      mailbox: 'PZJH@mail.cyc.edu.tw',
    });
    await upsertUnit(db(), 'cyc', {
      code: '454601',
      name: '朴子國民小學',
      abbreviation: '朴子國小',
      mailbox: 'pzes@mail.cyc.edu.tw',
    });
    await upsertUnit(db(), 'cyc', {
      code: '450000',
      name: '100%_網路中心',
      abbreviation: null,
      mailbox: 'center@mail.cyc.edu.tw',
      active: false,
    });
    await upsertUnit(db(), 'tn', {
      code: '114620',
      name: '臺南市立大成國民中學',
      abbreviation: '大成國中',
      mailbox: 'dcjh@mail.tn.edu.tw',
    });
  });
  afterAll(async () => database?.close());

  it('finds units by code, by mailbox case-insensitively and by search, per tenant', async () => {
    expect((await findUnit(db(), 'cyc', '454503'))?.name).toBe('朴子國民中學');
    expect(await findUnit(db(), 'tn', '454503')).toBeUndefined();
    expect((await findUnitByMailbox(db(), 'cyc', ' pzjh@MAIL.cyc.edu.tw '))?.code).toBe('454503');
    expect(await findUnitByMailbox(db(), 'tn', 'pzjh@mail.cyc.edu.tw')).toBeUndefined();
    expect((await searchUnits(db(), 'cyc', '朴子')).map((u) => u.code)).toEqual(['454503', '454601']);
    expect((await searchUnits(db(), 'cyc', '4546')).map((u) => u.code)).toEqual(['454601']);
    // LIKE wildcards in the query are literal; inactive units are not offered.
    expect(await searchUnits(db(), 'cyc', '%')).toEqual([]);
    expect(await searchUnits(db(), 'cyc', '100%_')).toEqual([]);
    expect((await listUnits(db(), 'cyc', { activeOnly: true })).map((u) => u.code)).toEqual([
      '454503',
      '454601',
    ]);
    expect(
      await upsertUnit(db(), 'cyc', {
        code: '454601',
        name: '朴子國小',
        abbreviation: '朴小',
        mailbox: 'pzes@mail.cyc.edu.tw',
      }),
    ).toBe('updated');
    expect((await findUnit(db(), 'cyc', '454601'))?.abbreviation).toBe('朴小');
  });

  it('refuses a second unit with the same official mailbox', async () => {
    const error = await upsertUnit(db(), 'cyc', {
      code: '454999',
      name: 'X',
      abbreviation: null,
      mailbox: 'pzjh@mail.cyc.edu.tw',
    }).catch((e: unknown) => e);
    expect(isUniqueViolation(error, 'county_units_mailbox')).toBe(true);
  });

  it('keeps usernames and emails unique case-insensitively per tenant, and frees them on rejection', async () => {
    const a = await insertAccount(db(), { ...base, username: 'Teacher.Lin', email: 'Lin@Example.org' });
    expect((await findAccountByUsername(db(), 'cyc', 'teacher.lin'))?.id).toBe(a.id);
    expect((await findAccountByEmail(db(), 'cyc', 'lin@example.ORG'))?.id).toBe(a.id);
    expect(await findAccountByUsername(db(), 'tn', 'teacher.lin')).toBeUndefined();
    expect(await findAccountById(db(), 'tn', a.id)).toBeUndefined();
    expect(await findAccountById(db(), 'cyc', "x' or '1'='1")).toBeUndefined();

    const sameName = await insertAccount(db(), {
      ...base,
      username: 'TEACHER.LIN',
      email: 'other@example.org',
    }).catch((e: unknown) => e);
    expect(isUniqueViolation(sameName, 'county_accounts_username')).toBe(true);
    const sameEmail = await insertAccount(db(), {
      ...base,
      username: 'someone',
      email: 'LIN@example.org',
    }).catch((e: unknown) => e);
    expect(isUniqueViolation(sameEmail, 'county_accounts_email')).toBe(true);
    // Another county may have the same username.
    await insertAccount(db(), {
      ...base,
      tenant: 'tn',
      unitCode: '114620',
      username: 'teacher.lin',
      email: 'lin@example.org',
    });

    const pending = await insertAccount(db(), {
      ...base,
      state: 'pending_review',
      username: 'applicant',
      email: 'ap@example.org',
    });
    expect(
      await transitionAccount(db(), 'cyc', pending.id, 'reject', {
        state_reason: 'not ours',
      }),
    ).toBeDefined();
    expect(await findAccountByUsername(db(), 'cyc', 'applicant')).toBeUndefined();
    const again = await insertAccount(db(), {
      ...base,
      state: 'pending_email',
      username: 'Applicant',
      email: 'ap@example.org',
    });
    expect((await findAccountByUsername(db(), 'cyc', 'applicant'))?.id).toBe(again.id);
  });

  it('reads a signed-in browser’s account with its session row, only for that account, row and tenant', async () => {
    const a = await insertAccount(db(), { ...base, username: 'session.owner', email: 'owner@example.org' });
    const b = await insertAccount(db(), { ...base, username: 'someone.else', email: 'else@example.org' });
    await db()
      .insertInto('county_account_sessions')
      .values([
        { id: 'row-a', tenant: 'cyc', account_id: a.id, ip: null, user_agent: null },
        { id: 'row-b', tenant: 'cyc', account_id: b.id, ip: null, user_agent: null },
      ])
      .execute();
    const found = await findAccountBySession(db(), 'cyc', a.id, 'row-a');
    expect(found?.account.username).toBe('session.owner');
    expect(found?.revokedAt).toBeNull();
    expect(found?.lastSeenAt).toBeInstanceOf(Date);
    // Another account's row, another county, a made-up id: nothing.
    expect(await findAccountBySession(db(), 'cyc', a.id, 'row-b')).toBeUndefined();
    expect(await findAccountBySession(db(), 'tn', a.id, 'row-a')).toBeUndefined();
    expect(await findAccountBySession(db(), 'cyc', "x' or '1'='1", 'row-a')).toBeUndefined();
    await db()
      .updateTable('county_account_sessions')
      .set({ revoked_at: new Date() })
      .where('id', '=', 'row-a')
      .execute();
    expect((await findAccountBySession(db(), 'cyc', a.id, 'row-a'))?.revokedAt).toBeInstanceOf(Date);
  });

  it('moves an account only from the expected states (a decision happens once)', async () => {
    const a = await insertAccount(db(), {
      ...base,
      state: 'pending_review',
      username: 'decide.once',
      email: 'once@example.org',
    });
    const [first, second] = await Promise.all([
      transitionAccount(db(), 'cyc', a.id, 'approve', {
        reviewed_by: 'r1',
        reviewed_at: new Date(),
      }),
      transitionAccount(db(), 'cyc', a.id, 'reject', {
        reviewed_by: 'r2',
        reviewed_at: new Date(),
      }),
    ]);
    expect([first, second].filter(Boolean)).toHaveLength(1);
    expect(await transitionAccount(db(), 'cyc', a.id, 'approve')).toBeUndefined();
    expect(await transitionAccount(db(), 'tn', a.id, 'suspend')).toBeUndefined();
  });

  it('allows one account per person (blind index) per tenant', async () => {
    await insertAccount(db(), {
      ...base,
      username: 'person.one',
      email: 'p1@example.org',
      nationalIdBlindIndex: 'bi-1',
      nationalIdEncrypted: 'x',
    });
    expect((await findAccountByBlindIndex(db(), 'cyc', 'bi-1'))?.username).toBe('person.one');
    const twice = await insertAccount(db(), {
      ...base,
      username: 'person.two',
      email: 'p2@example.org',
      nationalIdBlindIndex: 'bi-1',
      nationalIdEncrypted: 'y',
    }).catch((e: unknown) => e);
    expect(isUniqueViolation(twice, 'county_accounts_person')).toBe(true);
    await insertAccount(db(), {
      ...base,
      tenant: 'tn',
      unitCode: '114620',
      username: 'person.one',
      email: 'p1@example.org',
      nationalIdBlindIndex: 'bi-1',
      nationalIdEncrypted: 'z',
    });
  });

  it('searches accounts by text, status and unit, treating wildcards literally', async () => {
    expect((await searchAccounts(db(), 'cyc', { query: 'person' })).map((a) => a.username)).toEqual([
      'person.one',
    ]);
    expect(await searchAccounts(db(), 'cyc', { query: '%' })).toEqual([]);
    expect((await searchAccounts(db(), 'cyc', { state: 'pending_email' })).map((a) => a.username)).toEqual([
      'Applicant',
    ]);
    expect((await searchAccounts(db(), 'cyc', { unitCode: '454601' })).length).toBe(0);
  });

  it('keeps registration flows per tenant, advancing but never going back, frozen once submitted', async () => {
    expect(REGISTRATION.next('unit', 'saveCredentials')).toBe('unit');
    expect(REGISTRATION.next('credentials', 'saveCredentials')).toBe('email');
    expect(REGISTRATION.next('unit', 'submit')).toBe('submitted');
    const flow = await startFlow(db(), 'cyc');
    expect(flow.state).toBe('credentials');
    expect(await loadFlow(db(), 'tn', flow.id)).toBeUndefined();
    expect(await loadFlow(db(), 'cyc', 'not-a-uuid')).toBeUndefined();
    const f1 = await completeStep(db(), flow, 'saveCredentials', { username: 'x' });
    expect(f1?.state).toBe('email');
    const f2 = await completeStep(db(), f1 ?? flow, 'saveCredentials', { username: 'y' });
    expect(f2?.state).toBe('email');
    await db()
      .updateTable('county_registration_flows')
      .set({ state: 'submitted' })
      .where('id', '=', flow.id)
      .execute();
    expect(await completeStep(db(), flow, 'saveEmail', { email: 'z@example.org' })).toBeUndefined();
    await db()
      .updateTable('county_registration_flows')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', flow.id)
      .execute();
    expect(await loadFlow(db(), 'cyc', flow.id)).toBeUndefined();
  });

  it('keeps the audit log append-only', async () => {
    await audit(db(), { tenant: 'cyc', actor: 'tester', action: 'test.event', details: { unit: '454503' } });
    const rows = await db().selectFrom('audit_log').selectAll().where('action', '=', 'test.event').execute();
    expect(rows[0]?.details).toEqual({ unit: '454503' });
    await expect(db().updateTable('audit_log').set({ actor: 'someone else' }).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(db().deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    const filtered = await db()
      .selectFrom('audit_log')
      .select('id')
      .where(sql<boolean>`details->>'unit' = ${'454503'}`)
      .execute();
    expect(filtered.length).toBeGreaterThan(0);
  });
});
