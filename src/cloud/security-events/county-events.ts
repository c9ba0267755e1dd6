// The education cloud as the recipient of its counties' security events: a county account that is
// suspended, departed or reactivated is reflected on the linked county identity at once, not at
// the person's next login. Policy for the cloud account itself (SPEC §3: "a cloud account
// suspended, or whose only county identity departed → Google user suspended"):
// - departed, and no other usable county identity is linked → the cloud account is suspended
//   (cause `county`), whether or not it has a password: the person has left;
// - suspended, no other usable identity and no cloud password → suspended too: the county was the
//   only way in, and its suspension must also end the cloud sessions and the Google account;
// - suspended, but the account has its own password or another usable identity → it stays active;
// - enabled → the identity is usable again, and an account the county events suspended is
//   reactivated (never one an administrator suspended).
import { recordAudit } from '../../platform/audit/audit-log.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import {
  RISC_ACCOUNT_DISABLED,
  RISC_ACCOUNT_ENABLED,
  SecurityEventReceiver,
  type VerifiedSecurityEvent,
} from '../../platform/security-events/index.ts';
import { changeAccountState } from '../account/lifecycle.ts';
import type { CloudDatabase, CloudTx } from '../db.ts';
import type { CloudTables } from '../schema.ts';
import type { CloudServices } from '../services.ts';

/** Receives the registered counties' SETs; each county is picked by the SET's `iss`. */
export function countyEventReceiver(services: CloudServices): SecurityEventReceiver<CloudDatabase> {
  return new SecurityEventReceiver<CloudDatabase>({
    db: services.db,
    log: services.ctx.log.child({ receiver: 'county-events' }),
    async transmitter(iss) {
      const county = (await services.counties.list()).find((c) => c.issuer === iss.replace(/\/+$/, ''));
      if (!county) return undefined;
      return {
        issuer: county.issuer,
        audience: county.clientId,
        jwksUri: `${county.issuer}/oidc/v1/jwksets`,
        enabled: county.enabled,
      };
    },
    handle: (tx, event) => applyCountyEvent(services.ctx, tx, event),
  });
}

/** Applies one verified county event in the receiver's transaction (see the policy above). */
export async function applyCountyEvent(
  ctx: Pick<RoleContext<CloudTables>, 'urls'>,
  tx: CloudTx,
  event: VerifiedSecurityEvent,
): Promise<void> {
  const disabled = event.events[RISC_ACCOUNT_DISABLED];
  const enabled = event.events[RISC_ACCOUNT_ENABLED];
  if (!disabled && !enabled) return;
  const identity = await tx
    .selectFrom('cloud_identities')
    .selectAll()
    .where('issuer', '=', event.issuer)
    .where('subject', '=', event.subject.sub)
    .forUpdate()
    .executeTakeFirst();
  // A county account without a cloud account: nothing to follow.
  if (!identity) return;
  const account = await tx
    .selectFrom('cloud_accounts')
    .select(['id', 'state', 'suspended_by', 'password_hash'])
    .where('id', '=', identity.account_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const actor = `county:${identity.county_code}`;
  const audit = (action: string, details: Record<string, unknown>) =>
    recordAudit(tx, {
      actor,
      action,
      target: account.id,
      details: { county: identity.county_code, identity: identity.id, txn: event.txn, ...details },
    });

  if (disabled) {
    const reason = disabled.reason === 'departed' ? 'departed' : 'suspended';
    await tx
      .updateTable('cloud_identities')
      .set({ disabled_at: new Date(event.toe * 1000), disabled_reason: reason })
      .where('id', '=', identity.id)
      .execute();
    await audit('identity.disabled', { reason });
    if (account.state !== 'active') return;
    const usable = await tx
      .selectFrom('cloud_identities')
      .select('id')
      .where('account_id', '=', account.id)
      .where('id', '<>', identity.id)
      .where('disabled_at', 'is', null)
      .executeTakeFirst();
    if (usable) return;
    if (reason === 'departed' || account.password_hash === null) {
      await changeAccountState(ctx, tx, {
        accountId: account.id,
        state: 'suspended',
        actor,
        cause: 'county',
        reason,
        details: { county: identity.county_code, identity: identity.id },
      });
    }
    return;
  }

  await tx
    .updateTable('cloud_identities')
    .set({ disabled_at: null, disabled_reason: null })
    .where('id', '=', identity.id)
    .execute();
  await audit('identity.enabled', {});
  if (account.state === 'suspended' && account.suspended_by === 'county') {
    await changeAccountState(ctx, tx, {
      accountId: account.id,
      state: 'active',
      actor,
      cause: 'county',
      details: { county: identity.county_code, identity: identity.id },
    });
  }
}
