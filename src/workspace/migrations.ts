import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../platform/database/migrations.ts';
import { securityEventMigrations } from '../platform/security-events/index.ts';

export const workspaceMigrations: MigrationSet = {
  '3001_workspace_activation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('workspace_accounts')
        .addColumn('cloud_sub', 'text', (c) => c.primaryKey())
        .addColumn('cloud_username', 'text', (c) => c.notNull())
        .addColumn('cloud_email', 'text', (c) => c.notNull())
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('given_name', 'text', (c) => c.notNull())
        .addColumn('family_name', 'text', (c) => c.notNull())
        .addColumn('school_code', 'text')
        .addColumn('county', 'text')
        .addColumn('google_email', 'text', (c) => c.notNull().unique())
        .addColumn('org_unit_path', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().defaultTo('none'))
        .addColumn('cloud_state', 'text', (c) => c.notNull().defaultTo('active'))
        .addColumn('google_user_id', 'text')
        .addColumn('google_suspended', 'boolean')
        .addColumn('sync_version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('activation_round', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('requested_at', 'timestamptz')
        .addColumn('activated_at', 'timestamptz')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('workspace_org_units')
        .addColumn('path', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('workspace_schools')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('county', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('workspace_admins')
        .addColumn('cloud_username', 'text', (c) => c.primaryKey())
        .execute();
      await db.schema
        .createTable('workspace_reconcile_reports')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('finished_at', 'timestamptz')
        .addColumn('checked', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('drift', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('error', 'text')
        .execute();
    },
  },
  // Cloud account status received as security events (src/platform/security-events).
  ...securityEventMigrations('3201_security_events'),
  // Signed-in browsers as rows, so that the cloud's back-channel logout can end them.
  '3040_workspace_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('workspace_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('cloud_sub', 'text', (c) => c.notNull())
        .addColumn('cloud_sid', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('workspace_sessions_sid')
        .on('workspace_sessions')
        .column('cloud_sid')
        .execute();
      await db.schema
        .createIndex('workspace_sessions_sub')
        .on('workspace_sessions')
        .column('cloud_sub')
        .execute();
    },
  },
};
