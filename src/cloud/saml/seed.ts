import type { RoleContext } from '../../platform/runtime/role.ts';
import { ServiceProviders } from './registry.ts';
import type { SamlTables } from './schema.ts';

/** Demo: the Google stand-in's SSO profile for the workspace domain (Google's legacy profile). */
export async function seedSamlDemo(ctx: RoleContext<SamlTables>): Promise<void> {
  const domain = ctx.config.workspaceDomain;
  const providers = new ServiceProviders(ctx.db);
  if (await providers.byEntityId(`google.com/a/${domain}`)) return;
  await providers.register({
    entityId: `google.com/a/${domain}`,
    name: `Google Workspace (${domain})`,
    acsUrls: [`${ctx.urls.google}/a/${domain}/acs`],
    nameIdDomain: domain,
  });
}
