import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { withRole } from '../guards.ts';
import { managePage } from '../manage/common.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { formValue, hasAny, localize } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';
import { closeCampaign, undoCampaignSuspensions } from './close.ts';
import { openCampaign } from './open.ts';
import { campaignListMain, campaignMain, type OpenForm } from './pages.ts';
import { campaignProgress, findCampaign, listCampaigns } from './repository.ts';
import { campaignErrors, TITLE_MAX } from './rules.ts';

/** The county console's audit campaigns (清查): open one, follow the units, close it early or undo it. */
export async function registerCampaignRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);
  const showList = async (request: FastifyRequest, form: OpenForm) =>
    campaignListMain(request, tenant, await listCampaigns(county.db, tenant.code), form);
  const load = async (request: FastifyRequest) => {
    const c = await findCampaign(county.db, tenant.code, (request.params as { id: string }).id);
    if (!c) throw new AppError('not_found', 404);
    return c;
  };

  app.get('/manage/campaigns', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const main = await showList(request, { values: { title: '', deadline: '' }, errors: {} });
    return managePage(request, reply, tenant, request.t('manage.campaigns'), main);
  });

  app.post('/manage/campaigns', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const input = { title: formValue(request.body, 'title'), deadline: formValue(request.body, 'deadline') };
    const { errors, deadline } = campaignErrors(input);
    if (!hasAny(errors) && deadline) {
      const by = { actor: me.username, ip: request.ip };
      const campaign = await openCampaign(county, tenant, { title: input.title, deadline, ...by });
      return reply.redirect(p(`/manage/campaigns/${campaign.id}`), 303);
    }
    const values = { title: input.title.slice(0, TITLE_MAX), deadline: input.deadline.slice(0, 20) };
    const main = await showList(request, { values, errors: localize(request, errors) });
    return managePage(request, reply, tenant, request.t('manage.campaigns'), main, 400);
  });

  app.get('/manage/campaigns/:id', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const c = await load(request);
    const units = await listUnits(county.db, tenant.code, { activeOnly: true });
    const main = campaignMain(request, tenant, c, await campaignProgress(county.db, c, units));
    return managePage(request, reply, tenant, c.title, main);
  });

  app.post('/manage/campaigns/:id/close', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const c = await load(request);
    await closeCampaign(county, tenant.code, c.id, me.username);
    return reply.redirect(p(`/manage/campaigns/${c.id}`), 303);
  });

  app.post('/manage/campaigns/:id/undo', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const c = await load(request);
    await undoCampaignSuspensions(county, tenant, c.id, me.username, request.ip);
    return reply.redirect(p(`/manage/campaigns/${c.id}`), 303);
  });
}
