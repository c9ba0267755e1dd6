// Suspending and reactivating a cloud account, whoever decides it (a cloud administrator, or the
// county events in ../security-events/): the state, its audit record and the security event that
// tells the services relying on the cloud (the workspace portal, which suspends the Google user)
// are written in one transaction.
import { recordAudit } from '../../platform/audit/audit-log.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import {
  accountDisabled,
  accountEnabled,
  type DisableReason,
  emitSecurityEvent,
} from '../../platform/security-events/index.ts';
import type { CloudTx } from '../db.ts';
import { CLOUD_TENANT } from '../oidc/provider.ts';
import type { AccountState, CloudTables } from '../schema.ts';

export interface AccountStateChange {
  accountId: string;
  state: AccountState;
  actor: string;
  ip?: string | null;
  /**
   * `admin` (default): only an administrator lifts it. `county`: the account's county identities
   * stopped; a county reactivating one of them lifts it again.
   */
  cause?: 'admin' | 'county';
  /** The reason the security event gives for a suspension (default `suspended`). */
  reason?: DisableReason;
  details?: Record<string, unknown>;
}

/** The cloud's issuer as it signs ID tokens and security events. */
export function cloudIssuer(ctx: Pick<RoleContext<CloudTables>, 'urls'>): string {
  return ctx.urls.cloud.replace(/\/+$/, '');
}

/**
 * Sets the account's state in the caller's transaction. Returns false when nothing changed
 * (nothing recorded, nothing sent).
 */
export async function changeAccountState(
  ctx: Pick<RoleContext<CloudTables>, 'urls'>,
  tx: CloudTx,
  change: AccountStateChange,
): Promise<boolean> {
  const suspended = change.state === 'suspended';
  const cause = change.cause ?? 'admin';
  const row = await tx
    .updateTable('cloud_accounts')
    .set({
      state: change.state,
      suspended_by: suspended ? cause : null,
      updated_at: new Date(),
    })
    .where('id', '=', change.accountId)
    // An administrator's suspension also takes over one the county events made (and outlives it).
    .where((eb) =>
      suspended && cause === 'admin'
        ? eb.or([eb('state', '<>', 'suspended'), eb('suspended_by', '=', 'county')])
        : eb('state', '<>', change.state),
    )
    .returning(['id', 'name'])
    .executeTakeFirst();
  if (!row) return false;
  await recordAudit(tx, {
    actor: change.actor,
    action: suspended ? 'account.suspended' : 'account.reactivated',
    target: row.id,
    ip: change.ip ?? null,
    details: { name: row.name, cause, ...change.details },
  });
  await emitSecurityEvent(tx, {
    tenant: CLOUD_TENANT,
    issuer: cloudIssuer(ctx),
    subject: row.id,
    events: suspended ? accountDisabled(change.reason ?? 'suspended') : accountEnabled(),
  });
  return true;
}
