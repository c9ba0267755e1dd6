// The activation portal as the recipient of the education cloud's security events: a cloud account
// suspended or reactivated (by a cloud administrator, or because its only county identity
// departed) reaches the portal at once, which has Google follow through the same sync job as
// `POST /admin/api/workspace/lifecycle`.
import type { FastifyInstance } from 'fastify';
import { DEMO_CLIENTS } from '../../platform/federation/clients.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import {
  mountSecurityEventReceiver,
  RISC_ACCOUNT_DISABLED,
  RISC_ACCOUNT_ENABLED,
  SecurityEventReceiver,
} from '../../platform/security-events/index.ts';
import type { WorkspaceTables } from '../schema.ts';
import { setCloudState } from './accounts.ts';

/** Where the cloud pushes its account events. */
export const CLOUD_EVENTS_PATH = '/secevent/cloud';

/**
 * Trusts one transmitter, the education cloud (the issuer the portal signs in with), and only SETs
 * addressed to the portal's client id there. `account-disabled` → the cloud state becomes
 * `suspended` (Google user suspended), `account-enabled` → `active`; other events are ignored.
 */
export async function mountCloudEvents(
  app: FastifyInstance,
  ctx: RoleContext<WorkspaceTables>,
): Promise<void> {
  const issuer = ctx.urls.cloud.replace(/\/+$/, '');
  const audience = ctx.config.workspaceClientId ?? DEMO_CLIENTS.workspaceAtCloud.clientId;
  const receiver = new SecurityEventReceiver({
    db: ctx.db,
    log: ctx.log.child({ receiver: 'cloud-events' }),
    transmitter: async (iss) =>
      iss.replace(/\/+$/, '') === issuer
        ? { issuer, audience, jwksUri: `${issuer}/oidc/v1/jwksets` }
        : undefined,
    async handle(tx, event) {
      const disabled = event.events[RISC_ACCOUNT_DISABLED];
      if (!disabled && !event.events[RISC_ACCOUNT_ENABLED]) return;
      const reason = disabled
        ? `account-disabled (${String(disabled.reason ?? 'unspecified')})`
        : 'account-enabled';
      await setCloudState(
        tx,
        event.subject.sub,
        disabled ? 'suspended' : 'active',
        'education-cloud',
        reason,
      );
    },
  });
  await mountSecurityEventReceiver(app, CLOUD_EVENTS_PATH, receiver);
}
