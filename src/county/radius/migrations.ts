import { type Kysely, sql } from 'kysely';
import type { MigrationSet } from '../../platform/database/migrations.ts';

const now = sql`now()`;

export const radiusMigrations: MigrationSet = {
  // NAS clients, accounting sessions, known devices and the Wi-Fi/VPN settings of each county.
  '1300_county_radius': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('county_radius_clients')
        .addColumn('id', 'uuid', (c) => c.primaryKey())
        .addColumn('tenant', 'text', (c) => c.notNull().references('county_tenants.code'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('secret_sealed', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .addUniqueConstraint('county_radius_clients_name', ['tenant', 'name'])
        .execute();
      await db.schema
        .createTable('county_radius_sessions')
        .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
        .addColumn('tenant', 'text', (c) => c.notNull())
        .addColumn('account_id', 'uuid', (c) =>
          c.notNull().references('county_accounts.id').onDelete('cascade'),
        )
        .addColumn('username', 'text', (c) => c.notNull())
        .addColumn('nas', 'text', (c) => c.notNull())
        .addColumn('acct_session_id', 'text', (c) => c.notNull())
        .addColumn('calling_station_id', 'text')
        .addColumn('framed_ip', 'text')
        .addColumn('started_at', 'timestamptz', (c) => c.notNull())
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
        .addColumn('stopped_at', 'timestamptz')
        .addColumn('input_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('output_bytes', 'bigint', (c) => c.notNull().defaultTo(0))
        .addColumn('terminate_cause', 'text')
        .addUniqueConstraint('county_radius_sessions_key', ['tenant', 'nas', 'acct_session_id'])
        .execute();
      await db.schema
        .createIndex('county_radius_sessions_account')
        .on('county_radius_sessions')
        .columns(['account_id', 'started_at'])
        .execute();
      await db.schema
        .createIndex('county_radius_sessions_station')
        .on('county_radius_sessions')
        .columns(['tenant', 'calling_station_id'])
        .execute();
      await db.schema
        .createIndex('county_radius_sessions_updated')
        .on('county_radius_sessions')
        .column('updated_at')
        .execute();
      await db.schema
        .createTable('county_radius_devices')
        .addColumn('account_id', 'uuid', (c) =>
          c.notNull().references('county_accounts.id').onDelete('cascade'),
        )
        .addColumn('station_hash', 'text', (c) => c.notNull())
        .addColumn('last_success_at', 'timestamptz', (c) => c.notNull())
        .addPrimaryKeyConstraint('county_radius_devices_pk', ['account_id', 'station_hash'])
        .execute();
      await db.schema
        .createTable('county_radius_settings')
        .addColumn('tenant', 'text', (c) => c.primaryKey().references('county_tenants.code'))
        .addColumn('realm', 'text')
        .addColumn('ssid', 'text', (c) => c.notNull())
        .addColumn('vpn_host', 'text', (c) => c.notNull())
        .addColumn('ca_certificate', 'text')
        .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
        .execute();
    },
  },
};
