import type { Kysely, Transaction } from 'kysely';
import type { PlatformTables } from '../platform/database/platform-schema.ts';
import type { CloudTables } from './schema.ts';

export type CloudDatabase = CloudTables & PlatformTables;
export type CloudDb = Kysely<CloudDatabase>;
export type CloudTx = Kysely<CloudDatabase> | Transaction<CloudDatabase>;
