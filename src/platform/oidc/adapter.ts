import type { ChainableCommander, Redis } from 'ioredis';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { copyJson, deepFreeze } from '../database/frozen-values.ts';
import type { Notifications, NotificationWarning } from '../database/notifications.ts';
import { NotifiedCache } from '../database/notified-cache.ts';
import { TurnBatch } from '../database/turn-batch.ts';
import { RedisScript } from '../runtime/redis-script.ts';
import type { ArtifactCopies, StoredArtifact } from './artifact-copies.ts';
import { epochSeconds } from './epoch.ts';
import { ConsumedBefore } from './grant-revocation.ts';
import { currentScope, ScopeSlot } from './request-scope.ts';
import type { OidcTables } from './schema.ts';

/** oidc-provider models that must survive a restart or a Redis flush: grants and refresh tokens. */
export const DURABLE_MODELS = new Set([
  'Grant',
  'RefreshToken',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

/**
 * Artifacts used once: their consumption succeeds only for the first of concurrent uses. oidc-provider
 * refuses a code found consumed, but two exchanges of one code that both find it before either marks
 * it would both get tokens (RFC 6749 §4.1.2: a code used more than once MUST be refused). Refresh
 * tokens are left as they are: a rotation raced by another tab of the same client is not a replay.
 */
export const SINGLE_USE_MODELS = new Set(['AuthorizationCode']);

interface PayloadRow {
  payload: unknown;
  expires_at: Date | string | null;
  consumed_at: Date | string | null;
  /** From the node's copy: its payload parsed once, frozen and shared; each read gets a copy. */
  kept?: boolean;
}

/** A payload as the request read it, for `rewriteAfter`: compared only if it is saved again. */
interface ReadPayload {
  json: string;
  /** The payload's `exp` as read. */
  exp: unknown;
  expiresAt: number;
  /** `json` parsed and frozen, when the read came from (or was kept as) the node's copy. */
  parsed?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * What an artifact store keeps in the request scope (see request-scope.ts), each keyed by the
 * artifact (`tenant:model:column:value`, or the Redis key): rows read ahead for a later step of
 * the request (a token's grant and session, a session's grants), taken once; and what the request
 * read of an artifact it may save again unchanged.
 */
const READ_AHEAD = new ScopeSlot(
  'oidc artifacts read ahead',
  () => new Map<string, PayloadRow | null | Promise<PayloadRow | null>>(),
);
const REDIS_AHEAD = new ScopeSlot(
  'oidc artifacts read ahead on Redis',
  () => new Map<string, { value: string | null; consumed: string | null }>(),
);
const READ_AS = new ScopeSlot('oidc artifacts as read', () => new Map<string, ReadPayload>());

/** Takes (and forgets) what an earlier step of the current request left under `key`. */
function take<T>(slot: ScopeSlot<Map<string, T>>, key: string): T | undefined {
  const map = currentScope()?.get(slot);
  if (!map?.has(key)) return undefined;
  const value = map.get(key) as T;
  map.delete(key);
  return value;
}

/** Leaves `value` under `key` for a later step of the current request (nothing outside one). */
function leave<T>(slot: ScopeSlot<Map<string, T>>, key: string, value: T): void {
  currentScope()?.get(slot).set(key, value);
}

function forget<T>(slot: ScopeSlot<Map<string, T>>, key: string): void {
  currentScope()?.get(slot).delete(key);
}

export interface DatabaseAdapterOptions {
  /**
   * What the next steps of the same request read after this artifact: its grant (`Grant.find`),
   * its session (`Session.findByUid`, for tokens that end with the sign-in session; only when
   * sessions are in this database) and, for a session, the grants it names (one per client it
   * signed in to; the authorization reads the client's next). They are read in the same statement
   * and left for those steps. Set for codes, tokens and sessions.
   */
  companions?: {
    grant: boolean;
    session: boolean;
    grants?: boolean;
  };
  /** Called with each artifact `find` returns: lets a later step of the request start its read now. */
  onFound?(payload: AdapterPayload): void;
  /**
   * Seconds: a payload saved again unchanged in the request that read it is rewritten only when
   * its expiry moves by more than this. oidc-provider saves the sign-in session on every
   * authorization to slide its expiry; this spares the write when nothing else changed, at the
   * price of an expiry up to this much earlier. Sessions only.
   */
  rewriteAfter?: number;
  /**
   * PostgreSQL only (never on PGlite): writes of a short-lived model commit without waiting for
   * the WAL flush. Ignored for `DURABLE_MODELS`.
   */
  asyncCommit?: boolean;
  /**
   * Grants: keep what was read in this node's copy until a change is announced (`follow`; the
   * trigger of migration `…_grant_changes` announces every change and deletion of a grant, on any
   * node). A token's use reads its grant from memory then, and the database not at all.
   */
  keep?: boolean;
}

/** A stored row as oidc-provider expects it back: undefined once expired, `consumed` when used. */
function toPayload(row: PayloadRow | undefined): AdapterPayload | undefined {
  if (!row || row.payload === null || row.payload === undefined) return undefined;
  if (row.expires_at && new Date(row.expires_at).getTime() <= Date.now()) return undefined;
  const payload = (
    typeof row.payload === 'string' ? JSON.parse(row.payload) : row.kept ? copyJson(row.payload) : row.payload
  ) as AdapterPayload;
  if (row.consumed_at) payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
  return payload;
}

/** Prefix of the statement's own columns. */
const OWN = 'oidc__';

/**
 * The statement reading artifacts (ids in `$3`) with their companions: primary key lookups for
 * the artifact and its grant (or, for a session, the grants it names), the session by its uid
 * index. Grants and session come as JSON `[payload, expires_at, consumed_at]` from scalar
 * subqueries.
 */
function companionStatement(companions: NonNullable<DatabaseAdapterOptions['companions']>): string {
  const columns = [
    `t.id as ${OWN}id`,
    `t.payload as ${OWN}payload`,
    `t.expires_at as ${OWN}expires_at`,
    `t.consumed_at as ${OWN}consumed_at`,
    `t.grant_id as ${OWN}grant_id`,
    `t.payload->>'sessionUid' as ${OWN}session_uid`,
  ];
  const triple = 'json_build_array(c.payload, c.expires_at, c.consumed_at)';
  if (companions.grant) {
    columns.push(`(select ${triple} from oidc_payloads c
      where c.tenant = t.tenant and c.model = 'Grant' and c.id = t.grant_id) as ${OWN}grant`);
  }
  if (companions.session) {
    columns.push(`(select ${triple} from oidc_payloads c
      where c.tenant = t.tenant and c.model = 'Session' and c.uid = t.payload->>'sessionUid' limit 1)
      as ${OWN}session`);
  }
  if (companions.grants) {
    columns.push(`(select json_agg(json_build_array(g.id, g.payload, g.expires_at, g.consumed_at))
      from jsonb_each(coalesce(t.payload->'authorizations', '{}'::jsonb)) au
      cross join lateral (select c.id, c.payload, c.expires_at, c.consumed_at from oidc_payloads c
        where c.tenant = t.tenant and c.model = 'Grant' and c.id = au.value->>'grantId' limit 1) g)
      as ${OWN}grants`);
  }
  return `select ${columns.join(', ')} from ${lookup('id')}`;
}

/**
 * The artifacts of the model whose `column` (id or uid) is one of `$3`: one index lookup per
 * value, written as a lateral subquery (its `limit 1` keeps the planner from flattening it) so
 * that the plan does not depend on column statistics. With `id = any($3)`, a plan made before the
 * table was first analysed reads every artifact of the model.
 */
function lookup(column: 'id' | 'uid'): string {
  return `unnest($3::text[]) as k(value) cross join lateral (select * from oidc_payloads p
    where p.tenant = $1 and p.model = $2 and p.${column} = k.value limit 1) t`;
}

/**
 * Makes a write statement commit without waiting for the WAL flush: its transaction (the
 * statement's own) runs with `synchronous_commit = off`, set locally: the pooled connection's
 * next statement runs with its own setting again.
 */
const LAZY_COMMIT = "with lazy as materialized (select set_config('synchronous_commit', 'off', true))";

const UPSERT_CONFLICT = `on conflict (tenant, model, id) do update set payload = excluded.payload,
  grant_id = excluded.grant_id, uid = excluded.uid, user_code = excluded.user_code,
  expires_at = excluded.expires_at`;
/** Rows to write come as one JSON array in `$3` (one statement for a batch of upserts). */
const UPSERT_ROWS = `json_to_recordset($3::json) as u(id text, payload jsonb, grant_id text, uid text,
  user_code text, expires_at timestamptz)`;
const UPSERT_INTO =
  'insert into oidc_payloads (tenant, model, id, payload, grant_id, uid, user_code, expires_at)';
const UPSERT_VALUES = 'select $1, $2, u.id, u.payload, u.grant_id, u.uid, u.user_code, u.expires_at';
const UPSERT = `${UPSERT_INTO} ${UPSERT_VALUES} from ${UPSERT_ROWS} ${UPSERT_CONFLICT}`;
const UPSERT_LAZY = `${LAZY_COMMIT} ${UPSERT_INTO} ${UPSERT_VALUES} from lazy, ${UPSERT_ROWS} ${UPSERT_CONFLICT}`;
const CONSUME_WHERE = 'tenant = $2 and model = $3 and id = $4';
const CONSUME = `update oidc_payloads set consumed_at = $1 where ${CONSUME_WHERE}`;
const CONSUME_LAZY = `${LAZY_COMMIT} update oidc_payloads set consumed_at = $1::timestamptz from lazy
  where ${CONSUME_WHERE}`;
/** Appended for a single-use artifact: a row only for the first consumption (see `SINGLE_USE_MODELS`). */
const ONCE = ' and consumed_at is null returning oidc_payloads.id';
const FIND = `select t.id, t.payload, t.expires_at, t.consumed_at from ${lookup('id')}`;
const FIND_BY_UID = `select t.uid, t.payload, t.expires_at, t.consumed_at from ${lookup('uid')}`;

/** One row to upsert: its id and its JSON (taken when `upsert` is called, not at the flush). */
interface UpsertRow {
  id: string;
  json: string;
}

/**
 * Whether two JSON values are equal: object keys in any order, a key holding `undefined` as good as
 * absent (JSON.stringify leaves it out), and the top-level key `except` ignored. Anything else that
 * differs (a value JSON would write otherwise, such as a Date beside its string) counts as a change.
 */
function sameJson(a: unknown, b: unknown, except?: string): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let unmatched = 0;
  for (const key in x) {
    if (key === except || x[key] === undefined) continue;
    if (!sameJson(x[key], y[key])) return false;
    unmatched++;
  }
  for (const key in y) if (key !== except && y[key] !== undefined) unmatched--;
  return unmatched === 0;
}

/**
 * Whether a payload is the one read (`read`) but for its `exp` (keys in any order). With the node's
 * parsed copy of what was read, the two are compared as they are. Else the read JSON with the new
 * `exp` is compared with the new JSON first: the same when oidc-provider wrote the keys in the same
 * order as the stored JSON has them (not so for a session whose `authorizations` came after it
 * was first written), and nothing needs parsing.
 */
function sameButExpiry(read: ReadPayload, payload: Record<string, unknown>): boolean {
  if (read.parsed) return sameJson(read.parsed, payload, 'exp');
  if (JSON.stringify({ ...payload, exp: read.exp }) === read.json) return true;
  return sameJson(JSON.parse(read.json), payload, 'exp');
}

/** A json column's value: pg parses it, PGlite may hand over the text. */
function fromJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** The rows of `rows` keyed by `column`, in the order of `keys` (undefined where none). */
function inOrder<R extends object>(keys: string[], rows: R[], column: string): Array<R | undefined> {
  const byKey = new Map<unknown, R>();
  for (const row of rows) {
    const key = (row as Record<string, unknown>)[column];
    if (!byKey.has(key)) byKey.set(key, row);
  }
  return keys.map((key) => byKey.get(key));
}

/**
 * oidc-provider storage on the role database (PGlite or PostgreSQL): one row per artifact, its
 * JSON payload in the row, found by primary key (tenant, model, id) and written by one statement.
 * The statements are fixed SQL (no query building on the hot path). Reads and upserts made in the
 * same turn of the event loop share one statement (`TurnBatch`): under load, concurrent requests
 * at the same step cost one round trip together.
 *
 * Durability: with `asyncCommit` (PostgreSQL), codes, access tokens, sessions and interactions
 * are written and consumed with `synchronous_commit = off` in the statement's own transaction —
 * the durability Redis gives them: a database crash can lose the last few hundred milliseconds of
 * them (a person signs in again), never corrupts anything. Grants, refresh tokens, clients and
 * keys, and every deletion (logout, revocation), still wait for the flush.
 */
export class DatabaseAdapter implements Adapter {
  readonly #db: Kysely<OidcTables>;
  readonly #tenant: string;
  readonly #model: string;
  readonly #companions: DatabaseAdapterOptions['companions'];
  readonly #onFound: DatabaseAdapterOptions['onFound'];
  readonly #reads: TurnBatch<string, Record<string, unknown> | undefined>;
  readonly #uidReads: TurnBatch<string, PayloadRow | undefined>;
  readonly #upserts: TurnBatch<UpsertRow, void>;
  readonly #consume: string;
  readonly #singleUse: boolean;
  readonly #rewriteAfterMs: number | undefined;
  readonly #copy: NotifiedCache<PayloadRow> | undefined;

  constructor(db: Kysely<OidcTables>, tenant: string, model: string, options: DatabaseAdapterOptions = {}) {
    this.#db = db;
    this.#tenant = tenant;
    this.#model = model;
    this.#companions = options.companions;
    this.#onFound = options.onFound;
    const lazy = options.asyncCommit === true && !DURABLE_MODELS.has(model);
    const statement = options.companions ? companionStatement(options.companions) : FIND;
    this.#reads = new TurnBatch(async (ids) => {
      const rows = await this.#run<Record<string, unknown>>(statement, [tenant, model, ids]);
      return inOrder(ids, rows, options.companions ? `${OWN}id` : 'id');
    });
    this.#uidReads = new TurnBatch<string, PayloadRow | undefined>(async (uids) =>
      inOrder(uids, await this.#run<PayloadRow & { uid: string }>(FIND_BY_UID, [tenant, model, uids]), 'uid'),
    );
    this.#upserts = new TurnBatch(async (rows) => {
      // The same artifact saved twice in one turn: the later save is the one that counts.
      const latest = new Map(rows.map((row) => [row.id, row]));
      const json = `[${[...latest.values()].map((row) => row.json).join(',')}]`;
      await this.#run(lazy ? UPSERT_LAZY : UPSERT, [tenant, model, json]);
      return rows.map(() => undefined);
    });
    this.#singleUse = SINGLE_USE_MODELS.has(model);
    this.#consume = `${lazy ? CONSUME_LAZY : CONSUME}${this.#singleUse ? ONCE : ''}`;
    this.#rewriteAfterMs = options.rewriteAfter === undefined ? undefined : options.rewriteAfter * 1000;
    // The payload kept parsed and frozen: each read gets a copy of its own (oidc-provider changes
    // the nested objects of what it reads, a grant's `openid` for one).
    this.#copy = options.keep
      ? new NotifiedCache<PayloadRow>({
          load: async (id) => {
            const row = (await this.#reads.add(id)) as PayloadRow | undefined;
            if (!row) return undefined;
            const payload = fromJson<unknown>(row.payload);
            return { payload, expires_at: row.expires_at, consumed_at: row.consumed_at, kept: true };
          },
        })
      : undefined;
  }

  /** With `keep`: starts following the announced changes on `channel` (until then, reads every time). */
  follow(notifications: Notifications, channel: string, warn?: NotificationWarning): Promise<void> {
    return this.#copy?.follow(notifications, channel, warn) ?? Promise.resolve();
  }

  /** Stops following changes (the copy is dropped; reads go to the database). */
  close(): Promise<void> {
    return this.#copy?.close() ?? Promise.resolve();
  }

  async #run<R>(text: string, parameters: unknown[]): Promise<R[]> {
    const result = await this.#db.executeQuery<R>(CompiledQuery.raw(text, parameters));
    return result.rows;
  }

  /** Where a row read ahead for a later step of the request waits (see `companions`). */
  #aheadKey(model: string, column: 'id' | 'uid', value: string) {
    return `${this.#tenant}:${model}:${column}:${value}`;
  }

  #forgetAhead(id: string, uid?: string) {
    forget(READ_AHEAD, this.#aheadKey(this.#model, 'id', id));
    if (uid) forget(READ_AHEAD, this.#aheadKey(this.#model, 'uid', uid));
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.#rewriteAfterMs !== undefined && expiresIn) {
      const read = take(READ_AS, this.#readKey(id));
      const moved = Date.now() + expiresIn * 1000 - (read?.expiresAt ?? 0);
      if (read && moved < this.#rewriteAfterMs && sameButExpiry(read, payload)) return;
    }
    this.#forgetAhead(id, payload.uid);
    const json = JSON.stringify({
      id,
      payload,
      grant_id: payload.grantId ?? null,
      uid: payload.uid ?? null,
      user_code: payload.userCode ?? null,
      expires_at: expiresIn ? new Date(Date.now() + expiresIn * 1000).toISOString() : null,
    });
    this.#copy?.forget(id);
    await this.#upserts.add({ id, json });
    // This node's next read reads the new row (the others hear the trigger).
    this.#copy?.forget(id);
  }

  /** Where `rewriteAfter` keeps what this request read of an artifact. */
  #readKey(id: string) {
    return `${this.#tenant}:${this.#model}:${id}`;
  }

  /** The payload of a row read for oidc-provider (noted for `rewriteAfter`). */
  #found(row: PayloadRow | null | undefined): AdapterPayload | undefined {
    const payload = toPayload(row ?? undefined);
    if (
      payload &&
      row &&
      this.#rewriteAfterMs !== undefined &&
      row.expires_at &&
      typeof payload.jti === 'string'
    ) {
      // As read (oidc-provider may change the object it gets): compared only if it is saved again.
      leave(READ_AS, this.#readKey(payload.jti), {
        json: JSON.stringify(payload),
        exp: payload.exp,
        expiresAt: new Date(row.expires_at).getTime(),
      });
    }
    return payload;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const ahead = take(READ_AHEAD, this.#aheadKey(this.#model, 'id', id));
    if (ahead !== undefined) return this.#found(await ahead);
    if (this.#copy) return this.#found(await this.#copy.get(id));
    const row = await this.#reads.add(id);
    const payload = this.#companions
      ? row && this.#found(this.#leaveCompanions(row))
      : this.#found(row as PayloadRow | undefined);
    if (payload) this.#onFound?.(payload);
    return payload;
  }

  /**
   * Starts reading artifact `id` (with its companions) for a later step of the current request:
   * `find(id)` then waits for this read. A grant named by a token is read as soon as the token is.
   */
  readAhead(id: string): void {
    if (this.#copy) {
      const kept = this.#copy.get(id).then((row) => row ?? null);
      kept.catch(() => undefined);
      leave(READ_AHEAD, this.#aheadKey(this.#model, 'id', id), kept);
      return;
    }
    const read = this.#reads
      .add(id)
      .then((row) =>
        row && this.#companions ? this.#leaveCompanions(row) : ((row as PayloadRow | undefined) ?? null),
      );
    // Nobody may wait for it (a token found expired ends the request): no unhandled rejection.
    read.catch(() => undefined);
    leave(READ_AHEAD, this.#aheadKey(this.#model, 'id', id), read);
  }

  /** Leaves the companions of a row for later steps of the request; the artifact's own row. */
  #leaveCompanions(row: Record<string, unknown>): PayloadRow {
    const own = (column: string) => row[`${OWN}${column}`] as never;
    const { grant, session, grants } = this.#companions ?? { grant: false, session: false };
    // `[payload, expires_at, consumed_at]`, or null when there is no such row.
    const companion = (value: unknown): PayloadRow | null => {
      const triple = fromJson<unknown[] | null>(value);
      return triple
        ? { payload: triple[0], expires_at: triple[1] as string, consumed_at: triple[2] as string }
        : null;
    };
    const grantId = own('grant_id') as string | null;
    if (grant && grantId) leave(READ_AHEAD, this.#aheadKey('Grant', 'id', grantId), companion(own('grant')));
    const sessionUid = own('session_uid') as string | null;
    if (session && sessionUid) {
      leave(READ_AHEAD, this.#aheadKey('Session', 'uid', sessionUid), companion(own('session')));
    }
    if (grants) {
      const found = new Map<string, PayloadRow>();
      for (const [gid, payload, expires, consumed] of fromJson<unknown[][] | null>(own('grants')) ?? []) {
        found.set(gid as string, { payload, expires_at: expires as string, consumed_at: consumed as string });
      }
      const authorizations = (
        row[`${OWN}payload`] as { authorizations?: Record<string, { grantId?: string }> }
      )?.authorizations;
      for (const { grantId: gid } of Object.values(authorizations ?? {})) {
        if (gid) leave(READ_AHEAD, this.#aheadKey('Grant', 'id', gid), found.get(gid) ?? null);
      }
    }
    return { payload: own('payload'), expires_at: own('expires_at'), consumed_at: own('consumed_at') };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const ahead = take(READ_AHEAD, this.#aheadKey(this.#model, 'uid', uid));
    if (ahead !== undefined) return this.#found(await ahead);
    return this.#found(await this.#uidReads.add(uid));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const [row] = await this.#run<PayloadRow>(
      'select payload, expires_at, consumed_at from oidc_payloads where tenant = $1 and model = $2 and user_code = $3',
      [this.#tenant, this.#model, userCode],
    );
    return toPayload(row);
  }

  async consume(id: string): Promise<void> {
    this.#forgetAhead(id);
    const rows = await this.#run(this.#consume, [new Date(), this.#tenant, this.#model, id]);
    if (this.#singleUse && rows.length === 0) throw new ConsumedBefore();
  }

  async destroy(id: string): Promise<void> {
    this.#forgetAhead(id);
    this.#copy?.forget(id);
    const rows = await this.#run<{ uid: string | null }>(
      'delete from oidc_payloads where tenant = $1 and model = $2 and id = $3 returning uid',
      [this.#tenant, this.#model, id],
    );
    this.#copy?.forget(id);
    for (const row of rows) if (row.uid) this.#forgetAhead(id, row.uid);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#run('delete from oidc_payloads where tenant = $1 and model = $2 and grant_id = $3', [
      this.#tenant,
      this.#model,
      grantId,
    ]);
  }
}

/** Deletes expired artifacts of every tenant; returns how many rows went. */
export async function sweepExpiredPayloads(db: Kysely<OidcTables>): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Lua scripts of the Redis adapter, each one round trip (EVALSHA; EVAL once when Redis does not
 * know the script yet, e.g. after a restart or SCRIPT FLUSH).
 *
 * FIND_SCRIPT: the artifact (KEYS[1]) and its consumption mark; with a session key prefix in
 * ARGV[1] (and the session uid index prefix in ARGV[2]), also the sign-in session the artifact
 * names by `sessionUid`, which oidc-provider checks next for tokens that end with the session.
 * Keys built in the script: Redis is one node here (not a cluster).
 */
const FIND_SCRIPT = `local value = redis.call('GET', KEYS[1])
if not value then return false end
local consumed = redis.call('GET', KEYS[1] .. ':consumed')
local uid, session, sessionConsumed, sessionTtl = false, false, false, false
if ARGV[1] ~= '' then
  local ok, decoded = pcall(cjson.decode, value)
  if ok and type(decoded) == 'table' and type(decoded['sessionUid']) == 'string' then
    uid = decoded['sessionUid']
    local sid = redis.call('GET', ARGV[2] .. uid)
    if sid then
      session = redis.call('GET', ARGV[1] .. sid)
      sessionConsumed = redis.call('GET', ARGV[1] .. sid .. ':consumed')
      sessionTtl = redis.call('PTTL', ARGV[1] .. sid)
    end
  end
end
return {value, consumed, uid, session, sessionConsumed, redis.call('PTTL', KEYS[1]), sessionTtl}`;

/**
 * An artifact by its uid index (KEYS[1]; ARGV[1] is the model's key prefix): value, consumption
 * and remaining milliseconds.
 */
const FIND_BY_INDEX_SCRIPT = `local id = redis.call('GET', KEYS[1])
if not id then return false end
local key = ARGV[1] .. id
return {redis.call('GET', key), redis.call('GET', key .. ':consumed'), redis.call('PTTL', key)}`;

/**
 * Marks KEYS[1] consumed at ARGV[1] (epoch seconds), expiring with it; announces KEYS[1] on the
 * channel ARGV[2] ('' for none: see ArtifactCopies). Returns 1, or 0 when KEYS[1] is gone; with
 * ARGV[3] = '1' (single use), 2 without marking when it was consumed already.
 */
const CONSUME_SCRIPT = `local ttl = redis.call('TTL', KEYS[1])
if ttl == -2 then return 0 end
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[1] .. ':consumed') == 1 then return 2 end
if ttl > 0 then
  redis.call('SET', KEYS[1] .. ':consumed', ARGV[1], 'EX', ttl)
else
  redis.call('SET', KEYS[1] .. ':consumed', ARGV[1])
end
if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], KEYS[1]) end
return 1`;

/**
 * Stores an artifact (KEYS[1]) as ARGV[1] for ARGV[2] seconds (0: no expiry); adds it to its
 * grant's set (KEYS[2], '' when none), whose expiry only grows; and points its indexes (KEYS[3…],
 * uid and user code) at its id (ARGV[3]) for as long; when it replaces a stored artifact or index,
 * announces the keys ARGV[5] (comma-separated) on the channel ARGV[4] ('' for none: see
 * ArtifactCopies; a new artifact needs no announcement, as no other node keeps a copy of what it
 * has not found) and returns 2; else returns 1 (a new artifact, with a channel: see `keepWritten`).
 * Atomic, like the MULTI it replaces, in one command.
 */
const UPSERT_SCRIPT = `local ttl = tonumber(ARGV[2])
local existed = ARGV[4] ~= '' and redis.call('EXISTS', KEYS[1]) == 1
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl) else redis.call('SET', KEYS[1], ARGV[1]) end
if KEYS[2] ~= '' then
  redis.call('SADD', KEYS[2], KEYS[1])
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[2], ttl, 'GT')
    redis.call('EXPIRE', KEYS[2], ttl, 'NX')
  else
    redis.call('PERSIST', KEYS[2])
  end
end
for i = 3, #KEYS do
  existed = existed or (ARGV[4] ~= '' and redis.call('EXISTS', KEYS[i]) == 1)
  if ttl > 0 then redis.call('SET', KEYS[i], ARGV[3], 'EX', ttl) else redis.call('SET', KEYS[i], ARGV[3]) end
end
if existed then redis.call('PUBLISH', ARGV[4], ARGV[5]) return 2 end
return 1`;

const SCRIPTS = {
  upsert: new RedisScript(UPSERT_SCRIPT),
  find: new RedisScript(FIND_SCRIPT),
  findByIndex: new RedisScript(FIND_BY_INDEX_SCRIPT),
  consume: new RedisScript(CONSUME_SCRIPT),
};

/** A stored value and its consumption mark as oidc-provider expects them back. */
function redisPayload(value: string | null | undefined, consumed: string | null | undefined) {
  if (!value) return undefined;
  const payload = JSON.parse(value) as AdapterPayload;
  if (consumed) payload.consumed = Number(consumed);
  return payload;
}

/**
 * A stored artifact's payload, parsed once (see `StoredArtifact.parsed`): the frozen payload itself
 * when it is flat, else a copy of its own.
 */
function artifactPayload(artifact: StoredArtifact): AdapterPayload | undefined {
  let parsed = artifact.parsed;
  if (parsed === undefined) {
    const payload = redisPayload(artifact.value, artifact.consumed);
    if (!payload) return undefined;
    artifact.flat = Object.values(payload).every((value) => value === null || typeof value !== 'object');
    parsed = artifact.parsed = deepFreeze(payload);
  }
  return (artifact.flat ? parsed : copyJson(parsed)) as AdapterPayload;
}

/** What Redis answered for a key (value, consumption, PTTL) as a copy to keep; none when absent. */
function stored(
  value: string | null | undefined,
  consumed: string | null | undefined,
  ttl: unknown,
): StoredArtifact | undefined {
  if (!value) return undefined;
  const ms = Number(ttl);
  return { value, consumed: consumed ?? null, expiresAt: ms > 0 ? Date.now() + ms : 0 };
}

export interface RedisAdapterOptions {
  /**
   * For codes and tokens: read the sign-in session the artifact names in the same round trip
   * (left for `Session.findByUid` of the same request, which the session binding check calls).
   */
  withSession?: boolean;
  /** Called with each artifact found: lets a later step of the request start its read now. */
  onFound?(payload: AdapterPayload): void;
  /** As `DatabaseAdapterOptions.rewriteAfter`: an unchanged save slides the expiry at most this often. */
  rewriteAfter?: number;
  /**
   * Access tokens and sessions: this node's copies (shared by the adapters of one issuer). Every
   * change is announced on its channel, and what is read is kept there while announcements are
   * heard; sessions read along with a token are kept too.
   */
  copies?: ArtifactCopies;
  /**
   * With `copies`: this node keeps what it writes of a new artifact, as if it had read it. For
   * authorization codes, whose exchange most often comes to the node that issued them: the
   * exchange then reads the code from memory. A copy never decides a code's use: its consumption
   * is checked in Redis (`SINGLE_USE_MODELS`), so a code another node consumed or revoked meanwhile
   * is refused all the same.
   */
  keepWritten?: boolean;
}

/**
 * oidc-provider storage on Redis for short-lived artifacts (codes, access tokens, sessions,
 * interactions). Each artifact is one JSON value with the artifact's TTL; a set per grant lists
 * the keys to remove when the grant is revoked; consumption is a sibling key. Reads and
 * consumption are one round trip each (Lua scripts); a token's read brings its session along.
 * With `copies`, a read this node made before is answered from memory (see ArtifactCopies).
 */
export class RedisAdapter implements Adapter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #model: string;
  readonly #options: RedisAdapterOptions;
  readonly #copies: ArtifactCopies | undefined;
  /** Where changes are announced ('' when this model is not copied). */
  readonly #channel: string;

  constructor(redis: Redis, prefix: string, model: string, options: RedisAdapterOptions = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#model = model;
    this.#options = options;
    this.#copies = options.copies;
    this.#channel = options.copies?.channel ?? '';
  }

  #key(id: string) {
    return `${this.#prefix}${this.#model}:${id}`;
  }
  #grantKey(grantId: string) {
    return `${this.#prefix}grant:${grantId}`;
  }
  #uidKey(uid: string, model = this.#model) {
    return `${this.#prefix}uid:${model}:${uid}`;
  }
  #userCodeKey(code: string) {
    return `${this.#prefix}usercode:${this.#model}:${code}`;
  }
  /** Where a session read along with a token waits for `findByUid` (see `withSession`). */
  #aheadKey(uid: string, model = this.#model) {
    return `${this.#prefix}${model}:uid:${uid}`;
  }

  /** Where `rewriteAfter` keeps what this request read of an artifact. */
  #readKey(id: string) {
    return this.#key(id);
  }

  /** The keys a change of this artifact announces: its own and its uid index's. */
  #announced(key: string, payload: AdapterPayload | undefined): string[] {
    return payload?.uid ? [key, this.#uidKey(payload.uid)] : [key];
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    if (this.#options.rewriteAfter !== undefined && expiresIn) {
      const read = take(READ_AS, this.#readKey(id));
      const moved = Date.now() + expiresIn * 1000 - (read?.expiresAt ?? 0);
      if (read && moved < this.#options.rewriteAfter * 1000 && sameButExpiry(read, payload)) return;
    }
    if (payload.uid) forget(REDIS_AHEAD, this.#aheadKey(payload.uid));
    const keys = [key, payload.grantId ? this.#grantKey(payload.grantId) : ''];
    if (payload.uid) keys.push(this.#uidKey(payload.uid));
    if (payload.userCode) keys.push(this.#userCodeKey(payload.userCode));
    const announced = this.#announced(key, payload);
    const json = JSON.stringify(payload);
    this.#copies?.forget(announced);
    let written: unknown;
    try {
      written = await SCRIPTS.upsert.run(this.#redis, keys, [
        json,
        String(expiresIn ?? 0),
        id,
        this.#channel,
        announced.join(','),
      ]);
    } finally {
      this.#copies?.forget(announced);
    }
    // A new artifact (1; 2: one written over) is kept as written. Its id, random and this node's
    // own, is known elsewhere only once this write is done: nothing can have changed it meanwhile.
    if (written === 1 && this.#options.keepWritten) {
      this.#copies?.keep(key, {
        value: json,
        consumed: null,
        expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : 0,
      });
    }
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const key = this.#key(id);
    const copy = this.#copies?.get(key);
    if (copy) return this.#found(id, copy, artifactPayload(copy));
    const since = this.#copies?.mark() ?? 0;
    const sessions = this.#options.withSession
      ? [`${this.#prefix}Session:`, this.#uidKey('', 'Session')]
      : ['', ''];
    const found = (await SCRIPTS.find.run(this.#redis, [key], sessions)) as Array<string | null> | null;
    if (!found) return undefined;
    const [value, consumed, uid, session, sessionConsumed, ttl, sessionTtl] = found;
    const artifact = stored(value, consumed, ttl);
    if (!artifact) return undefined;
    if (uid) {
      leave(REDIS_AHEAD, this.#aheadKey(uid, 'Session'), { value: session, consumed: sessionConsumed });
      const along = stored(session, sessionConsumed, sessionTtl);
      if (along) this.#copies?.keep(this.#uidKey(uid, 'Session'), along, since);
    }
    // Kept: parsed once, for this read and the node's next ones; else parsed for this read only.
    const kept = this.#copies?.keep(key, artifact, since) ?? false;
    return this.#found(
      id,
      artifact,
      kept ? artifactPayload(artifact) : redisPayload(artifact.value, artifact.consumed),
    );
  }

  /**
   * A payload found (read now, parsed as it came; or this node's copy, parsed once): left for
   * `rewriteAfter`, announced to `onFound`.
   */
  #found(
    id: string,
    artifact: StoredArtifact,
    payload: AdapterPayload | undefined,
  ): AdapterPayload | undefined {
    if (payload && this.#options.rewriteAfter !== undefined && artifact.expiresAt > 0) {
      leave(READ_AS, this.#readKey(id), {
        json: artifact.value,
        exp: payload.exp,
        expiresAt: artifact.expiresAt,
        parsed: artifact.parsed,
      });
    }
    if (payload) this.#options.onFound?.(payload);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const ahead = take(REDIS_AHEAD, this.#aheadKey(uid));
    if (ahead) return redisPayload(ahead.value, ahead.consumed);
    const index = this.#uidKey(uid);
    const copy = this.#copies?.get(index);
    if (copy) return artifactPayload(copy);
    const since = this.#copies?.mark() ?? 0;
    const artifact = await this.#findByIndex(index);
    if (artifact) this.#copies?.keep(index, artifact, since);
    return redisPayload(artifact?.value, artifact?.consumed);
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const artifact = await this.#findByIndex(this.#userCodeKey(userCode));
    return redisPayload(artifact?.value, artifact?.consumed);
  }

  async #findByIndex(index: string): Promise<StoredArtifact | undefined> {
    const found = (await SCRIPTS.findByIndex.run(
      this.#redis,
      [index],
      [`${this.#prefix}${this.#model}:`],
    )) as Array<string | null> | null;
    return found ? stored(found[0], found[1], found[2]) : undefined;
  }

  async consume(id: string): Promise<void> {
    const key = this.#key(id);
    const once = SINGLE_USE_MODELS.has(this.#model);
    this.#copies?.forget([key]);
    let marked: unknown;
    try {
      // A single-use artifact's consumption is not announced: whatever a node's copy says, only the
      // first consumption in Redis succeeds (a later one anywhere is a replay, refused with its grant
      // revoked), so announcing it would only wake every node's subscriber once per code flow.
      marked = await SCRIPTS.consume.run(
        this.#redis,
        [key],
        [String(epochSeconds()), once ? '' : this.#channel, once ? '1' : ''],
      );
    } finally {
      this.#copies?.forget([key]);
    }
    // 1: marked now; 2: marked before (a concurrent use came first); 0: gone.
    if (once && marked !== 1) throw new ConsumedBefore();
  }

  async destroy(id: string): Promise<void> {
    const key = this.#key(id);
    const value = await this.#redis.get(key);
    const keys = [key, `${key}:consumed`];
    const payload = value ? (JSON.parse(value) as AdapterPayload) : undefined;
    if (payload?.uid) {
      keys.push(this.#uidKey(payload.uid));
      forget(REDIS_AHEAD, this.#aheadKey(payload.uid));
    }
    if (payload?.userCode) keys.push(this.#userCodeKey(payload.userCode));
    await this.#change(this.#announced(key, payload), (multi) => multi.del(...keys));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    const grantKey = this.#grantKey(grantId);
    const members = await this.#redis.smembers(grantKey);
    const mine = members.filter((key) => key.startsWith(`${this.#prefix}${this.#model}:`));
    if (mine.length === 0) return;
    await this.#change(mine, (multi) =>
      multi.del(...mine, ...mine.map((key) => `${key}:consumed`)).srem(grantKey, ...mine),
    );
  }

  /** Runs `commands` in one transaction that also announces `announced` (when copied). */
  async #change(announced: string[], commands: (multi: ChainableCommander) => ChainableCommander) {
    this.#copies?.forget(announced);
    try {
      const multi = commands(this.#redis.multi());
      if (this.#channel) multi.publish(this.#channel, announced.join(','));
      await multi.exec();
    } finally {
      this.#copies?.forget(announced);
    }
  }
}
