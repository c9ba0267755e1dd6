import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../platform/database/migrations.ts';
import { announceChanges } from '../platform/database/notified-cache.ts';
import { announceSignInChanges, oidcMigrations } from '../platform/oidc/index.ts';
import { securityEventMigrations } from '../platform/security-events/index.ts';

export const cloudMigrations: MigrationSet = {
  '2001_cloud_accounts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cloud_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text')
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('family_name', 'text')
        .addColumn('given_name', 'text')
        .addColumn('backup_email', 'text')
        .addColumn('pending_backup_email', 'text')
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('active', 'suspended')`))
        .addColumn('is_admin', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('guid_hash', 'text', (c) => c.unique())
        .addColumn('openid2_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();

      await db.schema
        .createTable('cloud_identities')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) =>
          c.notNull().references('cloud_accounts.id').onDelete('cascade'),
        )
        .addColumn('county_code', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('snapshot', 'jsonb', (c) => c.notNull())
        .addColumn('linked_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_login_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addUniqueConstraint('cloud_identities_issuer_subject', ['issuer', 'subject'])
        .execute();
      await db.schema
        .createIndex('cloud_identities_account')
        .on('cloud_identities')
        .column('account_id')
        .execute();
    },
  },
  '2002_cloud_counties': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cloud_counties')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull().unique())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_secret_sealed', 'text', (c) => c.notNull())
        .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
  },
  '2003_cloud_login_flows': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cloud_login_flows')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('state', 'text', (c) =>
          c
            .notNull()
            .check(sql`state in ('no_account', 'choose_name', 'set_password', 'consent', 'link', 'done')`),
        )
        .addColumn('county_code', 'text', (c) => c.notNull())
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('snapshot', 'jsonb', (c) => c.notNull())
        .addColumn('guid_hash', 'text')
        .addColumn('chosen_name', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('backup_email', 'text')
        .addColumn('account_id', 'text')
        .addColumn('return_to', 'text')
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('cloud_login_flows_expires')
        .on('cloud_login_flows')
        .column('expires_at')
        .execute();
    },
  },
  '2004_cloud_roles': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cloud_roles')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('cloud_role_assignments')
        .addColumn('role_code', 'text', (c) => c.notNull().references('cloud_roles.code').onDelete('cascade'))
        .addColumn('account_id', 'text', (c) =>
          c.notNull().references('cloud_accounts.id').onDelete('cascade'),
        )
        .addColumn('schoolid', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('cloud_role_assignments_pk', ['role_code', 'account_id', 'schoolid'])
        .execute();
    },
  },
  ...oidcMigrations('2010_oidc_provider'),
  // Security events: county account status in, cloud account status out (src/platform/security-events).
  ...securityEventMigrations('2201_security_events'),
  '2202_cloud_identity_status': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('cloud_identities')
        .addColumn('disabled_at', 'timestamptz')
        .addColumn('disabled_reason', 'text')
        .execute();
      await db.schema
        .alterTable('cloud_accounts')
        .addColumn('suspended_by', 'text', (c) => c.check(sql`suspended_by in ('admin', 'county')`))
        .execute();
    },
  },
  // Signed-in browsers as rows: sign-out, 「登出其他裝置」, password changes and county back-channel
  // logout end them (a cloud session whose row is revoked is signed out).
  '2040_cloud_sessions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('cloud_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('account_id', 'text', (c) =>
          c.notNull().references('cloud_accounts.id').onDelete('cascade'),
        )
        .addColumn('county_code', 'text')
        .addColumn('county_sid', 'text')
        .addColumn('county_sub', 'text')
        .addColumn('oidc_session_uid', 'text')
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('cloud_sessions_account')
        .on('cloud_sessions')
        .column('account_id')
        .execute();
      await db.schema
        .createIndex('cloud_sessions_county')
        .on('cloud_sessions')
        .columns(['county_code', 'county_sid'])
        .execute();
    },
  },
  // Every node keeps the accounts its OIDC provider serves tokens for, with their county identities
  // (account/releasable.ts): a change of either is announced to every node at commit.
  '2050_cloud_account_changes': {
    async up(db: Kysely<unknown>) {
      await announceChanges(db, {
        table: 'cloud_accounts',
        name: 'cloud_accounts',
        key: 'id',
        trigger: 'cloud_accounts_announce',
        whenUpdate: "to_jsonb(old) - 'updated_at' is distinct from to_jsonb(new) - 'updated_at'",
      });
      await announceChanges(db, {
        table: 'cloud_identities',
        name: 'cloud_accounts',
        key: 'account_id',
        trigger: 'cloud_identities_announce',
        insert: true,
      });
    },
  },
  // Every node keeps the counties its sign-ins go through (broker/counties.ts): a change or removal
  // is announced to every node at commit.
  '2060_cloud_county_changes': {
    async up(db: Kysely<unknown>) {
      await announceChanges(db, {
        table: 'cloud_counties',
        name: 'cloud_counties',
        key: 'code',
        trigger: 'cloud_counties_announce',
      });
    },
  },
  // A new county changes the list of counties (the login page's, kept on each node).
  '2070_cloud_county_inserts': {
    async up(db: Kysely<unknown>) {
      await announceChanges(db, {
        table: 'cloud_counties',
        name: 'cloud_counties',
        key: 'code',
        trigger: 'cloud_counties_announce',
        insert: true,
        only: ['insert'],
      });
    },
  },
  // Every node keeps the sign-in rows its authorizations check (account/releasable.ts): a row
  // revoked (signed out here or by a county's back-channel logout, 登出其他裝置, a password change),
  // linked to another provider session or deleted is announced to every node at commit, whoever
  // writes it; a visit (`last_seen_at`) is not.
  '2080_cloud_sign_in_changes': {
    async up(db: Kysely<unknown>) {
      await announceSignInChanges(db, {
        table: 'cloud_sessions',
        name: 'cloud_sessions',
        trigger: 'cloud_sessions_announce',
      });
    },
  },
};
