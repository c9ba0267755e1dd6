import type { FastifyInstance } from 'fastify';
import { html } from '../../platform/views/html.ts';
import { countAccountsByState } from '../accounts/repository.ts';
import { registerCampaignRoutes } from '../campaigns/routes.ts';
import { withRole } from '../guards.ts';
import { ACCOUNT_STATES } from '../schema.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { tenantPath } from '../views/page.ts';
import { registerAccountAdminRoutes } from './accounts.ts';
import { registerAnnouncementRoutes } from './announcements.ts';
import { registerAuditRoutes } from './audit.ts';
import { managePage } from './common.ts';
import { registerHelpPageRoutes } from './help-pages.ts';
import { registerReviewerRoutes } from './reviewers.ts';
import { registerUnitRoutes } from './units.ts';

/** The console's screens, each with its routes: units, reviewers, accounts, content, campaigns, audit log. */
const CONSOLE_SCREENS = [
  registerUnitRoutes,
  registerReviewerRoutes,
  registerAccountAdminRoutes,
  registerAnnouncementRoutes,
  registerHelpPageRoutes,
  registerCampaignRoutes,
  registerAuditRoutes,
];

/** The county administration console (縣網中心): `/{tenant}/manage…`, county administrators only. */
export async function registerManageRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);
  app.get('/manage', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const t = request.t;
    const n = await countAccountsByState(county.db, tenant.code);
    return managePage(
      request,
      reply,
      tenant,
      t('manage.title'),
      html`<h1>${t('manage.title')}</h1>
<table><thead><tr><th scope="col">${t('account.state')}</th><th scope="col">${t('manage.count')}</th></tr></thead>
<tbody>${ACCOUNT_STATES.map((s) => html`<tr><td><a href="${p(`/manage/accounts?status=${s}`)}">${t(`state.${s}`)}</a></td><td>${n.get(s) ?? 0}</td></tr>`)}</tbody></table>`,
    );
  });
  for (const register of CONSOLE_SCREENS) await register(app, county, tenant);
}
