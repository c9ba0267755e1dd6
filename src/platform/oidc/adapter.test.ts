import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type Kysely, sql } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import type { Notifications } from '../database/notifications.ts';
import { RedisNotifications } from '../runtime/redis-notifications.ts';
import { testDatabases } from '../testing/databases.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../testing/services.ts';
import { DatabaseAdapter, RedisAdapter, sweepExpiredPayloads } from './adapter.ts';
import { ArtifactCopies } from './artifact-copies.ts';
import { ConsumedBefore, revokingOnReplay } from './grant-revocation.ts';
import { oidcMigrations } from './migrations.ts';
import { withRequestScope } from './request-scope.ts';
import { type OidcTables, oidcView } from './schema.ts';

type Factory = (model: string) => Adapter;

/** The oidc-provider adapter contract, run against every store. */
function adapterContract(
  name: string,
  setup: () => Promise<{ factory: Factory; other: Factory; close(): Promise<void> }>,
) {
  describe(`oidc adapter contract: ${name}`, () => {
    let factory: Factory;
    let other: Factory;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ factory, other, close } = await setup());
    });
    afterAll(async () => close?.());
    const id = () => randomBytes(12).toString('base64url');

    it('stores, finds and destroys a payload by id, per model', async () => {
      const codes = factory('AuthorizationCode');
      const key = id();
      const payload = {
        jti: key,
        kind: 'AuthorizationCode',
        accountId: 'a1',
        scope: 'openid',
        grantId: 'g1',
      };
      await codes.upsert(key, payload as AdapterPayload, 60);
      expect(await codes.find(key)).toEqual(payload);
      expect(await factory('AccessToken').find(key)).toBeUndefined();
      await codes.upsert(key, { ...payload, scope: 'openid email' } as AdapterPayload, 60);
      expect(await codes.find(key)).toMatchObject({ scope: 'openid email' });
      await codes.destroy(key);
      expect(await codes.find(key)).toBeUndefined();
    });

    it('keeps tenants apart', async () => {
      const key = id();
      await factory('AccessToken').upsert(key, { jti: key } as AdapterPayload, 60);
      expect(await other('AccessToken').find(key)).toBeUndefined();
      expect(await factory('AccessToken').find(key)).toEqual({ jti: key });
    });

    it('marks a payload consumed', async () => {
      const codes = factory('AuthorizationCode');
      const key = id();
      await codes.upsert(key, { jti: key } as AdapterPayload, 60);
      expect((await codes.find(key))?.consumed).toBeUndefined();
      await codes.consume(key);
      const consumed = (await codes.find(key))?.consumed;
      expect(typeof consumed).toBe('number');
      expect(Math.abs((consumed as number) - Date.now() / 1000)).toBeLessThan(5);
    });

    it('lets an authorization code be consumed once: a second consumption gets invalid_grant', async () => {
      const codes = factory('AuthorizationCode');
      const key = id();
      await codes.upsert(key, { jti: key, kind: 'AuthorizationCode' } as AdapterPayload, 60);
      // Two exchanges that both found the code unconsumed: only the first may issue tokens.
      const [first, second] = await Promise.allSettled([codes.consume(key), codes.consume(key)]);
      expect(first.status).toBe('fulfilled');
      expect(second).toMatchObject({
        status: 'rejected',
        reason: { error: 'invalid_grant', error_description: 'grant request is invalid' },
      });
      expect((second as PromiseRejectedResult).reason).toBeInstanceOf(ConsumedBefore);
      await expect(codes.consume(key)).rejects.toMatchObject({ error: 'invalid_grant' });
      await expect(codes.consume(id())).rejects.toMatchObject({ error: 'invalid_grant' });
      // The provider's store of codes then revokes the grant the code was issued from.
      const revoked: string[] = [];
      const replayed = revokingOnReplay(codes, async (grantId) => {
        revoked.push(grantId);
      });
      const code = id();
      await codes.upsert(code, { jti: code, kind: 'AuthorizationCode', grantId: 'grant-of-code' }, 60);
      await replayed.consume(code);
      expect(revoked).toEqual([]);
      await expect(replayed.consume(code)).rejects.toBeInstanceOf(ConsumedBefore);
      expect(revoked).toEqual(['grant-of-code']);
      // A refresh token's consumption (its rotation) is marked each time, as before.
      const tokens = factory('RefreshToken');
      await tokens.upsert(key, { jti: key, kind: 'RefreshToken' } as AdapterPayload, 60);
      await tokens.consume(key);
      await tokens.consume(key);
      expect(typeof (await tokens.find(key))?.consumed).toBe('number');
    });

    it('finds sessions by uid and device codes by user code', async () => {
      const sessions = factory('Session');
      const key = id();
      const uid = id();
      await sessions.upsert(key, { jti: key, uid, accountId: 'a1' } as AdapterPayload, 60);
      expect(await sessions.findByUid(uid)).toMatchObject({ jti: key, accountId: 'a1' });
      await sessions.destroy(key);
      expect(await sessions.findByUid(uid)).toBeUndefined();
      const devices = factory('DeviceCode');
      await devices.upsert(key, { jti: key, userCode: 'ABCD-EFGH' } as AdapterPayload, 60);
      expect(await devices.findByUserCode('ABCD-EFGH')).toMatchObject({ jti: key });
    });

    it('expires payloads after their TTL', async () => {
      const tokens = factory('AccessToken');
      const key = id();
      await tokens.upsert(key, { jti: key } as AdapterPayload, 1);
      expect(await tokens.find(key)).toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect(await tokens.find(key)).toBeUndefined();
    });

    it('revokes every artifact of a grant, model by model', async () => {
      const grantId = id();
      const keep = id();
      const codes = factory('AuthorizationCode');
      const tokens = factory('AccessToken');
      const [a, b, c] = [id(), id(), id()];
      await codes.upsert(a, { jti: a, grantId } as AdapterPayload, 60);
      await tokens.upsert(b, { jti: b, grantId } as AdapterPayload, 60);
      await tokens.upsert(c, { jti: c, grantId: keep } as AdapterPayload, 60);
      await tokens.revokeByGrantId(grantId);
      expect(await tokens.find(b)).toBeUndefined();
      expect(await tokens.find(c)).toBeDefined();
      expect(await codes.find(a)).toBeDefined();
      await codes.revokeByGrantId(grantId);
      expect(await codes.find(a)).toBeUndefined();
    });

    it('keeps payloads without an expiry', async () => {
      const grants = factory('Grant');
      const key = id();
      await grants.upsert(key, { jti: key, accountId: 'a1' } as AdapterPayload);
      expect(await grants.find(key)).toEqual({ jti: key, accountId: 'a1' });
    });
  });
}

for (const kind of await testDatabases()) {
  let database: Database<unknown>;
  adapterContract(kind.name, async () => {
    database = await kind.open(oidcMigrations('0901_oidc_contract'));
    const db = oidcView(database.db);
    // As the provider builds them: short-lived artifacts commit lazily on PostgreSQL.
    const asyncCommit = database.kind === 'postgres';
    return {
      factory: (model) => new DatabaseAdapter(db, 't1', model, { asyncCommit }),
      other: (model) => new DatabaseAdapter(db, 't2', model, { asyncCommit }),
      close: () => database.close(),
    };
  });

  describe(`oidc adapter maintenance: ${kind.name}`, () => {
    it('sweeps expired rows and keeps live ones', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      try {
        const db: Kysely<OidcTables> = oidcView(opened.db);
        const tokens = new DatabaseAdapter(db, 't1', 'AccessToken');
        await tokens.upsert('old', { jti: 'old' } as AdapterPayload, 1);
        await tokens.upsert('live', { jti: 'live' } as AdapterPayload, 600);
        await tokens.upsert('forever', { jti: 'forever' } as AdapterPayload);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect(await sweepExpiredPayloads(db)).toBe(1);
        const left = await db.selectFrom('oidc_payloads').select('id').orderBy('id').execute();
        expect(left.map((r) => r.id)).toEqual(['forever', 'live']);
      } finally {
        await opened.close();
      }
    });

    it('writes short-lived artifacts with a lazy commit that stays within their statement', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      try {
        // One connection throughout: the setting must not outlive the write.
        await opened.db.connection().execute(async (connection) => {
          const db: Kysely<OidcTables> = oidcView(connection);
          const setting = async () =>
            (await sql<{ value: string }>`select current_setting('synchronous_commit') as value`.execute(db))
              .rows[0]?.value;
          const before = await setting();
          const options = { asyncCommit: opened.kind === 'postgres' };
          const codes = new DatabaseAdapter(db, 't1', 'AuthorizationCode', options);
          const grants = new DatabaseAdapter(db, 't1', 'Grant', options);
          await codes.upsert('c1', { jti: 'c1', grantId: 'g1' } as AdapterPayload, 60);
          await codes.upsert('c1', { jti: 'c1', grantId: 'g2' } as AdapterPayload, 60);
          await codes.consume('c1');
          await grants.upsert('g2', { jti: 'g2' } as AdapterPayload, 600);
          expect(await setting()).toBe(before);
          expect(await codes.find('c1')).toMatchObject({
            jti: 'c1',
            grantId: 'g2',
            consumed: expect.any(Number),
          });
          expect(await grants.find('g2')).toEqual({ jti: 'g2' });
          const row = await db
            .selectFrom('oidc_payloads')
            .select(['grant_id', 'expires_at'])
            .where('id', '=', 'c1')
            .executeTakeFirstOrThrow();
          expect(row.grant_id).toBe('g2');
          expect(new Date(row.expires_at as Date).getTime()).toBeGreaterThan(Date.now());
        });
      } finally {
        await opened.close();
      }
    });
  });
}

/** The OIDC tables of `db`, with the query id of every statement run noted in `statements`. */
function counting(db: Kysely<unknown>): { db: Kysely<OidcTables>; statements: string[] } {
  const statements: string[] = [];
  const counted = db.withPlugin({
    transformQuery: (args) => args.node,
    async transformResult(args) {
      statements.push(args.queryId.queryId);
      return args.result;
    },
  });
  return { db: oidcView(counted), statements };
}

for (const kind of await testDatabases()) {
  describe(`oidc adapter companions: ${kind.name}`, () => {
    it('reads a token with its grant and session in one statement, for that request only', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      try {
        const { db, statements } = counting(opened.db);
        const alice = randomUUID();
        const found: AdapterPayload[] = [];
        const tokens = new DatabaseAdapter(db, 't1', 'AccessToken', {
          companions: { grant: true, session: true },
          onFound: (payload) => found.push(payload),
        });
        const grants = new DatabaseAdapter(db, 't1', 'Grant');
        const sessions = new DatabaseAdapter(db, 't1', 'Session');
        await grants.upsert('g1', { jti: 'g1', accountId: alice } as AdapterPayload, 60);
        await sessions.upsert('s1', { jti: 's1', uid: 'u1', accountId: alice } as AdapterPayload, 60);
        const token = { jti: 'at1', grantId: 'g1', sessionUid: 'u1', accountId: alice };
        await tokens.upsert('at1', token as AdapterPayload, 60);

        await withRequestScope(async () => {
          statements.length = 0;
          expect(await tokens.find('at1')).toEqual(token);
          // What it found is reported at once (the provider starts reading its account then).
          expect(found).toEqual([token]);
          // Changed after the statement: this request goes on with what it read together.
          await sql`delete from oidc_payloads where model in ('Grant', 'Session')`.execute(opened.db);
          statements.length = 0;
          expect(await grants.find('g1')).toMatchObject({ accountId: alice });
          expect(await sessions.findByUid('u1')).toMatchObject({ jti: 's1' });
          expect(statements).toHaveLength(0);
          // Left for one step only: reading the grant again reads the database.
          expect(await grants.find('g1')).toBeUndefined();
        });
        // The next request sees the database as it is.
        await withRequestScope(async () => {
          expect(await tokens.find('at1')).toEqual(token);
          expect(await grants.find('g1')).toBeUndefined();
          expect(await sessions.findByUid('u1')).toBeUndefined();
        });
        // Outside a request nothing is left behind.
        await grants.upsert('g1', { jti: 'g1', accountId: alice } as AdapterPayload, 60);
        expect(await tokens.find('at1')).toEqual(token);
        await grants.destroy('g1');
        expect(await grants.find('g1')).toBeUndefined();

        // A write in the same request forgets what was read ahead.
        await grants.upsert('g1', { jti: 'g1', accountId: alice, v: 1 } as AdapterPayload, 60);
        await withRequestScope(async () => {
          await tokens.find('at1');
          await grants.upsert('g1', { jti: 'g1', accountId: alice, v: 2 } as AdapterPayload, 60);
          expect(await grants.find('g1')).toMatchObject({ v: 2 });
        });

        // An expired grant read along with a token is not found, as when read alone.
        await grants.upsert('g1', { jti: 'g1', accountId: alice } as AdapterPayload, 60);
        await sql`update oidc_payloads set expires_at = now() - interval '1 second' where model = 'Grant'`.execute(
          opened.db,
        );
        await withRequestScope(async () => {
          await tokens.find('at1');
          expect(await grants.find('g1')).toBeUndefined();
        });
      } finally {
        await opened.close();
      }
    });
  });
}

for (const kind of await testDatabases()) {
  describe(`oidc adapter read-ahead: ${kind.name}`, () => {
    it('reads a grant as soon as a token names it, for that request only', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      try {
        const { db, statements } = counting(opened.db);
        const alice = randomUUID();
        const grants = new DatabaseAdapter(db, 't1', 'Grant');
        await grants.upsert('g1', { jti: 'g1', accountId: alice } as AdapterPayload, 60);
        await withRequestScope(async () => {
          statements.length = 0;
          grants.readAhead('g1');
          await new Promise((resolve) => setTimeout(resolve, 20));
          expect(statements).toHaveLength(1);
          await sql`delete from oidc_payloads where model = 'Grant'`.execute(opened.db);
          expect(await grants.find('g1')).toMatchObject({ accountId: alice });
        });
        // A grant that is gone: found neither ahead nor later; the next request reads anew.
        await grants.upsert('g1', { jti: 'g1', accountId: alice } as AdapterPayload, 60);
        await withRequestScope(async () => {
          grants.readAhead('missing');
          expect(await grants.find('missing')).toBeUndefined();
        });
        await withRequestScope(async () => {
          expect(await grants.find('g1')).toMatchObject({ accountId: alice });
        });
      } finally {
        await opened.close();
      }
    });
  });

  describe(`oidc adapter node copy: ${kind.name}`, () => {
    it('gives every read of a kept grant its own payload: what one reader changes, the next does not see', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      // Announcements heard, none sent: what the node read stays its copy.
      const notifications: Notifications = {
        listening: true,
        listen: async () => async () => {},
        close: async () => {},
      };
      const grants = new DatabaseAdapter(opened.db, 't1', 'Grant', { keep: true });
      try {
        await grants.follow(notifications, 'edugate_test_grants');
        const grant = { jti: 'g1', accountId: 'a', openid: { scope: 'openid' } } as AdapterPayload;
        await grants.upsert('g1', grant, 60);
        const first = (await grants.find('g1')) as { openid: { scope: string } };
        // What oidc-provider's Grant.addOIDCScope does to the object it read.
        first.openid.scope = 'openid profile';
        // Gone from the table behind the node's back: the next read is the node's copy, as it was.
        await sql`delete from oidc_payloads where model = 'Grant'`.execute(opened.db);
        expect(await grants.find('g1')).toMatchObject({ openid: { scope: 'openid' } });
        await withRequestScope(async () => {
          grants.readAhead('g1');
          expect(await grants.find('g1')).toMatchObject({ openid: { scope: 'openid' } });
        });
      } finally {
        await grants.close();
        await opened.close();
      }
    });
  });

  describe(`oidc adapter batches: ${kind.name}`, () => {
    it('runs the reads and writes of one turn as one statement each, every caller getting its own', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      try {
        // Each statement's result passes the plugin once (the adapter's fixed SQL included).
        const { db, statements } = counting(opened.db);
        const asyncCommit = opened.kind === 'postgres';
        const codes = new DatabaseAdapter(db, 't1', 'AuthorizationCode', { asyncCommit });
        const ids = ['c1', 'c2', 'c3', 'c4'];
        await Promise.all([
          ...ids.map((id) => codes.upsert(id, { jti: id, accountId: `a-${id}` } as AdapterPayload, 60)),
          // The same code saved twice in one turn: the later save counts.
          codes.upsert('c4', { jti: 'c4', accountId: 'a-c4', v: 2 } as AdapterPayload, 60),
        ]);
        expect(statements).toHaveLength(1);

        statements.length = 0;
        const found = await Promise.all([...ids, 'missing', 'c1'].map((id) => codes.find(id)));
        expect(statements).toHaveLength(1);
        expect(found.map((payload) => payload?.accountId)).toEqual([
          'a-c1',
          'a-c2',
          'a-c3',
          'a-c4',
          undefined,
          'a-c1',
        ]);
        expect(found[3]).toMatchObject({ v: 2 });

        // A code consumed twice in one turn: the first consumption counts, the second is refused.
        const consumed = await Promise.allSettled([
          codes.consume('c1'),
          codes.consume('c2'),
          codes.consume('c1'),
        ]);
        expect(consumed.map((result) => result.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
        const after = await Promise.all(ids.map((id) => codes.find(id)));
        expect(after.map((payload) => typeof payload?.consumed)).toEqual([
          'number',
          'number',
          'undefined',
          'undefined',
        ]);

        // Sessions found by uid in one turn.
        const sessions = new DatabaseAdapter(db, 't1', 'Session', { asyncCommit });
        await Promise.all(
          ['s1', 's2'].map((id) => sessions.upsert(id, { jti: id, uid: `u-${id}` } as AdapterPayload, 60)),
        );
        statements.length = 0;
        const byUid = await Promise.all(['u-s2', 'u-none', 'u-s1'].map((uid) => sessions.findByUid(uid)));
        expect(statements).toHaveLength(1);
        expect(byUid.map((payload) => payload?.jti)).toEqual(['s2', undefined, 's1']);
      } finally {
        await opened.close();
      }
    });

    it('reads a session with the grants it names, and rewrites an unchanged session only when its expiry moves far', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      try {
        const { db, statements } = counting(opened.db);
        const sessions = new DatabaseAdapter(db, 't1', 'Session', {
          companions: { grant: false, session: false, grants: true },
          rewriteAfter: 300,
        });
        const grants = new DatabaseAdapter(db, 't1', 'Grant');
        await grants.upsert('g1', { jti: 'g1', clientId: 'c1' } as AdapterPayload, 600);
        const session = {
          jti: 's1',
          uid: 'u1',
          accountId: 'a1',
          exp: 1,
          authorizations: { c1: { sid: 'x', grantId: 'g1' }, c2: { sid: 'y', grantId: 'gone' } },
        };
        await sessions.upsert('s1', session as unknown as AdapterPayload, 3600);
        const rowExpiry = async () =>
          new Date(
            (
              await db
                .selectFrom('oidc_payloads')
                .select('expires_at')
                .where('id', '=', 's1')
                .executeTakeFirstOrThrow()
            ).expires_at as Date,
          ).getTime();
        const written = await rowExpiry();

        await withRequestScope(async () => {
          statements.length = 0;
          const found = await sessions.find('s1');
          expect(found).toMatchObject({ accountId: 'a1' });
          expect(await grants.find('g1')).toEqual({ jti: 'g1', clientId: 'c1' });
          expect(await grants.find('gone')).toBeUndefined();
          expect(statements).toHaveLength(1);
          // Saved again unchanged (a new exp, keys in another order): not rewritten.
          const { authorizations, ...rest } = found as unknown as typeof session;
          await sessions.upsert('s1', { authorizations, ...rest, exp: 2 } as unknown as AdapterPayload, 3600);
          expect(statements).toHaveLength(1);
        });
        expect(await rowExpiry()).toBe(written);

        await withRequestScope(async () => {
          const found = (await sessions.find('s1')) as unknown as typeof session;
          // A change is written at once.
          found.authorizations.c1.sid = 'changed';
          await sessions.upsert('s1', found as unknown as AdapterPayload, 3600);
        });
        expect(await sessions.find('s1')).toMatchObject({ authorizations: { c1: { sid: 'changed' } } });

        await withRequestScope(async () => {
          const found = await sessions.find('s1');
          // Unchanged, but the expiry moves by more than `rewriteAfter`: written.
          await sessions.upsert('s1', found as AdapterPayload, 3600 + 301);
        });
        expect(await rowExpiry()).toBeGreaterThan(written + 300_000);
      } finally {
        await opened.close();
      }
    });

    it('leaves what a batched read brought along in the request that asked for it', async () => {
      const opened = await kind.open(oidcMigrations('0901_oidc_contract'));
      try {
        const db: Kysely<OidcTables> = oidcView(opened.db);
        const [alice, bob] = [randomUUID(), randomUUID()];
        const tokens = new DatabaseAdapter(db, 't1', 'AccessToken', {
          companions: { grant: true, session: false },
        });
        const grants = new DatabaseAdapter(db, 't1', 'Grant');
        for (const [who, accountId] of [
          ['alice', alice],
          ['bob', bob],
        ] as const) {
          await grants.upsert(`g-${who}`, { jti: `g-${who}`, accountId } as AdapterPayload, 60);
          await tokens.upsert(
            `at-${who}`,
            { jti: `at-${who}`, grantId: `g-${who}`, accountId } as AdapterPayload,
            60,
          );
        }
        const request = (who: string, other: string) =>
          withRequestScope(async () => {
            const token = await tokens.find(`at-${who}`);
            // Only this request's grant was left for it: the other's is read again (and deleted now).
            await sql`delete from oidc_payloads where model = 'Grant' and id = ${`g-${other}`}`.execute(
              opened.db,
            );
            const notMine = await grants.find(`g-${other}`);
            const grant = await grants.find(`g-${who}`);
            return { token: token?.jti, grant: grant?.accountId, notMine: notMine?.jti };
          });
        const [a, b] = await Promise.all([request('alice', 'bob'), request('bob', 'alice')]);
        expect(a).toEqual({ token: 'at-alice', grant: alice, notMine: undefined });
        expect(b).toEqual({ token: 'at-bob', grant: bob, notMine: undefined });
      } finally {
        await opened.close();
      }
    });
  });
}

if (await redisAvailable()) {
  adapterContract('redis', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const prefix = `edugate:test:${randomBytes(4).toString('hex')}:`;
    return {
      factory: (model) => new RedisAdapter(redis, `${prefix}t1:`, model),
      other: (model) => new RedisAdapter(redis, `${prefix}t2:`, model),
      async close() {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      },
    };
  });
  adapterContract("redis, with this node's copies of tokens and sessions", async () => {
    const redis = new Redis(TEST_REDIS_URL);
    const notifications = new RedisNotifications(redis);
    const prefix = `edugate:test:${randomBytes(4).toString('hex')}:`;
    const copies = [new ArtifactCopies(`${prefix}t1:changes`), new ArtifactCopies(`${prefix}t2:changes`)];
    for (const copy of copies) await copy.follow(notifications, copy.channel);
    const copied = (model: string, copy: ArtifactCopies) =>
      ['AccessToken', 'Session', 'AuthorizationCode'].includes(model)
        ? { copies: copy, keepWritten: model === 'AuthorizationCode' }
        : {};
    return {
      factory: (model) =>
        new RedisAdapter(redis, `${prefix}t1:`, model, copied(model, copies[0] as ArtifactCopies)),
      other: (model) =>
        new RedisAdapter(redis, `${prefix}t2:`, model, copied(model, copies[1] as ArtifactCopies)),
      async close() {
        for (const copy of copies) await copy.close();
        await notifications.close();
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      },
    };
  });
  describe('oidc adapter on Redis: one round trip per read', () => {
    it('keeps a code this node wrote for its exchange; its use is still settled in Redis', async () => {
      const redis = new Redis(TEST_REDIS_URL);
      const notifications = new RedisNotifications(redis);
      const prefix = `edugate:test:${randomBytes(4).toString('hex')}:`;
      const nodes = [new ArtifactCopies(`${prefix}changes`), new ArtifactCopies(`${prefix}changes`)];
      for (const copies of nodes) await copies.follow(notifications, copies.channel);
      await expect.poll(() => nodes.every((copies) => copies.heard)).toBe(true);
      const [here, there] = nodes.map(
        (copies) => new RedisAdapter(redis, prefix, 'AuthorizationCode', { copies, keepWritten: true }),
      ) as [RedisAdapter, RedisAdapter];
      const kept = (node: number, id: string) => nodes[node]?.get(`${prefix}AuthorizationCode:${id}`);
      try {
        const code = { jti: 'c1', kind: 'AuthorizationCode', grantId: 'g1', accountId: 'a' };
        await here.upsert('c1', code as AdapterPayload, 60);
        expect(kept(0, 'c1')).toMatchObject({ consumed: null });
        expect(kept(1, 'c1')).toBeUndefined();
        // Gone from Redis behind the nodes' backs (never so in use): the writer answers from memory.
        await redis.rename(`${prefix}AuthorizationCode:c1`, `${prefix}hidden`);
        expect(await here.find('c1')).toEqual(code);
        expect(await there.find('c1')).toBeUndefined();
        await redis.rename(`${prefix}hidden`, `${prefix}AuthorizationCode:c1`);
        // Consumed on the other node: the writer drops its copy when it hears of it, and in any case
        // its own consumption is refused by Redis.
        await there.consume('c1');
        await expect(here.consume('c1')).rejects.toBeInstanceOf(ConsumedBefore);
        await expect.poll(() => kept(0, 'c1')).toBeUndefined();
        expect((await here.find('c1'))?.consumed).toBeTypeOf('number');
        // A code written over (not what oidc-provider does) is not kept as written.
        await here.upsert('c2', { ...code, jti: 'c2' } as AdapterPayload, 60);
        await there.upsert('c2', { ...code, jti: 'c2', accountId: 'b' } as AdapterPayload, 60);
        expect(kept(1, 'c2')).toBeUndefined();
        await expect.poll(() => kept(0, 'c2')).toBeUndefined();
        expect(await here.find('c2')).toMatchObject({ accountId: 'b' });
      } finally {
        for (const copies of nodes) await copies.close();
        await notifications.close();
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    });

    it('reads a token with the session it names, also after Redis forgot its scripts', async () => {
      const redis = new Redis(TEST_REDIS_URL);
      const prefix = `edugate:test:${randomBytes(4).toString('hex')}:`;
      try {
        const found: AdapterPayload[] = [];
        const tokens = new RedisAdapter(redis, prefix, 'AccessToken', {
          withSession: true,
          onFound: (payload) => found.push(payload),
        });
        const sessions = new RedisAdapter(redis, prefix, 'Session');
        await sessions.upsert('s1', { jti: 's1', uid: 'u1', accountId: 'a' } as AdapterPayload, 60);
        const token = { jti: 'at1', sessionUid: 'u1', grantId: 'g1', accountId: 'a' };
        await tokens.upsert('at1', token as AdapterPayload, 60);
        await redis.script('FLUSH');
        await withRequestScope(async () => {
          expect(await tokens.find('at1')).toEqual(token);
          // Changed after the read: this request goes on with what it read together.
          await redis.del(`${prefix}Session:s1`);
          expect(await sessions.findByUid('u1')).toMatchObject({ jti: 's1' });
          // Left for one step only.
          expect(await sessions.findByUid('u1')).toBeUndefined();
        });
        expect(found).toEqual([token]);
        await tokens.consume('at1');
        expect((await tokens.find('at1'))?.consumed).toBeTypeOf('number');
        expect(await tokens.find('missing')).toBeUndefined();
      } finally {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    });

    for (const copied of [false, true]) {
      it(`rewrites a session saved unchanged only when its expiry moves far (${copied ? "from the node's copy" : 'read from Redis'})`, async () => {
        const redis = new Redis(TEST_REDIS_URL);
        const notifications = new RedisNotifications(redis);
        const prefix = `edugate:test:${randomBytes(4).toString('hex')}:`;
        const copies = new ArtifactCopies(`${prefix}changes`);
        if (copied) await copies.follow(notifications, copies.channel);
        try {
          const sessions = new RedisAdapter(redis, prefix, 'Session', {
            rewriteAfter: 300,
            ...(copied ? { copies } : {}),
          });
          const session = { jti: 's1', uid: 'u1', accountId: 'a', exp: 1 };
          await sessions.upsert('s1', session as AdapterPayload, 3600);
          const ttl = () => redis.ttl(`${prefix}Session:s1`);
          // Time passing, as the expiry Redis keeps: a copy kept meanwhile would not know of it.
          const expire = async (seconds: number) => {
            await redis.expire(`${prefix}Session:s1`, seconds);
            copies.forget([`${prefix}Session:s1`]);
          };
          await expire(3500);
          await withRequestScope(async () => {
            const read = await sessions.find('s1');
            await sessions.upsert('s1', { ...read, exp: 2 } as AdapterPayload, 3600);
          });
          expect(await ttl()).toBeLessThanOrEqual(3500);
          await expire(3000);
          await withRequestScope(async () => {
            const read = await sessions.find('s1');
            await sessions.upsert('s1', { ...read, exp: 3 } as AdapterPayload, 3600);
          });
          expect(await ttl()).toBeGreaterThan(3500);
          // Unchanged with its keys in another order: not rewritten either.
          await expire(3500);
          await withRequestScope(async () => {
            const { jti, uid, accountId } = (await sessions.find('s1')) as AdapterPayload;
            await sessions.upsert('s1', { exp: 4, accountId, uid, jti } as AdapterPayload, 3600);
          });
          expect(await ttl()).toBeLessThanOrEqual(3500);
          // A value changed, the keys in the same order: written.
          await withRequestScope(async () => {
            const read = await sessions.find('s1');
            await sessions.upsert('s1', { ...read, accountId: 'b', exp: 5 } as AdapterPayload, 3600);
          });
          expect(await sessions.find('s1')).toMatchObject({ accountId: 'b' });
          await expire(3500);
          await withRequestScope(async () => {
            const read = await sessions.find('s1');
            await sessions.upsert('s1', { ...read, changed: true } as AdapterPayload, 3600);
          });
          expect(await sessions.find('s1')).toMatchObject({ changed: true });
          // As oidc-provider saves a session that got its authorizations after it was first written:
          // the same nested values after the keys that came first are no change; a nested one is.
          const authorizations = { c1: { sid: 'x', grantId: 'g1' } };
          await sessions.upsert('s1', { ...session, authorizations } as unknown as AdapterPayload, 3600);
          await expire(3500);
          const again = async (change: (found: Record<string, unknown>) => Record<string, unknown>) =>
            withRequestScope(async () => {
              const { jti, uid, accountId, exp, authorizations, ...rest } = (await sessions.find(
                's1',
              )) as unknown as Record<string, unknown>;
              const reordered = { ...rest, authorizations, accountId, uid, jti, exp: Number(exp) + 1 };
              await sessions.upsert('s1', change(structuredClone(reordered)) as AdapterPayload, 3600);
            });
          await again((found) => found);
          expect(await ttl()).toBeLessThanOrEqual(3500);
          await again((found) => ({ ...found, authorizations: { c1: { grantId: 'g1', sid: 'x' } } }));
          expect(await ttl()).toBeLessThanOrEqual(3500);
          await again((found) => ({ ...found, authorizations: { c1: { sid: 'x', grantId: 'g2' } } }));
          expect(await sessions.find('s1')).toMatchObject({ authorizations: { c1: { grantId: 'g2' } } });
          await expire(3500);
          await again((found) => ({ ...found, authorizations: { c1: { sid: 'x', grantId: 'g2' }, c2: {} } }));
          expect(await sessions.find('s1')).toMatchObject({ authorizations: { c2: {} } });
        } finally {
          await copies.close();
          await notifications.close();
          const keys = await redis.keys(`${prefix}*`);
          if (keys.length > 0) await redis.del(...keys);
          redis.disconnect();
        }
      });
    }
  });
} else {
  missingService('Redis', `start it or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);
}
