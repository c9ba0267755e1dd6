import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../platform/database/migrations.ts';
import { announceChanges } from '../platform/database/notified-cache.ts';
import { announceSignInChanges } from '../platform/oidc/index.ts';
import { securityEventMigrations } from '../platform/security-events/index.ts';

const now = sql`now()`;

export const countyMigrations: MigrationSet = {
  '1001_county_core': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('county_tenants')
        .addColumn('code', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('portal_name', 'text', (c) => c.notNull())
        .addColumn('mail_domain', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .execute();

      await db.schema
        .createTable('county_units')
        .addColumn('tenant', 'text', (c) => c.notNull().references('county_tenants.code'))
        .addColumn('code', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('abbreviation', 'text')
        .addColumn('mailbox', 'text', (c) => c.notNull())
        .addColumn('mailbox_normalized', 'text', (c) => c.notNull())
        .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addPrimaryKeyConstraint('county_units_pk', ['tenant', 'code'])
        .addUniqueConstraint('county_units_mailbox', ['tenant', 'mailbox_normalized'])
        .execute();

      await db.schema
        .createTable('county_accounts')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull().references('county_tenants.code'))
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('username_normalized', 'text', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_normalized', 'text', (c) => c.notNull())
        .addColumn('email_verified_at', 'timestamptz')
        .addColumn('role', 'text', (c) =>
          c.notNull().check(sql`role in ('teacher', 'reviewer', 'county_admin')`),
        )
        .addColumn('status', 'text', (c) =>
          c
            .notNull()
            .check(
              sql`status in ('pending_email', 'pending_review', 'rejected', 'active', 'suspended', 'departed')`,
            ),
        )
        .addColumn('status_reason', 'text')
        .addColumn('real_name', 'text')
        .addColumn('family_name', 'text')
        .addColumn('given_name', 'text')
        .addColumn('national_id_encrypted', 'text')
        .addColumn('national_id_blind_index', 'text')
        .addColumn('unit_code', 'text')
        .addColumn('unit_confirmed_at', 'timestamptz')
        .addColumn('titles', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('terms_version', 'text')
        .addColumn('terms_accepted_at', 'timestamptz')
        .addColumn('review_requested_at', 'timestamptz')
        .addColumn('reviewed_at', 'timestamptz')
        .addColumn('reviewed_by', 'text')
        .addColumn('suspended_by_campaign', 'text')
        .addColumn('password_changed_at', 'timestamptz')
        .addColumn('last_login_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addForeignKeyConstraint('county_accounts_unit', ['tenant', 'unit_code'], 'county_units', [
          'tenant',
          'code',
        ])
        .execute();
      // A rejected application frees its username, email and person for a new application.
      await sql`create unique index county_accounts_username on county_accounts (tenant, username_normalized)
        where status <> 'rejected'`.execute(db);
      await sql`create unique index county_accounts_email on county_accounts (tenant, email_normalized)
        where status <> 'rejected'`.execute(db);
      // One account per person per county (SPEC §1): the blind index of the national ID is unique.
      await sql`create unique index county_accounts_person on county_accounts (tenant, national_id_blind_index)
        where national_id_blind_index is not null and status <> 'rejected'`.execute(db);
      await db.schema
        .createIndex('county_accounts_unit_status')
        .on('county_accounts')
        .columns(['tenant', 'unit_code', 'status'])
        .execute();
    },
  },
  '1002_county_flows': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('county_registration_flows')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull().references('county_tenants.code'))
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('credentials', 'email', 'terms', 'unit', 'submitted')`),
        )
        .addColumn('username', 'text')
        .addColumn('username_normalized', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('email', 'text')
        .addColumn('email_normalized', 'text')
        .addColumn('terms_version', 'text')
        .addColumn('terms_accepted_at', 'timestamptz')
        .addColumn('unit_code', 'text')
        .addColumn('account_id', 'uuid')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('county_account_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('account_id', 'uuid', (c) => c.notNull().references('county_accounts.id'))
        .addColumn('ip', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('revoked_at', 'timestamptz')
        .execute();
      await db.schema
        .createIndex('county_account_sessions_account')
        .on('county_account_sessions')
        .columns(['account_id', 'revoked_at'])
        .execute();

      await db.schema
        .createTable('county_transfer_requests')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('account_id', 'uuid', (c) => c.notNull().references('county_accounts.id'))
        .addColumn('from_unit', 'text')
        .addColumn('to_unit', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('pending', 'approved', 'rejected', 'cancelled')`),
        )
        .addColumn('reason', 'text')
        .addColumn('decided_by', 'text')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('decided_at', 'timestamptz')
        .addForeignKeyConstraint('county_transfer_to_unit', ['tenant', 'to_unit'], 'county_units', [
          'tenant',
          'code',
        ])
        .execute();
      // At most one open transfer request per account.
      await sql`create unique index county_transfer_open on county_transfer_requests (account_id)
        where state = 'pending'`.execute(db);
    },
  },
  '1003_county_content': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('county_announcements')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull().references('county_tenants.code'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('category', 'text', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('body_markdown', 'text', (c) => c.notNull())
        .addColumn('published_at', 'timestamptz', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .execute();
      await db.schema
        .createTable('county_pages')
        .addColumn('tenant', 'text', (c) => c.notNull().references('county_tenants.code'))
        .addColumn('slug', 'text', (c) => c.notNull())
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('body_markdown', 'text', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_by', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addPrimaryKeyConstraint('county_pages_pk', ['tenant', 'slug'])
        .execute();
    },
  },
  '1004_county_audit_campaigns': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('county_audit_campaigns')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull().references('county_tenants.code'))
        .addColumn('title', 'text', (c) => c.notNull())
        .addColumn('deadline', 'timestamptz', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'closed')`))
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('suspended_count', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addColumn('closed_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('county_audit_entries')
        .addColumn('campaign_id', 'uuid', (c) => c.notNull().references('county_audit_campaigns.id'))
        .addColumn('account_id', 'uuid', (c) => c.notNull().references('county_accounts.id'))
        .addColumn('unit_code', 'text')
        .addColumn('decision', 'text', (c) => c.notNull().check(sql`decision in ('confirmed', 'flagged')`))
        .addColumn('note', 'text')
        .addColumn('decided_by', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addPrimaryKeyConstraint('county_audit_entries_pk', ['campaign_id', 'account_id'])
        .execute();
    },
  },
  // Announcements carry a version like the help pages, so a save based on a stale form is refused.
  '1005_county_announcement_versions': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('county_announcements')
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('updated_by', 'text')
        .execute();
    },
  },
  // A browser session names the OIDC provider session of the same browser: signing out ends both.
  '1040_county_session_oidc_uid': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('county_account_sessions').addColumn('oidc_session_uid', 'text').execute();
    },
  },
  // A national ID typed on the profile check waits for the school reviewer, who checks the document.
  '1050_county_national_id_submission': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('county_accounts')
        .addColumn('national_id_submitted_encrypted', 'text')
        .addColumn('national_id_submitted_at', 'timestamptz')
        .execute();
    },
  },
  // Every node keeps the accounts its OIDC provider serves tokens for (accounts/releasable.ts): a
  // change of an account (status, profile, unit, …; not a sign-in) is announced to every node at
  // commit, whoever writes it.
  '1060_county_account_changes': {
    async up(db: Kysely<unknown>) {
      const unannounced = "'{password_hash,password_changed_at,last_login_at,updated_at}'::text[]";
      await announceChanges(db, {
        table: 'county_accounts',
        name: 'accounts',
        key: 'id',
        trigger: 'county_accounts_announce',
        whenUpdate: `to_jsonb(old) - ${unannounced} is distinct from to_jsonb(new) - ${unannounced}`,
      });
    },
  },
  // Every node keeps the sign-in rows its authorizations check (accounts/releasable.ts): a row
  // revoked (signed out, ended on the sessions page, a password change), linked to another provider
  // session or deleted is announced to every node at commit, whoever writes it; a visit
  // (`last_seen_at`) is not.
  '1070_county_sign_in_changes': {
    async up(db: Kysely<unknown>) {
      await announceSignInChanges(db, {
        table: 'county_account_sessions',
        name: 'account_sessions',
        trigger: 'county_account_sessions_announce',
      });
    },
  },
  // Account status pushed to the cloud as security events (src/platform/security-events).
  ...securityEventMigrations('1201_security_events'),
};
