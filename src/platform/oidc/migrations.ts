import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../database/migrations.ts';
import { announceChanges } from '../database/notified-cache.ts';

/**
 * The OIDC provider tables, as migrations the role names with its own prefix
 * (e.g. `oidcMigrations('1101_oidc_provider')` for the county, a `21xx` name for the cloud); later
 * changes are further migrations named after the first (`${name}_versions`).
 */
export function oidcMigrations(name: string): MigrationSet {
  return {
    [name]: {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('oidc_payloads')
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('model', 'text', (c) => c.notNull())
          .addColumn('id', 'text', (c) => c.notNull())
          .addColumn('payload', 'jsonb', (c) => c.notNull())
          .addColumn('grant_id', 'text')
          .addColumn('uid', 'text')
          .addColumn('user_code', 'text')
          .addColumn('expires_at', 'timestamptz')
          .addColumn('consumed_at', 'timestamptz')
          .addPrimaryKeyConstraint('oidc_payloads_pk', ['tenant', 'model', 'id'])
          .execute();
        await db.schema
          .createIndex('oidc_payloads_grant')
          .on('oidc_payloads')
          .columns(['tenant', 'grant_id'])
          .where(sql.ref('grant_id'), 'is not', null)
          .execute();
        await db.schema
          .createIndex('oidc_payloads_uid')
          .on('oidc_payloads')
          .columns(['tenant', 'model', 'uid'])
          .where(sql.ref('uid'), 'is not', null)
          .execute();
        await db.schema
          .createIndex('oidc_payloads_user_code')
          .on('oidc_payloads')
          .columns(['tenant', 'model', 'user_code'])
          .where(sql.ref('user_code'), 'is not', null)
          .execute();
        await db.schema
          .createIndex('oidc_payloads_expires')
          .on('oidc_payloads')
          .column('expires_at')
          .execute();

        await db.schema
          .createTable('oidc_clients')
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('metadata', 'jsonb', (c) => c.notNull())
          .addColumn('secret_ciphertext', 'text')
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addPrimaryKeyConstraint('oidc_clients_pk', ['tenant', 'client_id'])
          .execute();

        await db.schema
          .createTable('oidc_signing_keys')
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('kid', 'text', (c) => c.notNull())
          .addColumn('alg', 'text', (c) => c.notNull())
          .addColumn('private_jwk_ciphertext', 'text', (c) => c.notNull())
          .addColumn('public_jwk', 'jsonb', (c) => c.notNull())
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addColumn('retired_at', 'timestamptz')
          .addPrimaryKeyConstraint('oidc_signing_keys_pk', ['tenant', 'kid'])
          .execute();

        await db.schema
          .createTable('oidc_consents')
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('account_id', 'text', (c) => c.notNull())
          .addColumn('client_id', 'text', (c) => c.notNull())
          .addColumn('scopes', 'jsonb', (c) => c.notNull())
          .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addPrimaryKeyConstraint('oidc_consents_pk', ['tenant', 'account_id', 'client_id'])
          .execute();
      },
    },
    [`${name}_versions`]: {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('oidc_versions')
          .addColumn('tenant', 'text', (c) => c.primaryKey())
          .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('changed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .execute();
      },
    },
    // Every node keeps the grants it read (adapter.ts `keep`): a change or revocation of a grant
    // is announced to every node at commit (expired grants swept away need not be).
    [`${name}_grant_changes`]: {
      async up(db: Kysely<unknown>) {
        await announceChanges(db, {
          table: 'oidc_payloads',
          name: 'oidc_grants',
          key: 'id',
          trigger: 'oidc_grants_announce',
          whenUpdate: "old.model = 'Grant'",
          whenDelete: "old.model = 'Grant' and (old.expires_at is null or old.expires_at > now())",
        });
      },
    },
  };
}
