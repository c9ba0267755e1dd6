import type { Updateable } from 'kysely';
import type { AuditEvent } from '../../platform/audit/audit-log.ts';
import { auditAccount, type CountyTx } from '../db.ts';
import type { CountyTables } from '../schema.ts';
import type { Account } from './repository.ts';

/** What an edit may change of an account: its own data, never its state (that is `transitionAccount`). */
export type AccountEdit = Pick<
  Updateable<CountyTables['county_accounts']>,
  | 'real_name'
  | 'family_name'
  | 'given_name'
  | 'unit_confirmed_at'
  | 'email'
  | 'email_normalized'
  | 'email_verified_at'
  | 'role'
>;

/**
 * Edits an account (its name, its unit's confirmation, its email, its role) and records who did it,
 * in the caller's transaction.
 */
export async function editAccount(
  tx: CountyTx,
  account: Pick<Account, 'id' | 'tenant'>,
  edit: AccountEdit,
  record: Omit<AuditEvent, 'tenant' | 'target'>,
): Promise<void> {
  await tx
    .updateTable('county_accounts')
    .set({ ...edit, updated_at: new Date() })
    .where('id', '=', account.id)
    .execute();
  await auditAccount(tx, account, record);
}
