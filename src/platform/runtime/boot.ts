import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import { roleUrls } from '../config/load.ts';
import type { Config } from '../config/options.ts';
import { type Database, type DatabaseTarget, openDatabase, roleDatabaseTarget } from '../database/connect.ts';
import { migrate } from '../database/migrations.ts';
import { platformMigrations } from '../database/platform-migrations.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { withTimeout } from '../errors/dependency.ts';
import { DatabaseSessionStore, RedisSessionStore } from '../http/session-store.ts';
import { jobsChannel } from '../jobs/queue.ts';
import { JobRunner } from '../jobs/runner.ts';
import { type MailTransport, SEND_MAIL_JOB, sendMailHandler, smtpTransport } from '../mail/index.ts';
import { checkSealedColumns } from '../security/sealed-columns.ts';
import { DatabaseThrottleStore, RedisThrottleStore } from '../security/throttle.ts';
import { connectRedis, redisConnected } from './redis.ts';
import { RedisNotifications } from './redis-notifications.ts';
import type { RoleContext, RoleModule } from './role.ts';
import type { Secrets } from './secrets.ts';

export interface BootOptions {
  config: Config;
  secrets: Secrets;
  log: Logger;
  demo: boolean;
  /** Overrides the database (tests: a throw-away PGlite or a fresh PostgreSQL schema). */
  database?: Database<PlatformTables>;
  mailTransport?: MailTransport;
  startJobs?: boolean;
  jobPollMs?: number;
}

/** A started role; `T`: its tables (a role's `RunningRole<T>` is also a `RunningRole`). */
export interface RunningRole<T = PlatformTables> {
  module: RoleModule<T>;
  ctx: RoleContext<T>;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Opens a role's database, migrates it, checks that the installation secret opens what the role
 * sealed with it, seeds the demo, wires jobs and builds its HTTP app.
 */
export async function bootRole<T>(module: RoleModule<T>, options: BootOptions): Promise<RunningRole<T>> {
  const { config, log } = options;
  const roleLog = log.child({ role: module.name });
  const target = roleDatabaseTarget(config, module.name);
  // PostgreSQL: migrated on connections of their own (see migrateRole).
  const separateMigration = !options.database && target.url !== undefined;
  if (separateMigration) await migrateRole(module, target, roleLog);
  const database = options.database ?? (await openDatabase<PlatformTables>(target, roleLog));
  try {
    if (!separateMigration)
      await migrate(database.db, database.schema, platformMigrations, module.migrations);
    // A wrong EDUGATE_SECRET stops here with a message naming it, before anything is sealed anew.
    await checkSealedColumns(database.db, module.sealedColumns ?? [], options.secrets.secret);
  } catch (error) {
    if (!options.database) await database.close();
    throw error;
  }
  const opened: Array<() => unknown> = [];
  if (!options.database) opened.push(() => database.close());
  try {
    return await startServing(module, options, database, roleLog, opened);
  } catch (error) {
    // A start that failed half-way (the database dropped again) leaves nothing open behind it.
    for (const close of opened.reverse()) await Promise.resolve(close()).catch(() => {});
    throw error;
  }
}

/** The rest of `bootRole` once the database is migrated; records what it opens in `opened`. */
async function startServing<T>(
  module: RoleModule<T>,
  options: BootOptions,
  database: Database<PlatformTables>,
  roleLog: Logger,
  opened: Array<() => unknown>,
): Promise<RunningRole<T>> {
  const { config } = options;
  const platformDb = database.db;
  const db = withRoleTables<T>(platformDb);
  const redis = config.redisUrl
    ? connectRedis(
        config.redisUrl,
        { connectMs: config.redisConnectTimeoutMs, commandMs: config.redisCommandTimeoutMs },
        roleLog,
      )
    : undefined;
  if (redis) opened.push(() => redis.disconnect());
  const redisNotifications = redis ? new RedisNotifications(redis) : undefined;
  if (redisNotifications) opened.push(() => redisNotifications.close());
  // Requests fail fast while Redis is unreachable: give it its connect timeout to come up first.
  if (redis && !(await redisConnected(redis, config.redisConnectTimeoutMs))) {
    roleLog.warn('redis is not reachable yet; requests needing it get 503 until it is');
  }
  const jobs = new JobRunner(platformDb, roleLog, {
    pollMs: options.jobPollMs ?? 500,
    concurrency: config.jobConcurrency,
    wakeUps: { notifications: database.notifications, channel: jobsChannel(database.schema) },
  });
  const transport =
    options.mailTransport ?? smtpTransport(config.smtpUrl, { timeoutMs: config.smtpTimeoutMs, log: roleLog });
  opened.push(() => transport.close());
  jobs.register(SEND_MAIL_JOB, sendMailHandler(platformDb, transport, config.mailFrom));
  const ctx: RoleContext<T> = {
    role: module.name,
    config,
    secrets: options.secrets,
    urls: roleUrls(config),
    log: roleLog,
    db,
    dbKind: database.kind,
    redis,
    jobs,
    notifications: database.notifications,
    redisNotifications,
    sessionStore: (prefix) =>
      redis ? new RedisSessionStore(redis, `edugate:${prefix}:sess:`) : new DatabaseSessionStore(platformDb),
    throttleStore: (prefix) =>
      redis
        ? new RedisThrottleStore(redis, `edugate:${prefix}:tries:`)
        : new DatabaseThrottleStore(platformDb, prefix),
    demo: options.demo,
  };
  module.registerJobs?.(ctx);
  if (options.demo) await module.seedDemo?.(ctx);
  opened.push(() => module.stop?.());
  const app = await module.buildApp(ctx);
  opened.push(() => app.close());
  if (options.startJobs ?? true) {
    opened.push(() => jobs.stop());
    await jobs.start();
  }
  return {
    module,
    ctx,
    app,
    async close() {
      await app.close();
      await jobs.stop();
      await module.stop?.();
      transport.close();
      await redisNotifications?.close();
      redis?.disconnect();
      await database.close();
    },
  };
}

/**
 * The role's database typed with its own tables beside the platform's, which its migrations have
 * created: the one place a table map is widened, so the one cast for it. (Narrowing needs none: a
 * database typed with more tables is a database of fewer, e.g. a county transaction where the
 * platform asks for `Kysely<PlatformTables>`. A generic `T` defers Kysely's types, hence the cast.)
 */
function withRoleTables<T>(db: Kysely<PlatformTables>): Kysely<T & PlatformTables> {
  return db as unknown as Kysely<T & PlatformTables>;
}

/**
 * Migrates a role's database on connections of their own, without the statement timeouts of
 * serving (a migration may build an index on a large table, or wait for another node's).
 */
async function migrateRole<T>(module: RoleModule<T>, target: DatabaseTarget, log: Logger): Promise<void> {
  const database = await openDatabase(
    { ...target, poolSize: 2, timeouts: { ...target.timeouts, statementMs: 0, idleInTransactionMs: 0 } },
    log,
  );
  try {
    await migrate(database.db, database.schema, platformMigrations, module.migrations);
  } finally {
    await database.close();
  }
}

/**
 * Readiness checks of a role: every dependency it uses answers (the database; Redis when
 * configured), each within `readinessTimeoutMs`.
 */
export function dependencyChecks(ctx: RoleContext): Array<() => Promise<void>> {
  const ms = ctx.config.readinessTimeoutMs;
  const checks = [
    async () => {
      await withTimeout(sql`select 1`.execute(ctx.db), ms, 'the database');
    },
  ];
  const redis = ctx.redis;
  if (redis) {
    checks.push(async () => {
      if (redis.status !== 'ready') throw new Error(`redis is not connected (${redis.status})`);
      await withTimeout(redis.ping(), ms, 'redis');
    });
  }
  return checks;
}
