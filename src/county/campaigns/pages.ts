import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, postButton } from '../views/form.ts';
import { formatTime, tenantPath } from '../views/page.ts';
import type { Campaign, UnitProgress } from './repository.ts';
import { type CampaignInput, TITLE_MAX } from './rules.ts';
import { CAMPAIGN } from './transitions.ts';

/** The console's audit campaigns (清查): the list with the form that opens one, and one campaign. */

export interface OpenForm {
  values: CampaignInput;
  errors: Record<string, string | undefined>;
}

export function campaignListMain(
  request: FastifyRequest,
  tenant: Tenant,
  campaigns: readonly Campaign[],
  form: OpenForm,
): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { values: v, errors } = form;
  return html`<h1>${t('manage.campaigns')}</h1><p>${t('manage.campaigns.intro')}</p>
<table><thead><tr><th scope="col">${t('manage.ann.title')}</th><th scope="col">${t('manage.campaign.deadline')}</th><th scope="col">${t('account.state')}</th><th scope="col">${t('manage.campaign.suspended')}</th></tr></thead>
<tbody>${campaigns.map((c) => html`<tr><td><a href="${p(`/manage/campaigns/${c.id}`)}">${c.title}</a></td><td>${formatTime(c.deadline)}</td><td>${t(`campaign.${c.state}`)}</td><td>${c.state === 'closed' ? c.suspended_count : ''}</td></tr>`)}</tbody></table>
<section class="panel"><h2>${t('manage.campaigns.create')}</h2>${errorSummary(request, errors)}
<form method="post" action="${p('/manage/campaigns')}" novalidate>${csrfField(request)}
${field({ name: 'title', label: t('manage.ann.title'), value: v.title, error: errors.title, required: true, maxlength: TITLE_MAX })}
${field({ name: 'deadline', label: t('manage.campaign.deadline'), type: 'datetime-local', value: v.deadline, error: errors.deadline, required: true })}
<button type="submit">${t('manage.campaigns.open')}</button></form></section>`;
}

/** One campaign: how far each unit is, and closing it early (or undoing its suspensions). */
export function campaignMain(
  request: FastifyRequest,
  tenant: Tenant,
  c: Campaign,
  progress: readonly UnitProgress[],
): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  return html`<h1>${c.title}</h1>
<p>${t('manage.campaign.deadline')}：${formatTime(c.deadline)} · ${t(`campaign.${c.state}`)}${c.state === 'closed' ? html` · ${t('manage.campaign.suspended')}：${c.suspended_count}` : ''}</p>
<table><thead><tr><th scope="col">${t('profile.unit')}</th><th scope="col">${t('manage.campaign.total')}</th><th scope="col">${t('review.campaign.confirmed')}</th><th scope="col">${t('review.campaign.flagged')}</th></tr></thead>
<tbody>${progress.map((r) => html`<tr><td><a href="${p(`/review?unit=${encodeURIComponent(r.unit.code)}`)}">${r.unit.name}</a></td><td>${r.total}</td><td>${r.confirmed}</td><td>${r.flagged}</td></tr>`)}</tbody></table>
${CAMPAIGN.allows(c.state, 'close') ? postButton(request, p(`/manage/campaigns/${c.id}/close`), t('manage.campaign.close'), { className: 'danger' }) : ''}${CAMPAIGN.allows(c.state, 'undo') ? postButton(request, p(`/manage/campaigns/${c.id}/undo`), t('manage.campaign.undo'), { className: 'secondary' }) : ''}`;
}
