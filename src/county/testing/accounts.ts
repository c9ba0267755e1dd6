// Test support: accounts and sessions as a suite finds them in the county's database.
import { randomBytes } from 'node:crypto';
import { insertAccount } from '../accounts/repository.ts';
import type { CountyTx } from '../db.ts';
import type { County } from '../services.ts';

/**
 * An active teacher of 民雄國小 (嘉義縣) with a verified email and `password`, named `prefix` and random
 * hex, so that it is new in every run (a suite's counters in Redis outlive it); its username.
 */
export async function newVerifiedTeacher(county: County, prefix: string, password: string): Promise<string> {
  const username = `${prefix}${randomBytes(4).toString('hex')}`;
  await insertAccount(county.db, {
    tenant: 'cyc',
    username,
    passwordHash: await county.hasher.hash(password),
    email: `${username}@example.org`,
    emailVerified: true,
    role: 'teacher',
    state: 'active',
    unitCode: '454503',
  });
  return username;
}

/** How many browser sessions the database holds (none when they live in Redis). */
export async function storedSessions(db: CountyTx): Promise<number> {
  const row = await db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
