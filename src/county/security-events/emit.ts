// What the county tells the services that rely on its accounts (first of all the education
// cloud) when an account's state changes: RISC events pushed as SETs (see
// src/platform/security-events). Called in the transaction of the change.
import { accountDisabled, accountEnabled, emitSecurityEvent } from '../../platform/security-events/index.ts';
import type { CountyTx } from '../db.ts';
import type { County } from '../services.ts';

/**
 * Queues `account-disabled` (reason `suspended` or `departed`) or `account-enabled` for the
 * tenant's registered receivers; the subject is the account as the tenant's issuer knows it
 * (`iss_sub`: the tenant URL and the account id, the county OIDC `sub`).
 */
export async function emitAccountState(
  county: County,
  tx: CountyTx,
  tenant: string,
  accountId: string,
  state: 'active' | 'suspended' | 'departed',
): Promise<void> {
  await emitSecurityEvent(tx, {
    tenant,
    issuer: county.tenantUrl(tenant),
    subject: accountId,
    events: state === 'active' ? accountEnabled() : accountDisabled(state),
  });
}
