import type { Kysely, Selectable } from 'kysely';
import type { Logger } from 'pino';
import { z } from 'zod';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import type { Notifications } from '../../platform/database/notifications.ts';
import { NotifiedCache } from '../../platform/database/notified-cache.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { SealedColumn } from '../../platform/security/sealed-columns.ts';
import type { SecretBox } from '../../platform/security/secret-box.ts';
import type { CloudDb } from '../db.ts';
import type { CloudTables } from '../schema.ts';

/** A county portal the cloud brokers logins from (the cloud is its OIDC relying party). */
export interface CountyConnection {
  code: string;
  name: string;
  issuer: string;
  clientId: string;
  enabled: boolean;
  updatedAt: Date;
}

export const countyInput = z.object({
  code: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z][a-z0-9-]{1,31}$/),
  name: z.string().trim().min(1).max(60),
  issuer: z
    .url({ protocol: /^https?$/ })
    .trim()
    .transform((v) => v.replace(/\/+$/, '')),
  clientId: z.string().trim().min(1).max(200),
  clientSecret: z.string().min(1).max(500),
  enabled: z.boolean().default(true),
});
export type CountyInput = z.input<typeof countyInput>;

type Row = Selectable<CloudTables['cloud_counties']>;

function toConnection(row: Row): CountyConnection {
  return {
    code: row.code,
    name: row.name,
    issuer: row.issuer,
    clientId: row.client_id,
    enabled: row.enabled,
    updatedAt: row.updated_at,
  };
}

/** The SecretBox purpose of the county client secrets. */
export const COUNTY_CLIENT_PURPOSE = 'cloud-county-client';

/** The client secrets the cloud holds at each county's OIDC provider. */
export const countyClientSealedColumn: SealedColumn = {
  what: 'county client secrets',
  table: 'cloud_counties',
  column: 'client_secret_sealed',
  key: ['code'],
  purpose: () => COUNTY_CLIENT_PURPOSE,
};

/** The key of the list copy. */
const ALL = '*';

/**
 * The registry of county connections; client secrets are sealed at rest and never listed. A county
 * sign-in reads its county twice (at the start and at `/cncreturnpage`): from this node's copy of
 * the row, which every change made on any node drops at commit (the table announces its changes,
 * migration `2060_cloud_county_changes`); while the node does not hear them, from the database.
 * The list of counties (the login page's 縣市帳號登入 buttons) is kept the same way, and any change,
 * a new county included (`2070_cloud_county_inserts`), drops it.
 */

export class CountyRegistry {
  readonly #db: CloudDb;
  readonly #box: SecretBox;
  readonly #rows: NotifiedCache<Row>;
  /** Every county, in code order (under `ALL`): dropped by any change, a new county included. */
  readonly #list: NotifiedCache<Row[]>;

  constructor(db: CloudDb, box: SecretBox) {
    this.#db = db;
    this.#box = box;
    this.#rows = new NotifiedCache({
      load: (code) => db.selectFrom('cloud_counties').selectAll().where('code', '=', code).executeTakeFirst(),
    });
    this.#list = new NotifiedCache({
      load: () => db.selectFrom('cloud_counties').selectAll().orderBy('code').execute(),
      whole: true,
    });
  }

  /** Starts following the announced changes of counties (until then, reads every time). */
  async follow(notifications: Notifications, log: Logger): Promise<void> {
    const db = this.#db as unknown as Kysely<unknown>;
    const unheard = 'county changes are not heard: every county sign-in reads its county';
    await this.#rows.followTable(db, 'cloud_counties', notifications, log, unheard);
    await this.#list.followTable(db, 'cloud_counties', notifications, log, unheard);
  }

  async close(): Promise<void> {
    await this.#rows.close();
    await this.#list.close();
  }

  /** The counties (the enabled ones only, for the login page), from this node's copy while nothing changed. */
  async list(options: { enabledOnly?: boolean } = {}): Promise<CountyConnection[]> {
    const rows = (await this.#list.get(ALL)) ?? [];
    return (options.enabledOnly ? rows.filter((row) => row.enabled) : rows).map(toConnection);
  }

  async get(code: string): Promise<CountyConnection | undefined> {
    const row = await this.#db
      .selectFrom('cloud_counties')
      .selectAll()
      .where('code', '=', code)
      .executeTakeFirst();
    return row && toConnection(row);
  }

  /** A county's connection and the cloud's client secret there, for a sign-in through it. */
  async credentials(
    code: string,
  ): Promise<{ connection: CountyConnection; clientSecret: string } | undefined> {
    const row = await this.#rows.get(code);
    if (!row) return undefined;
    return { connection: toConnection(row), clientSecret: this.#box.open(row.client_secret_sealed) };
  }

  /** Adds a county, or replaces the one with the same code (`county_issuer_taken` on a clash). */
  async upsert(input: CountyInput): Promise<CountyConnection> {
    const parsed = countyInput.safeParse(input);
    if (!parsed.success) {
      throw new AppError('cloud.county_invalid', 400, {
        fields: parsed.error.issues.map((i) => i.path.join('.')).join(', '),
      });
    }
    const c = parsed.data;
    const values = {
      name: c.name,
      issuer: c.issuer,
      client_id: c.clientId,
      client_secret_sealed: this.#box.seal(c.clientSecret),
      enabled: c.enabled,
      updated_at: new Date(),
    };
    try {
      const row = await this.#db
        .insertInto('cloud_counties')
        .values({ code: c.code, ...values })
        .onConflict((oc) => oc.column('code').doUpdateSet(values))
        .returningAll()
        .executeTakeFirstOrThrow();
      this.#rows.forget(c.code);
      this.#list.forget(ALL);
      return toConnection(row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('cloud.county_issuer_taken', 409);
      throw error;
    }
  }

  async setEnabled(code: string, enabled: boolean): Promise<void> {
    const r = await this.#db
      .updateTable('cloud_counties')
      .set({ enabled, updated_at: new Date() })
      .where('code', '=', code)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new AppError('not_found', 404);
    this.#rows.forget(code);
    this.#list.forget(ALL);
  }

  async remove(code: string): Promise<void> {
    const r = await this.#db.deleteFrom('cloud_counties').where('code', '=', code).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new AppError('not_found', 404);
    this.#rows.forget(code);
    this.#list.forget(ALL);
  }
}
