import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../../platform/database/migrations.ts';

export const samlMigrations: MigrationSet = {
  '2101_saml_idp': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('saml_service_providers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('entity_id', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('acs_urls', 'jsonb', (c) => c.notNull())
        .addColumn('name_id_format', 'text', (c) => c.notNull())
        .addColumn('name_id_domain', 'text')
        .addColumn('want_assertions_signed', 'boolean', (c) => c.notNull().defaultTo(false))
        .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
      await db.schema
        .createTable('saml_signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey())
        .addColumn('private_key_sealed', 'text', (c) => c.notNull())
        .addColumn('certificate_pem', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('retired_at', 'timestamptz')
        .execute();
      // At most one current and one next key.
      await sql`create unique index saml_signing_keys_one_per_state on saml_signing_keys (state) where state in ('current', 'next')`.execute(
        db,
      );
    },
  },
  // The Google address the workspace portal last confirmed for an account (the SAML linking rule).
  '2110_saml_google_links': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('saml_google_links')
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('domain', 'text', (c) => c.notNull())
        .addColumn('google_email', 'text', (c) => c.notNull())
        .addColumn('confirmed_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('saml_google_links_pk', ['account_id', 'domain'])
        .execute();
    },
  },
};
