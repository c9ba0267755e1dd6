import { sql } from 'kysely';
import { type OidcProvider, oidcView, revokeGrant } from '../../platform/oidc/index.ts';

export { revokeGrant };

import type { AuthorizedApplications } from '../services.ts';

/** The applications an account authorized (remembered consents), and their revocation. */
export function authorizedApplications(oidc: OidcProvider): AuthorizedApplications {
  const db = oidcView(oidc.options.db);
  return {
    async list(accountId) {
      const rows = await db
        .selectFrom('oidc_consents')
        .select(['client_id', 'scopes'])
        .where('tenant', '=', oidc.tenant)
        .where('account_id', '=', accountId)
        .orderBy('updated_at', 'desc')
        .execute();
      const apps = [];
      for (const row of rows) {
        const name = await oidc.clients.nameOf(row.client_id);
        apps.push({ clientId: row.client_id, name: name ?? row.client_id, scopes: row.scopes });
      }
      return apps;
    },
    async revoke(accountId, clientId) {
      await oidc.consents.forget(accountId, clientId);
      const grants = await db
        .selectFrom('oidc_payloads')
        .select('id')
        .where('tenant', '=', oidc.tenant)
        .where('model', '=', 'Grant')
        .where(sql<string>`payload->>'accountId'`, '=', accountId)
        .where(sql<string>`payload->>'clientId'`, '=', clientId)
        .execute();
      for (const grant of grants) await revokeGrant(oidc, grant.id);
    },
  };
}
