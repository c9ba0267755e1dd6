import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { CompiledQuery, type Kysely } from 'kysely';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { TurnBatch } from '../database/turn-batch.ts';
import { forgetRequestValue, leaveRequestValue, takeRequestValue } from './request-cache.ts';
import type { OidcTables } from './schema.ts';

/** oidc-provider models that must survive a restart or a Redis flush: grants and refresh tokens. */
export const DURABLE_MODELS = new Set([
  'Grant',
  'RefreshToken',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

const epoch = () => Math.floor(Date.now() / 1000);

/**
 * Where a host role keeps its account rows, so that the provider can read the account a code,
 * token or session names in the same statement as the artifact itself (a token check needs both).
 * The row is left for the host's loader of the same request (`requestScoped(requestKey(id), …)`);
 * nothing is kept beyond the request.
 */
export interface AccountRows {
  /** The table in the role database, e.g. `county_accounts`. */
  table: string;
  /** Its key column: the OIDC subject. */
  id: string;
  /** `uuid` when the key column is a uuid (a subject that is not a UUID then matches no row). */
  idType?: 'text' | 'uuid';
  /** Further equality conditions, e.g. `{ tenant: 'cyc' }`. */
  where?: Record<string, string>;
  /** The key under which the host's loader reads the account with `requestScoped`. */
  requestKey(accountId: string): string;
  /** The columns to read (default: all); the loader gets only these. */
  columns?: readonly string[];
  /** What the loader yields for a row (default: the row as read). */
  fromRow?(row: Record<string, unknown>): unknown;
  /**
   * Rows of other tables that belong to the account and that the host reads in the same requests
   * (the cloud's county identities, for `eduinfo`): read in the same statement as JSON (timestamps
   * as ISO strings) and left for the host's loader under `requestKey`.
   */
  related?: RelatedRows[];
}

export interface RelatedRows {
  table: string;
  /** The column holding the account's key. */
  foreignKey: string;
  orderBy?: { column: string; direction: 'asc' | 'desc' };
  requestKey(accountId: string): string;
  fromRows(rows: Array<Record<string, unknown>>): unknown;
}

export interface DatabaseAdapterOptions {
  /**
   * What the next steps of the same request read after this artifact: its grant (`Grant.find`),
   * its session (`Session.findByUid`, for tokens that end with the sign-in session; only when
   * sessions are in this database) and its account (the host's loader). They are read in the same
   * statement and left for those steps. Set for codes, tokens and sessions.
   */
  companions?: {
    grant: boolean;
    session: boolean;
    account?: AccountRows | undefined;
    /** For sessions: the grants the session names (one per client it signed in to). */
    grants?: boolean;
  };
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
}

interface PayloadRow {
  payload: unknown;
  expires_at: Date | string | null;
  consumed_at: Date | string | null;
}

/** A stored row as oidc-provider expects it back: undefined once expired, `consumed` when used. */
function toPayload(row: PayloadRow | undefined): AdapterPayload | undefined {
  if (!row || row.payload === null || row.payload === undefined) return undefined;
  if (row.expires_at && new Date(row.expires_at).getTime() <= Date.now()) return undefined;
  const payload = (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload) as AdapterPayload;
  if (row.consumed_at) payload.consumed = Math.floor(new Date(row.consumed_at).getTime() / 1000);
  return payload;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const UUID = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** Prefix of the statement's own columns; every other column is the account row's. */
const OWN = 'oidc__';

function quoted(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`not a plain SQL identifier: ${name}`);
  return `"${name}"`;
}

/**
 * The statement reading artifacts (ids in `$3`) with their companions: primary key lookups for
 * the artifact and its grant (or, for a session, the grants it names), the session by its uid
 * index, the account by the host table's key. Grants and session come as JSON
 * `[payload, expires_at, consumed_at]` from scalar subqueries, the account (a lateral lookup by
 * key) as columns of the row, its related rows as JSON arrays.
 */
function companionStatement(companions: NonNullable<DatabaseAdapterOptions['companions']>) {
  const { grant, session, account } = companions;
  const columns = [
    `t.id as ${OWN}id`,
    `t.payload as ${OWN}payload`,
    `t.expires_at as ${OWN}expires_at`,
    `t.consumed_at as ${OWN}consumed_at`,
    `t.grant_id as ${OWN}grant_id`,
    `t.payload->>'sessionUid' as ${OWN}session_uid`,
    `t.payload->>'accountId' as ${OWN}account_id`,
  ];
  const joins: string[] = [];
  const parameters: string[] = [];
  const triple = 'json_build_array(c.payload, c.expires_at, c.consumed_at)';
  if (grant) {
    columns.push(`(select ${triple} from oidc_payloads c
      where c.tenant = t.tenant and c.model = 'Grant' and c.id = t.grant_id) as ${OWN}grant`);
  }
  if (session) {
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
  if (account) {
    const subject =
      account.idType === 'uuid'
        ? `case when t.payload->>'accountId' ~ '${UUID}' then (t.payload->>'accountId')::uuid end`
        : `t.payload->>'accountId'`;
    // The key lookup alone inside (the account's primary key), the further conditions outside.
    const conditions = ['true'];
    for (const [column, value] of Object.entries(account.where ?? {})) {
      parameters.push(value);
      conditions.push(`a.${quoted(column)} = $${3 + parameters.length}`);
    }
    for (const [index, related] of (account.related ?? []).entries()) {
      const order = related.orderBy
        ? ` order by r.${quoted(related.orderBy.column)} ${related.orderBy.direction === 'desc' ? 'desc' : 'asc'}`
        : '';
      columns.push(`(select coalesce(json_agg(r${order}), '[]') from ${quoted(related.table)} r
        where r.${quoted(related.foreignKey)} = a.${quoted(account.id)}) as ${OWN}related_${index}`);
    }
    const picked = account.columns
      ? account.columns.map((column) => `a.${quoted(column)}`).join(', ')
      : 'a.*';
    columns.push(`a.${quoted(account.id)} as ${OWN}a_key`, picked);
    joins.push(`left join lateral (select * from ${quoted(account.table)} a
      where a.${quoted(account.id)} = ${subject} limit 1) a on ${conditions.join(' and ')}`);
  }
  return { text: `select ${columns.join(', ')} from ${lookup('id')} ${joins.join(' ')}`, parameters };
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
const FIND = `select t.id, t.payload, t.expires_at, t.consumed_at from ${lookup('id')}`;
const FIND_BY_UID = `select t.uid, t.payload, t.expires_at, t.consumed_at from ${lookup('uid')}`;

/** One row to upsert: its id and its JSON (taken when `upsert` is called, not at the flush). */
interface UpsertRow {
  id: string;
  json: string;
}

/** JSON with object keys sorted: equal for equal values whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Whether two payloads are the same but for their `exp` (keys in any order). */
function sameButExpiry(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const { exp: _a, ...restA } = a;
  const { exp: _b, ...restB } = b;
  return canonicalJson(restA) === canonicalJson(restB);
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
  readonly #companionStatement: { text: string; parameters: string[] } | undefined;
  readonly #reads: TurnBatch<string, Record<string, unknown> | undefined>;
  readonly #uidReads: TurnBatch<string, PayloadRow | undefined>;
  readonly #upserts: TurnBatch<UpsertRow, void>;
  readonly #consume: string;
  readonly #rewriteAfterMs: number | undefined;

  constructor(db: Kysely<OidcTables>, tenant: string, model: string, options: DatabaseAdapterOptions = {}) {
    this.#db = db;
    this.#tenant = tenant;
    this.#model = model;
    this.#companions = options.companions;
    this.#companionStatement = options.companions ? companionStatement(options.companions) : undefined;
    const lazy = options.asyncCommit === true && !DURABLE_MODELS.has(model);
    const statement = this.#companionStatement ?? { text: FIND, parameters: [] };
    this.#reads = new TurnBatch(async (ids) => {
      const rows = await this.#run<Record<string, unknown>>(statement.text, [
        tenant,
        model,
        ids,
        ...statement.parameters,
      ]);
      return inOrder(ids, rows, this.#companionStatement ? `${OWN}id` : 'id');
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
    this.#consume = lazy ? CONSUME_LAZY : CONSUME;
    this.#rewriteAfterMs = options.rewriteAfter === undefined ? undefined : options.rewriteAfter * 1000;
  }

  async #run<R>(text: string, parameters: unknown[]): Promise<R[]> {
    const result = await this.#db.executeQuery<R>(CompiledQuery.raw(text, parameters));
    return result.rows;
  }

  /** Where a row read ahead for a later step of the request waits (see `companions`). */
  #aheadKey(model: string, column: 'id' | 'uid', value: string) {
    return `oidc:${this.#tenant}:${model}:${column}:${value}`;
  }

  #forgetAhead(id: string, uid?: string) {
    forgetRequestValue(this.#aheadKey(this.#model, 'id', id));
    if (uid) forgetRequestValue(this.#aheadKey(this.#model, 'uid', uid));
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    if (this.#rewriteAfterMs !== undefined && expiresIn) {
      const read = takeRequestValue<{ json: string; expiresAt: number }>(this.#readKey(id));
      const moved = Date.now() + expiresIn * 1000 - (read?.expiresAt ?? 0);
      if (read && moved < this.#rewriteAfterMs && sameButExpiry(JSON.parse(read.json), payload)) return;
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
    await this.#upserts.add({ id, json });
  }

  /** Where `rewriteAfter` keeps what this request read of an artifact. */
  #readKey(id: string) {
    return `oidc:${this.#tenant}:${this.#model}:read:${id}`;
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
      leaveRequestValue(this.#readKey(payload.jti), {
        json: JSON.stringify(payload),
        expiresAt: new Date(row.expires_at).getTime(),
      });
    }
    return payload;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const ahead = takeRequestValue<PayloadRow | null | Promise<PayloadRow | null>>(
      this.#aheadKey(this.#model, 'id', id),
    );
    if (ahead !== undefined) return this.#found(await ahead);
    const row = await this.#reads.add(id);
    if (!this.#companionStatement) return this.#found(row as PayloadRow | undefined);
    return row ? this.#withCompanions(row) : undefined;
  }

  /**
   * Starts reading artifact `id` (with its companions) for later steps of the current request:
   * `find(id)` then waits for this read, and with an account companion the host's loader finds
   * the account of `accountId` waiting too (undefined when the artifact names another account).
   * For a grant named by a token: its grant and account are one statement, read as soon as the
   * token is.
   */
  readAhead(id: string, accountId: string): void {
    const read = this.#reads
      .add(id)
      .then((row) =>
        row && this.#companionStatement
          ? this.#leaveCompanions(row)
          : { own: (row as PayloadRow | undefined) ?? null, accountId: null, account: undefined },
      );
    // Nobody may wait for these (a token found expired ends the request): no unhandled rejection.
    read.catch(() => undefined);
    leaveRequestValue(
      this.#aheadKey(this.#model, 'id', id),
      read.then((r) => r.own),
    );
    const account = this.#companions?.account;
    if (account) {
      const value = read.then((r) => (r.accountId === accountId ? r.account : undefined));
      value.catch(() => undefined);
      leaveRequestValue(account.requestKey(accountId), value);
    }
  }

  /** The artifact of a companion row; its companions are left for later steps of the request. */
  #withCompanions(row: Record<string, unknown>): AdapterPayload | undefined {
    return this.#found(this.#leaveCompanions(row).own);
  }

  /** Leaves the companions of a row for later steps; the artifact's own row and its account. */
  #leaveCompanions(row: Record<string, unknown>): {
    own: PayloadRow;
    accountId: string | null;
    account: unknown;
  } {
    const own = (column: string) => row[`${OWN}${column}`] as never;
    const { grant, session, account, grants } = this.#companions ?? { grant: false, session: false };
    // `[payload, expires_at, consumed_at]`, or null when there is no such row.
    const companion = (value: unknown): PayloadRow | null => {
      const triple = fromJson<unknown[] | null>(value);
      return triple
        ? { payload: triple[0], expires_at: triple[1] as string, consumed_at: triple[2] as string }
        : null;
    };
    const grantId = own('grant_id') as string | null;
    if (grant && grantId) leaveRequestValue(this.#aheadKey('Grant', 'id', grantId), companion(own('grant')));
    const sessionUid = own('session_uid') as string | null;
    if (session && sessionUid) {
      leaveRequestValue(this.#aheadKey('Session', 'uid', sessionUid), companion(own('session')));
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
        if (gid) leaveRequestValue(this.#aheadKey('Grant', 'id', gid), found.get(gid) ?? null);
      }
    }
    const accountId = own('account_id') as string | null;
    let value: unknown;
    if (account && accountId) {
      if (own('a_key') !== null) {
        const accountRow: Record<string, unknown> = {};
        for (const [column, v] of Object.entries(row)) if (!column.startsWith(OWN)) accountRow[column] = v;
        value = account.fromRow ? account.fromRow(accountRow) : accountRow;
        for (const [index, related] of (account.related ?? []).entries()) {
          const list = fromJson<Array<Record<string, unknown>> | null>(own(`related_${index}`)) ?? [];
          leaveRequestValue(related.requestKey(accountId), Promise.resolve(related.fromRows(list)));
        }
      }
      leaveRequestValue(account.requestKey(accountId), Promise.resolve(value));
    }
    return {
      own: { payload: own('payload'), expires_at: own('expires_at'), consumed_at: own('consumed_at') },
      accountId,
      account: value,
    };
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const ahead = takeRequestValue<PayloadRow | null>(this.#aheadKey(this.#model, 'uid', uid));
    if (ahead !== undefined) return this.#found(ahead);
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
    await this.#run(this.#consume, [new Date(), this.#tenant, this.#model, id]);
  }

  async destroy(id: string): Promise<void> {
    this.#forgetAhead(id);
    const rows = await this.#run<{ uid: string | null }>(
      'delete from oidc_payloads where tenant = $1 and model = $2 and id = $3 returning uid',
      [this.#tenant, this.#model, id],
    );
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
local uid, session, sessionConsumed = false, false, false
if ARGV[1] ~= '' then
  local ok, decoded = pcall(cjson.decode, value)
  if ok and type(decoded) == 'table' and type(decoded['sessionUid']) == 'string' then
    uid = decoded['sessionUid']
    local sid = redis.call('GET', ARGV[2] .. uid)
    if sid then
      session = redis.call('GET', ARGV[1] .. sid)
      sessionConsumed = redis.call('GET', ARGV[1] .. sid .. ':consumed')
    end
  end
end
return {value, consumed, uid, session, sessionConsumed, redis.call('PTTL', KEYS[1])}`;

/** An artifact by its uid index (KEYS[1]; ARGV[1] is the model's key prefix): value and consumption. */
const FIND_BY_INDEX_SCRIPT = `local id = redis.call('GET', KEYS[1])
if not id then return false end
return {redis.call('GET', ARGV[1] .. id), redis.call('GET', ARGV[1] .. id .. ':consumed')}`;

/** Marks KEYS[1] consumed at ARGV[1] (epoch seconds), expiring with it. */
const CONSUME_SCRIPT = `local ttl = redis.call('TTL', KEYS[1])
if ttl == -2 then return 0 end
if ttl > 0 then
  redis.call('SET', KEYS[1] .. ':consumed', ARGV[1], 'EX', ttl)
else
  redis.call('SET', KEYS[1] .. ':consumed', ARGV[1])
end
return 1`;

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const SCRIPTS = {
  find: { text: FIND_SCRIPT, sha: sha1(FIND_SCRIPT) },
  findByIndex: { text: FIND_BY_INDEX_SCRIPT, sha: sha1(FIND_BY_INDEX_SCRIPT) },
  consume: { text: CONSUME_SCRIPT, sha: sha1(CONSUME_SCRIPT) },
};

/** Runs a script by its SHA; Redis that does not know it (NOSCRIPT) gets it once with EVAL. */
async function runScript(
  redis: Redis,
  script: { text: string; sha: string },
  keys: string[],
  args: string[],
) {
  try {
    return await redis.evalsha(script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return redis.eval(script.text, keys.length, ...keys, ...args);
  }
}

/** A stored value and its consumption mark as oidc-provider expects them back. */
function redisPayload(value: string | null | undefined, consumed: string | null | undefined) {
  if (!value) return undefined;
  const payload = JSON.parse(value) as AdapterPayload;
  if (consumed) payload.consumed = Number(consumed);
  return payload;
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
}

/**
 * oidc-provider storage on Redis for short-lived artifacts (codes, access tokens, sessions,
 * interactions). Each artifact is one JSON value with the artifact's TTL; a set per grant lists
 * the keys to remove when the grant is revoked; consumption is a sibling key. Reads and
 * consumption are one round trip each (Lua scripts); a token's read brings its session along.
 */
export class RedisAdapter implements Adapter {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #model: string;
  readonly #options: RedisAdapterOptions;

  constructor(redis: Redis, prefix: string, model: string, options: RedisAdapterOptions = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#model = model;
    this.#options = options;
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
    return `oidc:redis:${this.#prefix}${model}:uid:${uid}`;
  }

  /** Where `rewriteAfter` keeps what this request read of an artifact. */
  #readKey(id: string) {
    return `oidc:redis:${this.#prefix}${this.#model}:read:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const key = this.#key(id);
    if (this.#options.rewriteAfter !== undefined && expiresIn) {
      const read = takeRequestValue<{ json: string; expiresAt: number }>(this.#readKey(id));
      const moved = Date.now() + expiresIn * 1000 - (read?.expiresAt ?? 0);
      if (read && moved < this.#options.rewriteAfter * 1000 && sameButExpiry(JSON.parse(read.json), payload))
        return;
    }
    if (payload.uid) forgetRequestValue(this.#aheadKey(payload.uid));
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
    const sessions = this.#options.withSession
      ? [`${this.#prefix}Session:`, this.#uidKey('', 'Session')]
      : ['', ''];
    const found = (await runScript(this.#redis, SCRIPTS.find, [this.#key(id)], sessions)) as Array<
      string | null
    > | null;
    if (!found) return undefined;
    const [value, consumed, uid, session, sessionConsumed, ttl] = found;
    if (uid) leaveRequestValue(this.#aheadKey(uid, 'Session'), { value: session, consumed: sessionConsumed });
    const payload = redisPayload(value, consumed);
    if (payload && value && this.#options.rewriteAfter !== undefined && Number(ttl) > 0) {
      leaveRequestValue(this.#readKey(id), { json: value, expiresAt: Date.now() + Number(ttl) });
    }
    if (payload) this.#options.onFound?.(payload);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const ahead = takeRequestValue<{ value: string | null; consumed: string | null }>(this.#aheadKey(uid));
    if (ahead) return redisPayload(ahead.value, ahead.consumed);
    return this.#findByIndex(this.#uidKey(uid));
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findByIndex(this.#userCodeKey(userCode));
  }

  async #findByIndex(index: string): Promise<AdapterPayload | undefined> {
    const found = (await runScript(
      this.#redis,
      SCRIPTS.findByIndex,
      [index],
      [`${this.#prefix}${this.#model}:`],
    )) as Array<string | null> | null;
    return found ? redisPayload(found[0], found[1]) : undefined;
  }

  async consume(id: string): Promise<void> {
    await runScript(this.#redis, SCRIPTS.consume, [this.#key(id)], [String(epoch())]);
  }

  async destroy(id: string): Promise<void> {
    const key = this.#key(id);
    const value = await this.#redis.get(key);
    const keys = [key, `${key}:consumed`];
    if (value) {
      const payload = JSON.parse(value) as AdapterPayload;
      if (payload.uid) {
        keys.push(this.#uidKey(payload.uid));
        forgetRequestValue(this.#aheadKey(payload.uid));
      }
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
