import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { roleUrls } from '../config/load.ts';
import type { Config } from '../config/options.ts';
import { type Database, openDatabase, roleDatabaseTarget } from '../database/connect.ts';
import { migrate } from '../database/migrations.ts';
import { platformMigrations } from '../database/platform-migrations.ts';
import { type PlatformTables, platformView } from '../database/platform-schema.ts';
import { DatabaseSessionStore, RedisSessionStore } from '../http/session-store.ts';
import { JobRunner } from '../jobs/runner.ts';
import { type MailTransport, SEND_MAIL_JOB, sendMailHandler, smtpTransport } from '../mail/index.ts';
import { checkSealedColumns } from '../security/sealed-columns.ts';
import { DatabaseThrottleStore, RedisThrottleStore } from '../security/throttle.ts';
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

export interface RunningRole {
  module: RoleModule;
  ctx: RoleContext;
  app: FastifyInstance;
  close(): Promise<void>;
}

/**
 * Opens a role's database, migrates it, checks that the installation secret opens what the role
 * sealed with it, seeds the demo, wires jobs and builds its HTTP app.
 */
export async function bootRole<T>(module: RoleModule<T>, options: BootOptions): Promise<RunningRole> {
  const { config, log } = options;
  const database =
    options.database ?? (await openDatabase<PlatformTables>(roleDatabaseTarget(config, module.name)));
  const db = database.db as unknown as RoleContext<T>['db'];
  const platformDb = platformView<T>(db);
  try {
    await migrate(db, database.schema, platformMigrations, module.migrations);
    // A wrong EDUGATE_SECRET stops here with a message naming it, before anything is sealed anew.
    await checkSealedColumns(db, module.sealedColumns ?? [], options.secrets.secret);
  } catch (error) {
    if (!options.database) await database.close();
    throw error;
  }
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2 })
    : undefined;
  const roleLog = log.child({ role: module.name });
  const jobs = new JobRunner(platformDb, roleLog, { pollMs: options.jobPollMs ?? 500 });
  const transport = options.mailTransport ?? smtpTransport(config.smtpUrl);
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
  const app = await module.buildApp(ctx);
  if (options.startJobs ?? true) jobs.start();
  return {
    module: module as unknown as RoleModule,
    ctx: ctx as unknown as RoleContext,
    app,
    async close() {
      await app.close();
      await jobs.stop();
      await module.stop?.();
      transport.close();
      redis?.disconnect();
      await database.close();
    },
  };
}

/** Readiness check: the role's database answers. */
export function databaseReady(ctx: RoleContext): () => Promise<void> {
  return async () => {
    await sql`select 1`.execute(ctx.db);
  };
}
