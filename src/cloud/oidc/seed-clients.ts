import { DEMO_CLIENTS, demoClientSecret } from '../../platform/federation/clients.ts';
import type { OidcProvider } from '../../platform/oidc/index.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import type { CloudTables } from '../schema.ts';

/** The demo's relying parties of the cloud: the workspace activation portal. Idempotent. */
export async function seedCloudClients(ctx: RoleContext<CloudTables>, oidc: OidcProvider): Promise<void> {
  const workspace = DEMO_CLIENTS.workspaceAtCloud;
  await oidc.clients.ensure({
    clientId: workspace.clientId,
    clientSecret: demoClientSecret(ctx.secrets.secret, 'workspace-at-cloud'),
    name: 'G Suite for Education 啟用入口',
    redirectUris: [`${ctx.urls.workspace}${workspace.redirectPath}`],
    postLogoutRedirectUris: [`${ctx.urls.workspace}/`],
    backchannelLogoutUri: `${ctx.urls.workspace}${workspace.backchannelLogoutPath}`,
    scopes: workspace.scope.split(' '),
  });
}
