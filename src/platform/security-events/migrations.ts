import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../database/migrations.ts';

/**
 * The security event tables as one migration the role names with its own prefix
 * (`securityEventMigrations('1201_security_events')` for the county, `2201_…` for the cloud,
 * `3201_…` for the workspace portal). Every role gets both sides; an unused side stays empty.
 */
export function securityEventMigrations(name: string): MigrationSet {
  return {
    [name]: {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('security_event_receivers')
          .addColumn('id', 'uuid', (c) => c.primaryKey())
          .addColumn('tenant', 'text', (c) => c.notNull())
          .addColumn('endpoint_url', 'text', (c) => c.notNull())
          .addColumn('audience', 'text', (c) => c.notNull())
          .addColumn('enabled', 'boolean', (c) => c.notNull().defaultTo(true))
          .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addUniqueConstraint('security_event_receivers_endpoint', ['tenant', 'endpoint_url'])
          .execute();
        await db.schema
          .createTable('security_event_jtis')
          .addColumn('issuer', 'text', (c) => c.notNull())
          .addColumn('jti', 'text', (c) => c.notNull())
          .addColumn('received_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
          .addPrimaryKeyConstraint('security_event_jtis_pk', ['issuer', 'jti'])
          .execute();
        await db.schema
          .createIndex('security_event_jtis_expires')
          .on('security_event_jtis')
          .column('expires_at')
          .execute();
        await db.schema
          .createTable('security_event_subjects')
          .addColumn('issuer', 'text', (c) => c.notNull())
          .addColumn('subject', 'text', (c) => c.notNull())
          .addColumn('last_toe', 'double precision', (c) => c.notNull())
          .addColumn('last_txn', 'text')
          .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
          .addPrimaryKeyConstraint('security_event_subjects_pk', ['issuer', 'subject'])
          .execute();
      },
    },
  };
}
