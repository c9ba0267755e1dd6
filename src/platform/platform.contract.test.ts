import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryAudit, recordAudit } from './audit/audit-log.ts';
import type { Database } from './database/connect.ts';
import type { PlatformTables } from './database/platform-schema.ts';
import { DatabaseSessionStore, RedisSessionStore, type SessionStore } from './http/session-store.ts';
import { claimJobs, completeJob, enqueueJob, failJob, listJobs, retryJob } from './jobs/queue.ts';
import { JobRunner, PermanentFailure, RetryLater } from './jobs/runner.ts';
import { queueMail, SEND_MAIL_JOB, sendMailHandler, smtpTransport } from './mail/index.ts';
import { MailSink } from './mail/sink.ts';
import { createLogger } from './observability/logger.ts';
import { SignedLinks } from './security/signed-link.ts';
import {
  DatabaseThrottleStore,
  RedisThrottleStore,
  Throttle,
  type ThrottleStore,
} from './security/throttle.ts';
import { testDatabases } from './testing/databases.ts';
import { freePort } from './testing/ports.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from './testing/services.ts';

const log = createLogger('silent');

describe.each(await testDatabases())('platform repositories on $name', (kind) => {
  let database: Database<PlatformTables>;
  beforeAll(async () => {
    database = await kind.open<PlatformTables>();
  });
  afterAll(async () => {
    await database.close();
  });

  describe('job queue', () => {
    it('stores a job once per idempotency key', async () => {
      const first = await enqueueJob(database.db, 'demo.once', { n: 1 }, { idempotencyKey: 'once-1' });
      const second = await enqueueJob(database.db, 'demo.once', { n: 2 }, { idempotencyKey: 'once-1' });
      expect(first).toBeTypeOf('string');
      expect(second).toBeUndefined();
      const jobs = await listJobs(database.db, { type: 'demo.once' });
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.payload).toEqual({ n: 1 });
    });

    it('never hands the same job to two workers at once', async () => {
      for (let i = 0; i < 10; i++) await enqueueJob(database.db, 'demo.claim', { i });
      const [a, b] = await Promise.all([
        claimJobs(database.db, 'worker-a', ['demo.claim'], 6, 60_000),
        claimJobs(database.db, 'worker-b', ['demo.claim'], 6, 60_000),
      ]);
      const ids = [...(a ?? []), ...(b ?? [])].map((j) => j.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toHaveLength(10);
    });

    it('retries with backoff, then fails visibly after the last attempt', async () => {
      await enqueueJob(database.db, 'demo.fail', {}, { maxAttempts: 2 });
      let [job] = await claimJobs(database.db, 'w', ['demo.fail'], 1, 60_000);
      expect(job?.attempts).toBe(1);
      expect(await failJob(database.db, job!, 'w', 'boom 1', 0)).toBe('retry');
      [job] = await claimJobs(database.db, 'w', ['demo.fail'], 1, 60_000);
      expect(job?.attempts).toBe(2);
      expect(await failJob(database.db, job!, 'w', 'boom 2')).toBe('failed');
      const [stored] = await listJobs(database.db, { type: 'demo.fail' });
      expect(stored?.state).toBe('failed');
      expect(stored?.last_error).toBe('boom 2');
      expect(await retryJob(database.db, stored!.id)).toBe(true);
      const [again] = await claimJobs(database.db, 'w', ['demo.fail'], 1, 60_000);
      expect(again?.id).toBe(stored?.id);
      await completeJob(database.db, again!.id, 'w');
    });

    it('gives a job back to the queue when its worker died (lease expired)', async () => {
      await enqueueJob(database.db, 'demo.lease', {});
      const [job] = await claimJobs(database.db, 'dead-worker', ['demo.lease'], 1, 1);
      expect(job).toBeDefined();
      await new Promise((r) => setTimeout(r, 30));
      const [again] = await claimJobs(database.db, 'live-worker', ['demo.lease'], 1, 60_000);
      expect(again?.id).toBe(job?.id);
      expect(again?.attempts).toBe(2);
    });

    it('runs handlers, honours RetryLater and PermanentFailure', async () => {
      const runner = new JobRunner(database.db, log);
      const seen: string[] = [];
      let calls = 0;
      runner.register('demo.run', async (payload) => {
        seen.push(String(payload.name));
      });
      runner.register('demo.later', async () => {
        calls++;
        if (calls === 1) throw new RetryLater('rate limited', 0);
      });
      runner.register('demo.never', async () => {
        throw new PermanentFailure('bad input');
      });
      await enqueueJob(database.db, 'demo.run', { name: 'a' });
      await enqueueJob(database.db, 'demo.later', {});
      await enqueueJob(database.db, 'demo.never', {});
      await runner.drain();
      expect(seen).toEqual(['a']);
      expect(calls).toBe(2);
      const [never] = await listJobs(database.db, { type: 'demo.never' });
      expect(never?.state).toBe('failed');
      expect(never?.attempts).toBe(1);
    });
  });

  describe('mail outbox', () => {
    it('delivers a committed mail over SMTP exactly once', async () => {
      const sink = new MailSink();
      const port = await sink.listen(await freePort());
      const transport = smtpTransport(`smtp://127.0.0.1:${port}`);
      try {
        const runner = new JobRunner(database.db, log);
        runner.register(
          SEND_MAIL_JOB,
          sendMailHandler(database.db, transport, 'EduGate <no-reply@edugate.test>'),
        );
        const to = `reviewer-${kind.name}@mail.cyc.edu.tw`;
        await database.db.transaction().execute(async (tx) => {
          await queueMail(tx, { to, subject: '帳號申請審核', text: '請審核 http://localhost/approve?t=1' });
        });
        await expect(
          database.db.transaction().execute(async (tx) => {
            await queueMail(tx, { to, subject: 'rolled back', text: 'never sent' });
            throw new Error('change failed');
          }),
        ).rejects.toThrow('change failed');
        await runner.drain();
        const mail = await sink.waitFor((m) => m.to.includes(to));
        expect(mail.subject).toBe('帳號申請審核');
        expect(mail.text).toContain('http://localhost/approve?t=1');
        expect(sink.list({ to })).toHaveLength(1);
        const rows = await database.db
          .selectFrom('mail_outbox')
          .selectAll()
          .where('to_address', '=', to)
          .execute();
        expect(rows).toHaveLength(1);
        expect(rows[0]?.state).toBe('sent');
      } finally {
        transport.close();
        await sink.close();
      }
    });
  });

  describe('audit log', () => {
    it('appends and queries, and refuses changes', async () => {
      await recordAudit(database.db, {
        tenant: 'cyc',
        actor: 'cycadmin',
        action: 'account.suspended',
        target: 'teacher01',
        ip: '127.0.0.1',
        details: { reason: 'left' },
      });
      const [row] = await queryAudit(database.db, { tenant: 'cyc', action: 'account.' });
      expect(row?.actor).toBe('cycadmin');
      expect(row?.details).toEqual({ reason: 'left' });
      await expect(sql`update audit_log set actor = 'x'`.execute(database.db)).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_log`.execute(database.db)).rejects.toThrow(/append-only/);
    });
  });

  describe('signed one-time links', () => {
    const links = new SignedLinks('x'.repeat(40), 'http://localhost:4001/cyc');
    it('works once, for its purpose only', async () => {
      const token = await links.sign({ purpose: 'review.approve', subject: 'reg-1' }, 3600);
      await expect(links.consume(database.db, token, 'email.verify')).rejects.toMatchObject({
        code: 'link_invalid',
      });
      const claims = await links.consume(database.db, token, 'review.approve');
      expect(claims.subject).toBe('reg-1');
      await expect(links.consume(database.db, token, 'review.approve')).rejects.toMatchObject({
        code: 'link_used',
      });
    });
    it('refuses altered and expired links', async () => {
      const token = await links.sign({ purpose: 'p', subject: 's' }, 3600);
      const altered = `${token.slice(0, -3)}${token.endsWith('a') ? 'bbb' : 'aaa'}`;
      await expect(links.consume(database.db, altered, 'p')).rejects.toMatchObject({ code: 'link_invalid' });
      const expired = await links.sign({ purpose: 'p', subject: 's' }, -10);
      await expect(links.consume(database.db, expired, 'p')).rejects.toMatchObject({ code: 'link_expired' });
    });
  });

  describe('sessions and throttling in the database', () => {
    it('stores, expires and destroys sessions', async () => {
      await sessionContract(new DatabaseSessionStore(database.db));
    });
    it('counts attempts in fixed windows, atomically, and forgets them on success', async () => {
      await throttleContract(new DatabaseThrottleStore(database.db, 'test'));
    });
    it('keeps the counters of stores with different prefixes apart', async () => {
      const logins = new DatabaseThrottleStore(database.db, 'logins');
      const resets = new DatabaseThrottleStore(database.db, 'resets');
      const key = `acct:${Math.random()}`;
      await logins.take([key], 60);
      await logins.take([key], 60);
      await resets.take([key], 60);
      expect((await logins.countsOf([key]))[0]?.count).toBe(2);
      expect((await resets.countsOf([key]))[0]?.count).toBe(1);
      await resets.reset(key);
      expect((await logins.countsOf([key]))[0]?.count).toBe(2);
      expect((await resets.countsOf([key]))[0]?.count).toBe(0);
    });
  });
});

async function sessionContract(store: SessionStore) {
  const id = `sess-${Math.random()}`;
  await store.set(id, { account: 'teacher01' }, 60);
  expect(await store.get(id)).toEqual({ account: 'teacher01' });
  await store.set(id, { account: 'teacher02' }, 60);
  expect(await store.get(id)).toEqual({ account: 'teacher02' });
  await store.destroy(id);
  expect(await store.get(id)).toBeUndefined();
  // A new id after sign-in: the old one is gone, the new one holds the data.
  await store.set(`${id}-old`, { csrf: 'x' }, 60);
  await store.replace(`${id}-old`, `${id}-new`, { csrf: 'x', account: 'teacher01' }, 60);
  expect(await store.get(`${id}-old`)).toBeUndefined();
  expect(await store.get(`${id}-new`)).toEqual({ csrf: 'x', account: 'teacher01' });
  await store.set(`${id}-short`, { a: 1 }, 1);
  await new Promise((r) => setTimeout(r, 1100));
  expect(await store.get(`${id}-short`)).toBeUndefined();
}

async function throttleContract(store: ThrottleStore) {
  const key = `acct:${Math.random()}`;
  const other = `ip:${Math.random()}`;
  const [first] = await store.take([key], 600);
  expect(first?.count).toBe(1);
  expect(first?.resetAt).toBeGreaterThan(Date.now() + 590_000);
  await new Promise((r) => setTimeout(r, 20));
  const [second, firstOfOther] = await store.take([key, other], 600);
  // The window starts with the first count: later counts do not stretch it.
  expect(second?.count).toBe(2);
  expect(Math.abs((second?.resetAt ?? 0) - (first?.resetAt ?? 0))).toBeLessThan(1000);
  expect(firstOfOther?.count).toBe(1);
  // Several keys in one read, in the order asked.
  const counts = await store.countsOf([key, other, `none:${Math.random()}`]);
  expect(counts.map((c) => c.count)).toEqual([2, 1, 0]);
  await store.giveBack([key]);
  expect((await store.countsOf([key]))[0]?.count).toBe(1);
  await store.reset(key);
  expect((await store.countsOf([key]))[0]?.count).toBe(0);
  // A sign-in: its budget forgotten, its address given its count back, in one step.
  await store.take([key, other], 600);
  await store.settle([key], [other]);
  expect((await store.countsOf([key, other])).map((c) => c.count)).toEqual([0, 1]);

  // 20 attempts at once: each gets a count of its own, so a budget lets through what it allows.
  const racing = `race:${Math.random()}`;
  const address = `ip:${Math.random()}`;
  const taken = await Promise.all(Array.from({ length: 20 }, () => store.take([racing, address], 600)));
  expect(taken.map(([c]) => c?.count).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  expect((await store.countsOf([address]))[0]?.count).toBe(20);
  const throttle = new Throttle(store, { limit: 3, windowSeconds: 600 });
  const budget = `budget:${Math.random()}`;
  const waits = await Promise.all(Array.from({ length: 20 }, () => throttle.take([budget])));
  expect(waits.filter((w) => w === 0)).toHaveLength(3);
  expect(Math.min(...waits.filter((w) => w > 0))).toBeGreaterThan(590);
  // An attempt given back (it was not made) leaves its place in the budget to the next one.
  const spared = `spared:${Math.random()}`;
  for (let i = 0; i < 3; i++) expect(await throttle.take([spared])).toBe(0);
  await throttle.giveBack([spared]);
  expect(await throttle.take([spared])).toBe(0);
  expect(await throttle.take([spared])).toBeGreaterThan(590);
}

describe('sessions and throttling in Redis', async () => {
  const available = await redisAvailable();
  if (!available)
    missingService('Redis', `start redis-server or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);
  const redis = available ? new Redis(TEST_REDIS_URL) : undefined;
  afterAll(() => redis?.disconnect());
  it.runIf(available)('stores, expires and destroys sessions', async () => {
    await sessionContract(new RedisSessionStore(redis!, `edugate:test:${Date.now()}:`));
  });
  it.runIf(available)('counts attempts in fixed windows, atomically', async () => {
    await throttleContract(new RedisThrottleStore(redis!, `edugate:test:${Date.now()}:`));
  });
});
