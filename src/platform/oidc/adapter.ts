import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { OidcTables } from './schema.ts';

/** oidc-provider models that must survive a restart or a Redis flush: grants and refresh tokens. */
export const DURABLE_MODELS = new Set([
  'Grant',
  'RefreshToken',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

const epoch = () => Math.floor(Date.now() / 1000);

/** oidc-provider storage on the role database (PGlite or PostgreSQL), one row per artifact. */
export class DatabaseAdapter implements Adapter {
  readonly #db: Kysely<OidcTables>;
  readonly #tenant: string;
  readonly #model: string;

  constructor(db: Kysely<OidcTables>, tenant: string, model: string) {
    this.#db = db;
    this.#tenant = tenant;
    this.#model = model;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const json = JSON.stringify(payload);
    const expires = expiresIn ? new Date(Date.now() + expiresIn * 1000) : null;
    const row = {
      tenant: this.#tenant,
      model: this.#model,
      id,
      payload: json,
      grant_id: payload.grantId ?? null,
      uid: payload.uid ?? null,
      user_code: payload.userCode ?? null,
      expires_at: expires,
    };
    await this.#db
      .insertInto('oidc_payloads')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['tenant', 'model', 'id']).doUpdateSet({
          payload: json,
          grant_id: row.grant_id,
          uid: row.uid,
          user_code: row.user_code,
          expires_at: expires,
        }),
      )
      .execute();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('id', id);
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('uid', uid);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('user_code', userCode);
  }

  async #findWhere(column: 'id' | 'uid' | 'user_code', value: string): Promise<AdapterPayload | undefined> {
    const row = await this.#db
      .selectFrom('oidc_payloads')
      .select(['payload', 'expires_at', 'consumed_at'])
      .where('tenant', '=', this.#tenant)
      .where('model', '=', this.#model)
      .where(column, '=', value)
      .executeTakeFirst();
    if (!row) return undefined;
    if (row.expires_at && new Date(row.expires_at).getTime() <= Date.now()) return undefined;
    const payload = row.payload as AdapterPayload;
    if (row.consumed_at) payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
    return payload;
  }

  async consume(id: string): Promise<void> {
    await this.#db
      .updateTable('oidc_payloads')
      .set({ consumed_at: new Date() })
      .where('tenant', '=', this.#tenant)
      .where('model', '=', this.#model)
      .where('id', '=', id)
      .execute();
  }

  async destroy(id: string): Promise<void> {
    await this.#db
      .deleteFrom('oidc_payloads')
      .where('tenant', '=', this.#tenant)
      .where('model', '=', this.#model)
      .where('id', '=', id)
      .execute();
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db
      .deleteFrom('oidc_payloads')
      .where('tenant', '=', this.#tenant)
      .where('model', '=', this.#model)
      .where('grant_id', '=', grantId)
      .execute();
  }
}

/** Deletes expired artifacts of every tenant; returns how many rows went. */
export async function sweepExpiredPayloads(db: Kysely<OidcTables>): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * oidc-provider storage on Redis for short-lived artifacts (codes, access tokens, sessions,
 * interactions). Each artifact is one JSON value with the artifact's TTL; a set per grant lists
 * the keys to remove when the grant is revoked; consumption is a sibling key.
 */
export class RedisAdapter implements Adapter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #model: string;

  constructor(redis: Redis, prefix: string, model: string) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#model = model;
  }

  #key(id: string) {
    return `${this.#prefix}${this.#model}:${id}`;
  }
  #grantKey(grantId: string) {
    return `${this.#prefix}grant:${grantId}`;
  }
  #uidKey(uid: string) {
    return `${this.#prefix}uid:${this.#model}:${uid}`;
  }
  #userCodeKey(code: string) {
    return `${this.#prefix}usercode:${this.#model}:${code}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    const multi = this.#redis.multi();
    if (expiresIn) multi.set(key, JSON.stringify(payload), 'EX', expiresIn);
    else multi.set(key, JSON.stringify(payload));
    if (payload.grantId) {
      const grantKey = this.#grantKey(payload.grantId);
      multi.sadd(grantKey, key);
      if (expiresIn) multi.expire(grantKey, expiresIn, 'GT');
      else multi.persist(grantKey);
      if (expiresIn) multi.expire(grantKey, expiresIn, 'NX');
    }
    for (const [index, value] of [
      [this.#uidKey(payload.uid ?? ''), payload.uid],
      [this.#userCodeKey(payload.userCode ?? ''), payload.userCode],
    ] as const) {
      if (!value) continue;
      if (expiresIn) multi.set(index, id, 'EX', expiresIn);
      else multi.set(index, id);
    }
    await multi.exec();
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#key(id);
    const [value, consumed] = await this.#redis.mget(key, `${key}:consumed`);
    if (!value) return undefined;
    const payload = JSON.parse(value) as AdapterPayload;
    if (consumed) payload.consumed = Number(consumed);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(this.#uidKey(uid));
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(this.#userCodeKey(userCode));
    return id ? this.find(id) : undefined;
  }

  async consume(id: string): Promise<void> {
    const key = this.#key(id);
    const ttl = await this.#redis.ttl(key);
    if (ttl === -2) return;
    if (ttl > 0) await this.#redis.set(`${key}:consumed`, String(epoch()), 'EX', ttl);
    else await this.#redis.set(`${key}:consumed`, String(epoch()));
  }

  async destroy(id: string): Promise<void> {
    const key = this.#key(id);
    const value = await this.#redis.get(key);
    const keys = [key, `${key}:consumed`];
    if (value) {
      const payload = JSON.parse(value) as AdapterPayload;
      if (payload.uid) keys.push(this.#uidKey(payload.uid));
      if (payload.userCode) keys.push(this.#userCodeKey(payload.userCode));
    }
    await this.#redis.del(...keys);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = this.#grantKey(grantId);
    const members = await this.#redis.smembers(grantKey);
    const mine = members.filter((key) => key.startsWith(`${this.#prefix}${this.#model}:`));
    if (mine.length === 0) return;
    await this.#redis
      .multi()
      .del(...mine, ...mine.map((key) => `${key}:consumed`))
      .srem(grantKey, ...mine)
      .exec();
  }
}
