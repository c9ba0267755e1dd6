import { createChallenge } from 'altcha-lib/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { solveOnPage } from '../testing/proof-of-work.ts';
import { ProofOfWork } from './proof-of-work.ts';
import { DatabaseThrottleStore } from './throttle.ts';

const onPage = (challenge: object) =>
  `<fieldset data-pow-challenge="${JSON.stringify(challenge).replaceAll('"', '&quot;')}">`;

describe('proof-of-work challenge', () => {
  let database: Database<PlatformTables>;
  let pow: ProofOfWork;
  beforeAll(async () => {
    database = await embeddedTestDatabase.open<PlatformTables>();
    pow = new ProofOfWork('installation secret', new DatabaseThrottleStore(database.db, 'pow-test'), {
      maxNumber: 5000,
    });
  });
  afterAll(async () => database?.close());

  it('gives nothing away on the page: the challenge is a hash, the number has to be found', async () => {
    const challenge = await pow.challenge('county:cyc:login');
    expect(Object.keys(challenge).sort()).toEqual([
      'algorithm',
      'challenge',
      'maxnumber',
      'salt',
      'signature',
    ]);
    expect(challenge.challenge).toMatch(/^[0-9a-f]{64}$/);
    expect(challenge.salt).toContain('purpose=county%3Acyc%3Alogin');
  });

  it('passes a solved challenge once, for its own purpose only', async () => {
    const solution = await solveOnPage(onPage(await pow.challenge('county:cyc:login')));
    expect(await pow.check(solution, 'county:tn:login')).toBe('failed');
    expect(await pow.check(solution, 'county:cyc:login')).toBe('passed');
    // Replayed: refused.
    expect(await pow.check(solution, 'county:cyc:login')).toBe('failed');
  });

  it('refuses a wrong number, a foreign signature, an expired challenge and garbage', async () => {
    const solution = await solveOnPage(onPage(await pow.challenge('cloud:login')));
    const payload = JSON.parse(Buffer.from(solution, 'base64').toString());
    const wrong = Buffer.from(JSON.stringify({ ...payload, number: payload.number + 1 })).toString('base64');
    expect(await pow.check(wrong, 'cloud:login')).toBe('failed');
    const foreign = await createChallenge({
      hmacKey: 'some other key',
      maxNumber: 1000,
      params: { purpose: 'cloud:login' },
      expires: new Date(Date.now() + 60_000),
    });
    expect(await pow.check(await solveOnPage(onPage(foreign)), 'cloud:login')).toBe('failed');
    const expired = new ProofOfWork(
      'installation secret',
      new DatabaseThrottleStore(database.db, 'pow-test'),
      {
        maxNumber: 1000,
        ttlSeconds: -1,
      },
    );
    expect(
      await pow.check(await solveOnPage(onPage(await expired.challenge('cloud:login'))), 'cloud:login'),
    ).toBe('failed');
    expect(await pow.check('not base64 json', 'cloud:login')).toBe('failed');
    expect(await pow.check(Buffer.from('null').toString('base64'), 'cloud:login')).toBe('failed');
    expect(await pow.check('', 'cloud:login')).toBeUndefined();
  });
});
