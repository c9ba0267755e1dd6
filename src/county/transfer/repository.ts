import type { Selectable } from 'kysely';
import { flowTable } from '../../platform/flows/flow-table.ts';
import type { CountyTx } from '../db.ts';
import type { CountyTables } from '../schema.ts';
import { TRANSFER } from './transitions.ts';

export type TransferRequest = Selectable<CountyTables['county_transfer_requests']>;

/** The transfer requests, each moved by `TRANSFER` in one statement. */
export const transferRequests = flowTable<CountyTables>()('county_transfer_requests', TRANSFER, {
  key: 'id',
});

export function pendingTransferOf(db: CountyTx, accountId: string): Promise<TransferRequest | undefined> {
  return db
    .selectFrom('county_transfer_requests')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('state', '=', 'pending')
    .executeTakeFirst();
}

export function pendingTransfersInto(db: CountyTx, tenant: string, unitCode: string) {
  return db
    .selectFrom('county_transfer_requests as r')
    .innerJoin('county_accounts as a', 'a.id', 'r.account_id')
    .select(['r.id', 'r.from_unit', 'r.to_unit', 'r.created_at', 'a.username', 'a.real_name', 'a.email'])
    .where('r.tenant', '=', tenant)
    .where('r.to_unit', '=', unitCode)
    .where('r.state', '=', 'pending')
    .orderBy('r.created_at')
    .execute();
}

export function findTransfer(db: CountyTx, tenant: string, id: string): Promise<TransferRequest | undefined> {
  if (!/^[0-9a-f-]{36}$/.test(id)) return Promise.resolve(undefined);
  return db
    .selectFrom('county_transfer_requests')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('id', '=', id)
    .executeTakeFirst();
}
