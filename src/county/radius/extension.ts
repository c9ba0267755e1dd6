import { adminApi } from '../../platform/http/admin-api.ts';
import type { CountyExtension } from '../app.ts';
import { registerRadiusAdminRoutes } from './admin-routes.ts';
import { registerRadiusApi } from './api.ts';
import { schedulePurge } from './jobs.ts';
import { radiusMessages } from './messages.ts';
import { radiusMigrations } from './migrations.ts';
import { registerRadiusPages } from './pages.ts';

/**
 * Wi-Fi roaming and VPN with the county account: the API FreeRADIUS asks (api.ts), the CLI's
 * routes (admin-routes.ts), the teacher's and the administrator's pages (pages.ts).
 */
export function countyRadiusExtension(): CountyExtension & { migrations: typeof radiusMigrations } {
  return {
    name: 'county-radius',
    migrations: radiusMigrations,
    catalogues: [radiusMessages],
    async registerTenant(tenantApp, tenant, county) {
      await registerRadiusPages(tenantApp, county, tenant);
    },
    async registerRoot(app, county) {
      await registerRadiusApi(app, county);
      await adminApi(app, county.ctx.secrets.adminToken, (api) => registerRadiusAdminRoutes(api, county));
      const stop = schedulePurge(county);
      app.addHook('onClose', async () => stop());
    },
  };
}
