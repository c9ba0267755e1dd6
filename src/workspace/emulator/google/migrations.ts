import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../../../platform/database/migrations.ts';

export const googleMigrations: MigrationSet = {
  '4001_google_standin': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('google_domains')
        .addColumn('domain', 'text', (c) => c.primaryKey())
        .addColumn('idp_metadata_url', 'text')
        .addColumn('idp_entity_id', 'text')
        .addColumn('idp_sso_url', 'text')
        .addColumn('idp_certificates', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
        .addColumn('idp_fetched_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('google_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('primary_email', 'text', (c) => c.notNull())
        .addColumn('given_name', 'text', (c) => c.notNull())
        .addColumn('family_name', 'text', (c) => c.notNull())
        .addColumn('org_unit_path', 'text', (c) => c.notNull())
        .addColumn('external_ids', 'jsonb', (c) => c.notNull())
        .addColumn('suspended', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('hash_function', 'text')
        .addColumn('etag', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('visible_at', 'timestamptz', (c) => c.notNull())
        .addColumn('deleted_at', 'timestamptz')
        .execute();
      // One live user per address; deleted users keep theirs until undeleted or purged.
      await sql`create unique index google_users_live_email on google_users (lower(primary_email)) where deleted_at is null`.execute(
        db,
      );
      await db.schema
        .createTable('google_org_units')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('path', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('parent_path', 'text', (c) => c.notNull())
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('google_access_tokens')
        .addColumn('token_hash', 'text', (c) => c.primaryKey())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('google_saml_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('relay_state', 'text', (c) => c.notNull().unique())
        .addColumn('continue_url', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('consumed_at', 'timestamptz')
        .execute();
      await db.schema
        .createTable('google_saml_seen')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
        .execute();
    },
  },
  // The SSO profile's sign-out URL (Google sends the browser there after its own sign-out).
  '4040_google_sign_out_url': {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('google_domains').addColumn('sign_out_url', 'text').execute();
    },
  },
  // Service accounts' public keys and domain-wide delegation (the JWT bearer grant at /token).
  '4060_google_service_accounts': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('google_service_account_keys')
        .addColumn('key_id', 'text', (c) => c.primaryKey())
        .addColumn('client_email', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('public_key_pem', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createIndex('google_service_account_keys_email')
        .on('google_service_account_keys')
        .column('client_email')
        .execute();
      await db.schema
        .createTable('google_delegations')
        .addColumn('client_id', 'text', (c) => c.primaryKey())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .execute();
    },
  },
};
