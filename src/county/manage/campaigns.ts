import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { html } from '../../platform/views/html.ts';
import {
  campaignStaff,
  closeCampaign,
  findCampaign,
  listCampaigns,
  openCampaign,
  undoCampaignSuspensions,
} from '../campaigns/campaigns.ts';
import { withRole } from '../guards.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, formValue, hasAny, postButton } from '../views/form.ts';
import { formatTime, tenantPath } from '../views/page.ts';
import { managePage } from './common.ts';
import { parseLocalTime } from './content-rules.ts';

export async function registerCampaignRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  const listPage = async (
    request: FastifyRequest,
    v: { title: string; deadline: string },
    errors: Record<string, string | undefined>,
  ) => {
    const t = request.t;
    const campaigns = await listCampaigns(county.db, tenant.code);
    return html`<h1>${t('manage.campaigns')}</h1><p>${t('manage.campaigns.intro')}</p>
<table><thead><tr><th scope="col">${t('manage.ann.title')}</th><th scope="col">${t('manage.campaign.deadline')}</th><th scope="col">${t('account.status')}</th><th scope="col">${t('manage.campaign.suspended')}</th></tr></thead>
<tbody>${campaigns.map((c) => html`<tr><td><a href="${p(`/manage/campaigns/${c.id}`)}">${c.title}</a></td><td>${formatTime(c.deadline)}</td><td>${t(`campaign.${c.state}`)}</td><td>${c.state === 'closed' ? c.suspended_count : ''}</td></tr>`)}</tbody></table>
<section class="panel"><h2>${t('manage.campaigns.create')}</h2>${errorSummary(request, errors)}
<form method="post" action="${p('/manage/campaigns')}" novalidate>${csrfField(request)}
${field({ name: 'title', label: t('manage.ann.title'), value: v.title, error: errors.title, required: true, maxlength: 200 })}
${field({ name: 'deadline', label: t('manage.campaign.deadline'), type: 'datetime-local', value: v.deadline, error: errors.deadline, required: true })}
<button type="submit">${t('manage.campaigns.open')}</button></form></section>`;
  };

  app.get('/manage/campaigns', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    return managePage(
      request,
      reply,
      tenant,
      request.t('manage.campaigns'),
      await listPage(request, { title: '', deadline: '' }, {}),
    );
  });

  app.post('/manage/campaigns', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const t = request.t;
    const title = formValue(request.body, 'title');
    const deadlineText = formValue(request.body, 'deadline');
    const deadline = parseLocalTime(deadlineText);
    const errors: Record<string, string | undefined> = {};
    if (title === '') errors.title = t('register.error.required');
    else if ([...title].length > 200 || /[<>]/.test(title))
      errors.title = t('manage.error.text', { max: 200 });
    if (!deadline) errors.deadline = t('manage.error.datetime');
    else if (deadline.getTime() <= Date.now()) errors.deadline = t('error.county.deadline_past');
    if (hasAny(errors) || !deadline) {
      return managePage(
        request,
        reply,
        tenant,
        t('manage.campaigns'),
        await listPage(request, { title: title.slice(0, 200), deadline: deadlineText.slice(0, 20) }, errors),
        400,
      );
    }
    const campaign = await openCampaign(county, tenant, {
      title,
      deadline,
      actor: me.username,
      ip: request.ip,
    });
    return reply.redirect(p(`/manage/campaigns/${campaign.id}`), 303);
  });

  const load = async (id: string) => {
    const c = await findCampaign(county.db, tenant.code, id);
    if (!c) throw new AppError('not_found', 404);
    return c;
  };

  app.get('/manage/campaigns/:id', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const t = request.t;
    const c = await load((request.params as { id: string }).id);
    const units = await listUnits(county.db, tenant.code, { activeOnly: true });
    const progress = await Promise.all(
      units.map(async (u) => {
        const staff = await campaignStaff(county.db, c, u.code);
        return {
          unit: u,
          total: staff.length,
          confirmed: staff.filter((s) => s.decision === 'confirmed').length,
          flagged: staff.filter((s) => s.decision === 'flagged').length,
        };
      }),
    );
    return managePage(
      request,
      reply,
      tenant,
      c.title,
      html`<h1>${c.title}</h1>
<p>${t('manage.campaign.deadline')}：${formatTime(c.deadline)} · ${t(`campaign.${c.state}`)}${c.state === 'closed' ? html` · ${t('manage.campaign.suspended')}：${c.suspended_count}` : ''}</p>
<table><thead><tr><th scope="col">${t('profile.unit')}</th><th scope="col">${t('manage.campaign.total')}</th><th scope="col">${t('review.campaign.confirmed')}</th><th scope="col">${t('review.campaign.flagged')}</th></tr></thead>
<tbody>${progress.map((r) => html`<tr><td><a href="${p(`/review?unit=${encodeURIComponent(r.unit.code)}`)}">${r.unit.name}</a></td><td>${r.total}</td><td>${r.confirmed}</td><td>${r.flagged}</td></tr>`)}</tbody></table>
${c.state === 'open' ? postButton(request, p(`/manage/campaigns/${c.id}/close`), t('manage.campaign.close'), { className: 'danger' }) : postButton(request, p(`/manage/campaigns/${c.id}/undo`), t('manage.campaign.undo'), { className: 'secondary' })}`,
    );
  });

  app.post('/manage/campaigns/:id/close', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const c = await load((request.params as { id: string }).id);
    await closeCampaign(county, tenant.code, c.id, me.username);
    return reply.redirect(p(`/manage/campaigns/${c.id}`), 303);
  });

  app.post('/manage/campaigns/:id/undo', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const c = await load((request.params as { id: string }).id);
    await undoCampaignSuspensions(county, tenant, c.id, me.username, request.ip);
    return reply.redirect(p(`/manage/campaigns/${c.id}`), 303);
  });
}
