import type { Kysely, Transaction } from 'kysely';
import type { PlatformTables } from '../platform/database/platform-schema.ts';
import type { CloudTables } from './schema.ts';

export type CloudDatabase = CloudTables & PlatformTables;
export type CloudDb = Kysely<CloudDatabase>;
export type CloudTx = Kysely<CloudDatabase> | Transaction<CloudDatabase>;

/** True for a unique-constraint violation (PostgreSQL and PGlite both report SQLSTATE 23505). */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
