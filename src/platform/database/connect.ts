import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { type Notifications, PGliteNotifications, PostgresNotifications } from './notifications.ts';
import { PGlitePool } from './pglite-pool.ts';
import { PreparingClient } from './prepared-statements.ts';

// Timestamps and numbers come back as JS values on both PGlite and pg.
pg.types.setTypeParser(20, (v) => Number(v)); // int8 (counts) → number
pg.types.setTypeParser(1700, (v) => Number(v)); // numeric → number

export type RoleName = 'county' | 'cloud' | 'workspace' | 'google';

export interface DatabaseTarget {
  /** PostgreSQL URL; when absent, an embedded PGlite database. */
  url?: string | undefined;
  /** PGlite data directory (`memory://` for a throw-away database). */
  dataDir?: string | undefined;
  /** PostgreSQL schema holding this role's tables (each role owns one). */
  schema: string;
  poolSize?: number;
  /** PostgreSQL: run statements as named prepared statements (default true; see prepared-statements.ts). */
  preparedStatements?: boolean;
  /** PostgreSQL: how long opening a connection may take (default: no limit). */
  connectTimeoutMs?: number;
}

export interface Database<T> {
  db: Kysely<T>;
  kind: 'pglite' | 'postgres';
  /** The schema the role's tables (and migration records) live in. */
  schema: string;
  /** `LISTEN`/`NOTIFY` on this database (a dedicated connection on PostgreSQL, in-process on PGlite). */
  notifications: Notifications;
  close(): Promise<void>;
}

/** Opens the database of one role: its own PGlite directory, or its own schema on PostgreSQL. */
export async function openDatabase<T>(target: DatabaseTarget): Promise<Database<T>> {
  if (target.url) {
    const pool = new pg.Pool({
      connectionString: target.url,
      max: target.poolSize ?? 10,
      options: `-c search_path=${target.schema}`,
      ...(target.connectTimeoutMs ? { connectionTimeoutMillis: target.connectTimeoutMs } : {}),
      ...(target.preparedStatements === false ? {} : { Client: PreparingClient }),
    });
    const db = new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
    await sql`create schema if not exists ${sql.id(target.schema)}`.execute(db);
    const notifications = new PostgresNotifications(target.url);
    return {
      db,
      kind: 'postgres',
      schema: target.schema,
      notifications,
      close: async () => {
        await notifications.close();
        await db.destroy();
      },
    };
  }
  const dir = target.dataDir ?? 'memory://';
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const lite = await PGlite.create(dir);
  const pool = new PGlitePool(lite);
  const db = new Kysely<T>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
  const notifications = new PGliteNotifications(lite, pool);
  return { db, kind: 'pglite', schema: 'public', notifications, close: () => db.destroy() };
}

/** The database target of a role under a given configuration. */
export function roleDatabaseTarget(
  config: {
    databaseUrl?: string | undefined;
    dataDir: string;
    databasePoolSize: number;
    databasePreparedStatements?: boolean;
  },
  role: RoleName,
): DatabaseTarget {
  return config.databaseUrl
    ? {
        url: config.databaseUrl,
        schema: `edugate_${role}`,
        poolSize: config.databasePoolSize,
        preparedStatements: config.databasePreparedStatements ?? true,
      }
    : { dataDir: join(config.dataDir, 'db', role), schema: 'public' };
}
