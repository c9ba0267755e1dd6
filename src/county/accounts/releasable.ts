import type { Kysely } from 'kysely';
import { statement } from '../../platform/database/statement.ts';
import type { CountyTx } from '../db.ts';
import type { CountyDatabase } from '../schema.ts';
import { RELEASED_ACCOUNT_COLUMNS, type ReleasableAccount } from './claims.ts';

// Read by every authorization, compiled once (see statement.ts).
const releasableById = statement((db: Kysely<CountyDatabase>, v: { tenant: string; id: string }) =>
  db
    .selectFrom('county_accounts')
    .select(RELEASED_ACCOUNT_COLUMNS)
    .where('tenant', '=', v.tenant)
    .where('id', '=', v.id),
);

/** An account of `tenant` as the OIDC provider reads it: what it releases and what decides whether it may. */
export function findReleasableAccount(
  db: CountyTx,
  tenant: string,
  id: string,
): Promise<ReleasableAccount | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return Promise.resolve(undefined);
  return releasableById(db, { tenant, id }).then(([account]) => account);
}
