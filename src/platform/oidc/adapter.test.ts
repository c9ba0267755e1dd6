import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { testDatabases } from '../testing/databases.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../testing/services.ts';
import { DatabaseAdapter, RedisAdapter, sweepExpiredPayloads } from './adapter.ts';
import { oidcMigrations } from './migrations.ts';
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
    return {
      factory: (model) => new DatabaseAdapter(db, 't1', model),
      other: (model) => new DatabaseAdapter(db, 't2', model),
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
} else {
  missingService('Redis', `start it or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);
}
