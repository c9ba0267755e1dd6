import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { countyCommand, importRowsFromCsv } from '../cli.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';
import { findAccountByUsername } from './repository.ts';

const sha256 = (salt: string, password: string) =>
  createHash('sha256')
    .update(salt + password)
    .digest('hex');
const md5 = (password: string) => createHash('md5').update(password).digest('hex');

describe('edugate county import-accounts (legacy hashes, while the server runs)', () => {
  let t: CountyTestApp & { config: import('../../platform/config/options.ts').Config };
  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase, {}, { listen: true });
  });
  afterAll(async () => t?.close());

  it('imports bcrypt, salted SHA-256 and MD5 accounts, reports bad lines, and upgrades hashes at login', async () => {
    const csv = [
      'username,email,password_hash,unit_code,real_name,national_id,titles',
      `old.bcrypt,b@example.org,${bcrypt.hashSync('bcrypt-pass-1', 4).replace('$2b$', '$2y$')},454503,張老師,,教師;導師`,
      `old.sha,s@example.org,sha256$NaCl$${sha256('NaCl', 'sha-pass-12')},454601,李老師,F131104093,教師`,
      `old.md5,m@example.org,md5$${md5('md5-pass-123')},454602,,,`,
      'bad.hash,x@example.org,plaintext,454602,,,',
      `bad.unit,y@example.org,md5$${md5('whatever1')},999999,,,`,
      `teacher01,dup@example.org,md5$${md5('whatever1')},454503,,,`,
      `"dup.person",p@example.org,md5$${md5('whatever1')},454503,,A128765434,`,
    ].join('\n');
    const file = join(t.config.dataDir, 'legacy.csv');
    writeFileSync(file, csv);
    const errors: string[] = [];
    const logs: string[] = [];
    const origError = console.error;
    const origLog = console.log;
    console.error = (m: string) => errors.push(String(m));
    console.log = (m: string) => logs.push(String(m));
    let code: number;
    try {
      code = await countyCommand.run(t.config, ['import-accounts', '--tenant', 'cyc', file]);
    } finally {
      console.error = origError;
      console.log = origLog;
    }
    expect(code).toBe(1);
    expect(logs.join('\n')).toContain('imported 3 of 7 accounts into cyc; skipped 4');
    expect(errors).toEqual([
      'line 5 (bad.hash): unsupported password hash format',
      'line 6 (bad.unit): unknown unit 999999',
      'line 7 (teacher01): username already exists',
      'line 8 (dup.person): this person already has an account',
    ]);
    const imported = await findAccountByUsername(t.county.db, 'cyc', 'old.bcrypt');
    expect(imported?.titles).toEqual(['教師', '導師']);
    expect(imported?.status).toBe('active');

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
      expect(await countyCommand.run(t.config, ['import-accounts', '--tenant', 'nowhere', file])).toBe(1);
      expect(await countyCommand.run(t.config, ['import-accounts', file])).toBe(2);
    } finally {
      console.error = origError;
    }
  });
});
