import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import { GuardedClient, type GuardedClientConfig } from './client.ts';
import { EmbeddedRolePool, embeddedDirectory, legacyEmbeddedDirectories } from './embedded.ts';
import { type Notifications, PGliteNotifications, PostgresNotifications } from './notifications.ts';
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
  /**
   * PGlite: the database role (and schema of the same name) the role's connection runs as; the
   * directory's one PGlite instance is then shared by every role of the process (embedded.ts).
   * Without it, the `public` schema as the superuser.
   */
  embeddedRole?: string | undefined;
  /** PostgreSQL schema holding this role's tables (each role owns one). */
  schema: string;
  poolSize?: number;
  /** PostgreSQL: run statements as named prepared statements (default true; see prepared-statements.ts). */
  preparedStatements?: boolean;
  /** PostgreSQL: the timeouts of `DatabaseTimeouts` (defaults there). */
  timeouts?: Partial<DatabaseTimeouts>;
}

/** How long a PostgreSQL role waits for its database (milliseconds; 0 = no limit). */
export interface DatabaseTimeouts {
  /** Opening a connection, or waiting for one of the pool when every connection is busy. */
  connectMs: number;
  /**
   * A statement (the server's `statement_timeout`). The client gives up one second later when no
   * answer came at all (a stalled network), and drops that connection.
   */
  statementMs: number;
  /** A transaction left open without a statement (the server's `idle_in_transaction_session_timeout`). */
  idleInTransactionMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = {
  connectMs: 5000,
  statementMs: 10_000,
  idleInTransactionMs: 60_000,
};

/** How much longer than the server's statement timeout the client waits for an answer. */
const READ_TIMEOUT_MARGIN_MS = 1000;

export interface Database<T> {
  db: Kysely<T>;
  kind: 'pglite' | 'postgres';
  /** The schema the role's tables (and migration records) live in. */
  schema: string;
  /** `LISTEN`/`NOTIFY` on this database (a dedicated connection on PostgreSQL, in-process on PGlite). */
  notifications: Notifications;
  close(): Promise<void>;
}

/**
 * Opens the database of one role: its schema in the embedded database (embedded.ts), or its own
 * schema on PostgreSQL (created by `migrate`), after checking that it answers. On PostgreSQL, connections that die (a reset connection,
 * `pg_terminate_backend`, a server restart or failover) are logged and replaced by new ones on
 * demand; statements and connection attempts are bounded by `target.timeouts`.
 */
export async function openDatabase<T>(target: DatabaseTarget, log?: Logger): Promise<Database<T>> {
  if (target.url) {
    const timeouts = { ...DEFAULT_DATABASE_TIMEOUTS, ...target.timeouts };
    const settings = [
      `search_path=${target.schema}`,
      `statement_timeout=${timeouts.statementMs}`,
      `idle_in_transaction_session_timeout=${timeouts.idleInTransactionMs}`,
    ];
    const size = target.poolSize ?? 10;
    const config: GuardedClientConfig & pg.PoolConfig = {
      connectionString: target.url,
      max: size,
      // A connection once opened stays open (a fixed-size pool). Left to close after 10 s idle, as
      // the pool does by default, the connections a quieter minute did not need are opened again at
      // the next burst, and that burst waits: each new connection is a server process to start, a
      // sign-in and every prepared statement to plan again (50–100 ms for the requests of the burst,
      // measured at half load).
      min: size,
      options: settings.map((setting) => `-c ${setting}`).join(' '),
      connectionTimeoutMillis: timeouts.connectMs,
      // Kept connections may sit idle for hours: a TCP keepalive after a minute of silence keeps a
      // firewall or NAT between the node and PostgreSQL from forgetting them, and finds a peer gone.
      keepAlive: true,
      keepAliveInitialDelayMillis: 60_000,
      readTimeoutMs: timeouts.statementMs > 0 ? timeouts.statementMs + READ_TIMEOUT_MARGIN_MS : 0,
      Client: target.preparedStatements === false ? GuardedClient : PreparingClient,
    };
    const pool = new pg.Pool(config);
    // An idle connection that dies is removed from the pool; without a listener it ends the process.
    pool.on('error', (error) => log?.warn({ err: error }, 'database connection lost'));
    const db = new Kysely<T>({ dialect: new PostgresDialect({ pool }) });
    // Reachable now, or say so at once (start-up, `edugate doctor`).
    try {
      await sql`select 1`.execute(db);
    } catch (error) {
      await db.destroy();
      throw error;
    }
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
  const pool = await EmbeddedRolePool.open(target.dataDir ?? 'memory://', target.embeddedRole);
  const db = new Kysely<T>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
  const notifications = new PGliteNotifications(pool.lite, pool);
  return {
    db,
    kind: 'pglite',
    schema: target.embeddedRole ?? 'public',
    notifications,
    close: () => db.destroy(),
  };
}

/** The database target of a role under a given configuration. */
export function roleDatabaseTarget(
  config: {
    databaseUrl?: string | undefined;
    dataDir: string;
    databasePoolSize: number;
    databasePreparedStatements?: boolean;
    databaseConnectTimeoutMs?: number;
    databaseStatementTimeoutMs?: number;
    databaseIdleInTransactionTimeoutMs?: number;
  },
  role: RoleName,
): DatabaseTarget {
  return config.databaseUrl
    ? {
        url: config.databaseUrl,
        schema: `edugate_${role}`,
        poolSize: config.databasePoolSize,
        preparedStatements: config.databasePreparedStatements ?? true,
        timeouts: {
          connectMs: config.databaseConnectTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.connectMs,
          statementMs: config.databaseStatementTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.statementMs,
          idleInTransactionMs:
            config.databaseIdleInTransactionTimeoutMs ?? DEFAULT_DATABASE_TIMEOUTS.idleInTransactionMs,
        },
      }
    : embeddedTarget(config.dataDir, role);
}

/**
 * A role's embedded database: its schema in the data directory's one PGlite database, or its own
 * PGlite directory when the data directory still holds that older layout.
 */
function embeddedTarget(dataDir: string, role: RoleName): DatabaseTarget {
  if (legacyEmbeddedDirectories(dataDir).length > 0)
    return { dataDir: join(dataDir, 'db', role), schema: 'public' };
  return { dataDir: embeddedDirectory(dataDir), schema: `edugate_${role}`, embeddedRole: `edugate_${role}` };
}
