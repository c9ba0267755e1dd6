import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from '../config/options.ts';
import type { RoleName } from '../database/connect.ts';
import type { MigrationSet } from '../database/migrations.ts';
import type { Notifications } from '../database/notifications.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import type { SessionStore } from '../http/session-store.ts';
import type { JobRunner } from '../jobs/runner.ts';
import type { SealedColumn } from '../security/sealed-columns.ts';
import type { ThrottleStore } from '../security/throttle.ts';
import type { Secrets } from './secrets.ts';

export interface RoleUrls {
  landing: string;
  county: string;
  cloud: string;
  workspace: string;
  google: string;
}

/** What a role gets from the runtime: its own database, job runner, stores, secrets and URLs. */
export interface RoleContext<T = PlatformTables> {
  role: RoleName;
  config: Config;
  secrets: Secrets;
  urls: RoleUrls;
  log: Logger;
  db: Kysely<T & PlatformTables>;
  dbKind: 'pglite' | 'postgres';
  redis: Redis | undefined;
  jobs: JobRunner;
  /** `LISTEN`/`NOTIFY` on the role's database: changes other nodes made, heard at once. */
  notifications: Notifications;
  /** Redis pub/sub (with `redis`): changes of Redis artifacts other nodes made, heard at once. */
  redisNotifications?: Notifications | undefined;
  sessionStore: (prefix: string) => SessionStore;
  throttleStore: (prefix: string) => ThrottleStore;
  /** True when started by `edugate demo` (seed demo data, show demo hints). */
  demo: boolean;
}

/**
 * A deployable role (county portal, education cloud, workspace portal, Google stand-in): its
 * migrations, its jobs, its demo seed and its HTTP app. Roles never read each other's tables.
 */
export interface RoleModule<T = PlatformTables> {
  name: RoleName;
  title: { 'zh-TW': string; en: string };
  /** A stand-in for demos and tests (pages without sign-in): it listens on loopback only. */
  demoOnly?: boolean;
  migrations: MigrationSet;
  /**
   * Columns sealed under the installation secret (`SecretBox`): start-up checks that the secret
   * opens them, `edugate secrets rotate` re-seals them.
   */
  sealedColumns?: readonly SealedColumn[];
  /** Registers job handlers on ctx.jobs (before the runner starts). */
  registerJobs?(ctx: RoleContext<T>): void;
  /** Seeds demo data; must be idempotent (runs on every demo start). */
  seedDemo?(ctx: RoleContext<T>): Promise<void>;
  buildApp(ctx: RoleContext<T>): Promise<FastifyInstance>;
  /** Called on shutdown after the HTTP server closed. */
  stop?(): Promise<void>;
}
