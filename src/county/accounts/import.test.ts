import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAdminCommand } from '../../cli/run.ts';
import type { Config } from '../../platform/config/options.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { countyCommand, importRowsFromCsv } from '../cli.ts';
import { type CountyTestApp, legacyAccountsCsv, startCountyTestApp, TestClient } from '../testing.ts';
import { findAccountByUsername } from './repository.ts';

const sha256 = (salt: string, password: string) =>
  createHash('sha256')
    .update(salt + password)
    .digest('hex');
const md5 = (password: string) => createHash('md5').update(password).digest('hex');

const GOOD = [
  `old.bcrypt,b@example.org,${bcrypt.hashSync('bcrypt-pass-1', 4).replace('$2b$', '$2y$')},454503,張老師,,教師;導師`,
  `old.sha,s@example.org,sha256$NaCl$${sha256('NaCl', 'sha-pass-12')},454601,李老師,F131104093,教師`,
  `old.md5,m@example.org,md5$${md5('md5-pass-123')},454602,,,`,
];
const HEADER = 'username,email,password_hash,unit_code,real_name,national_id,titles';

describe.each(await testDatabases())(
  'edugate county import-accounts on $name (while the server runs)',
  (kind) => {
    let t: CountyTestApp & { config: Config };
    beforeAll(async () => {
      t = await startCountyTestApp(kind, {}, { listen: true });
    });
    afterAll(async () => t?.close());

    async function runImport(name: string, csv: string, tenant = 'cyc') {
      const file = join(t.config.dataDir, name);
      writeFileSync(file, csv);
      const errors: string[] = [];
      const logs: string[] = [];
      const origError = console.error;
      const origLog = console.log;
      console.error = (m: string) => errors.push(String(m));
      console.log = (m: string) => logs.push(String(m));
      try {
        const code = await runAdminCommand(countyCommand, t.config, [
          'import-accounts',
          '--tenant',
          tenant,
          file,
        ]);
        return { code, errors, logs };
      } finally {
        console.error = origError;
        console.log = origLog;
      }
    }

    const imported = async (pattern: string) => {
      const { rows } = await sql<{ accounts: number; audits: number }>`select
      (select count(*)::int from county_accounts where username like ${pattern}) as accounts,
      (select count(*)::int from audit_log where action = 'account.imported'
        and details->>'username' like ${pattern}) as audits`.execute(t.ctx.db);
      return rows[0];
    };

    it('imports nothing from a file with a refused row, and reports every refused row', async () => {
      const csv = [
        HEADER,
        ...GOOD,
        'bad.hash,x@example.org,plaintext,454602,,,',
        `bad.unit,y@example.org,md5$${md5('whatever1')},999999,,,`,
        `teacher01,dup@example.org,md5$${md5('whatever1')},454503,,,`,
        `"dup.person",p@example.org,md5$${md5('whatever1')},454503,,A128765434,`,
        `OLD.MD5,other@example.org,md5$${md5('whatever1')},454503,,,`,
        `old.again,M@example.org,md5$${md5('whatever1')},454503,,,`,
        `old.twin,t@example.org,md5$${md5('whatever1')},454503,,f131104093,`,
      ].join('\n');
      const { code, errors, logs } = await runImport('refused.csv', csv);
      expect(code).toBe(1);
      expect(logs).toEqual([]);
      expect(errors).toEqual([
        'line 5 (bad.hash): unsupported password hash format',
        'line 6 (bad.unit): unknown unit 999999',
        'line 7 (teacher01): username already exists',
        'line 8 (dup.person): this person already has an account',
        'line 9 (OLD.MD5): same username as line 4',
        'line 10 (old.again): same email as line 4',
        'line 11 (old.twin): same national ID as line 3',
        'nothing imported into cyc: 7 of 10 rows rejected; correct them and import the file again',
      ]);
      // Not even the good rows: a file is imported whole or not at all.
      expect(await imported('old.%')).toEqual({ accounts: 0, audits: 0 });
    });

    it('refuses a 姓/名 that does not make up the real name', async () => {
      const csv = [
        'username,email,password_hash,unit_code,real_name,family_name,given_name',
        `name.ok,n1@example.org,md5$${md5('whatever1')},454503,歐陽娜娜,歐陽,娜娜`,
        `name.wrong,n2@example.org,md5$${md5('whatever1')},454503,王美玲,陳,美玲`,
        `name.alone,n3@example.org,md5$${md5('whatever1')},454503,,林,志明`,
      ].join('\n');
      const { code, errors } = await runImport('names.csv', csv);
      expect(code).toBe(1);
      expect(errors).toEqual([
        'line 3 (name.wrong): family and given name do not make up the real name',
        'line 4 (name.alone): family or given name without a real name',
        'nothing imported into cyc: 2 of 3 rows rejected; correct them and import the file again',
      ]);
      expect(await imported('name.%')).toEqual({ accounts: 0, audits: 0 });
    });

    it('imports a whole file with its audit records, and upgrades the legacy hashes at login', async () => {
      const { code, errors, logs } = await runImport('legacy.csv', [HEADER, ...GOOD].join('\n'));
      expect(errors).toEqual([]);
      expect(logs).toEqual(['imported 3 of 3 accounts into cyc']);
      expect(code).toBe(0);
      expect(await imported('old.%')).toEqual({ accounts: 3, audits: 3 });
      const account = await findAccountByUsername(t.county.db, 'cyc', 'old.bcrypt');
      expect(account?.titles).toEqual(['教師', '導師']);
      expect(account?.state).toBe('active');
      expect(account?.email_verified_at).toBeInstanceOf(Date);
      const withId = await findAccountByUsername(t.county.db, 'cyc', 'old.sha');
      expect(await t.county.vault.decrypt(withId?.national_id_encrypted ?? '')).toBe('F131104093');

      for (const [username, password, prefix] of [
        ['old.bcrypt', 'bcrypt-pass-1', '$2y$'],
        ['old.sha', 'sha-pass-12', 'sha256$'],
        ['old.md5', 'md5-pass-123', 'md5$'],
      ] as const) {
        expect(
          (await findAccountByUsername(t.county.db, 'cyc', username))?.password_hash.startsWith(prefix),
        ).toBe(true);
        const c = new TestClient(t.app);
        await c.get('/cyc/login');
        expect((await c.post('/cyc/login', { username, password: 'wrong-password' })).status).toBe(401);
        const ok = await c.post('/cyc/login', { username, password });
        expect(ok.status, username).toBe(303);
        const after = await findAccountByUsername(t.county.db, 'cyc', username);
        expect(after?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      }
    });

    it('imports thousands of rows in one request, and refuses the same file again as a whole', async () => {
      const csv = legacyAccountsCsv(3_000);
      const first = await runImport('bulk.csv', csv);
      expect(first.errors).toEqual([]);
      expect(first.logs).toEqual(['imported 3000 of 3000 accounts into cyc']);
      expect(await imported('import%')).toEqual({ accounts: 3_000, audits: 3_000 });
      const again = await runImport('bulk.csv', csv);
      expect(again.code).toBe(1);
      expect(again.errors).toHaveLength(3_001);
      expect(again.errors[0]).toBe('line 2 (import0): username already exists');
      expect(again.errors.at(-1)).toBe(
        'nothing imported into cyc: 3000 of 3000 rows rejected; correct them and import the file again',
      );
      expect(await imported('import%')).toEqual({ accounts: 3_000, audits: 3_000 });
    });

    it('refuses a CSV without the required columns and an unknown tenant', async () => {
      expect(importRowsFromCsv('user,mail\nx,y').missing).toEqual([
        'username',
        'email',
        'password_hash',
        'unit_code',
      ]);
      const file = join(t.config.dataDir, 'ok.csv');
      writeFileSync(
        file,
        `username,email,password_hash,unit_code\nz.user,z@example.org,md5$${md5('x')},454503\n`,
      );
      const origError = console.error;
      console.error = () => {};
      try {
        expect(
          await runAdminCommand(countyCommand, t.config, ['import-accounts', '--tenant', 'nowhere', file]),
        ).toBe(1);
        expect(await runAdminCommand(countyCommand, t.config, ['import-accounts', file])).toBe(2);
      } finally {
        console.error = origError;
      }
    });
  },
);
