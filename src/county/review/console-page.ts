import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { Tenant, Unit } from '../tenants/tenants.ts';
import { auditActionLabel, auditActorLabel } from '../views/audit-labels.ts';
import { csrfField, postButton } from '../views/form.ts';
import { countyPage, formatTime, headedPage, tenantPath } from '../views/page.ts';
import { REASON_MAX } from './decision-link.ts';
import type { UnitWork } from './unit-work.ts';

/** The review console's pages (reviewers: their unit; county administrators: any unit). */

export function unitPicker(
  request: FastifyRequest,
  tenant: Tenant,
  units: readonly Unit[],
  unit: Unit | undefined,
) {
  const t = request.t;
  return html`<form method="get" action="${tenantPath(tenant, '/review')}"><div class="field"><label for="f-unit">${t('review.pick_unit')}</label>
<select id="f-unit" name="unit">${units.map((u) => html`<option value="${u.code}"${u.code === unit?.code ? html` selected` : ''}>${u.name}（${u.code}）</option>`)}</select></div>
<button type="submit" class="secondary">${t('review.pick_unit.go')}</button></form>`;
}

/** An administrator's console before a unit is picked. */
export function unitPickerPage(
  request: FastifyRequest,
  tenant: Tenant,
  picker: SafeHtml | undefined,
): SafeHtml {
  const _t = request.t;
  return headedPage(request, tenant, 'review.title', html`${picker ?? ''}`);
}

interface ConsoleView extends UnitWork {
  unit: Unit;
  picker: SafeHtml | undefined;
  /** The application or transfer whose reject came back without its reason. */
  missingReason: string;
}

export function reviewConsolePage(request: FastifyRequest, tenant: Tenant, view: ConsoleView): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { unit, pending, numbers, transfers, staff, campaigns, trail } = view;
  const back = encodeURIComponent(unit.code);
  const reasonField = (id: string) =>
    id === view.missingReason
      ? html`<label for="reason-${id}">${t('review.reason')}</label><input id="reason-${id}" name="reason" type="text" maxlength="${REASON_MAX}" required aria-invalid="true" aria-describedby="reason-${id}-error" autofocus>
<span class="error" id="reason-${id}-error" role="alert">${t('error.county.reason_required')}</span>`
      : html`<label for="reason-${id}">${t('review.reason')}</label><input id="reason-${id}" name="reason" type="text" maxlength="${REASON_MAX}" required>`;
  const decisionForms = (path: string, id: string) =>
    html`${postButton(request, p(path), t('review.approve'), { hidden: { decision: 'approve', unit: unit.code } })}
<form method="post" action="${p(path)}" class="inline">${csrfField(request)}<input type="hidden" name="decision" value="reject"><input type="hidden" name="unit" value="${unit.code}">
${reasonField(id)}
<button type="submit" class="danger">${t('review.reject')}</button></form>`;
  const campaignSections = campaigns.map(
    ({
      campaign: c,
      rows,
    }) => html`<section aria-labelledby="camp-${c.id}"><h3 id="camp-${c.id}">${c.title}（${t('review.campaign.deadline', { deadline: formatTime(c.deadline) })}）</h3>
<table><thead><tr><th scope="col">${t('register.username')}</th><th scope="col">${t('profile.real_name')}</th><th scope="col">${t('review.campaign.state')}</th><th scope="col">${t('review.actions')}</th></tr></thead><tbody>
${rows.map(
  (
    r,
  ) => html`<tr><td>${r.username}</td><td>${r.real_name ?? ''}</td><td>${r.decision ? t(`review.campaign.${r.decision}`) : t('review.campaign.open')}</td>
<td>${postButton(request, p(`/review/campaigns/${c.id}/accounts/${r.id}`), t('review.campaign.confirm'), { hidden: { decision: 'confirmed', unit: unit.code } })}
${postButton(request, p(`/review/campaigns/${c.id}/accounts/${r.id}`), t('review.campaign.flag'), { className: 'secondary', hidden: { decision: 'flagged', unit: unit.code } })}</td></tr>`,
)}</tbody></table></section>`,
  );
  return countyPage(request, tenant, {
    title: t('review.title'),
    main: html`<h1>${t('review.title')}：${unit.name}</h1>${view.picker ?? ''}
<section aria-labelledby="pending-h"><h2 id="pending-h">${t('review.pending')}</h2>
${pending.length === 0 ? html`<p>${t('review.pending.none')}</p>` : ''}
${pending.map(
  (
    a,
  ) => html`<div class="panel"><p><strong>${a.username}</strong> · ${a.email} · ${t('review.applied')} ${formatTime(a.review_requested_at)}</p>
${decisionForms(`/review/applications/${a.id}`, a.id)}</div>`,
)}</section>
<section aria-labelledby="nid-h"><h2 id="nid-h">${t('review.national_ids')}</h2>
${numbers.length === 0 ? html`<p>${t('review.national_ids.none')}</p>` : html`<p>${t('review.national_ids.intro')}</p>`}
${numbers.map(
  ({
    account: a,
    masked,
  }) => html`<div class="panel"><p><strong>${a.username}</strong> ${a.real_name ?? ''} · ${masked ?? ''} · ${formatTime(a.national_id_submitted_at)}</p>
${postButton(request, p(`/review/accounts/${a.id}/national-id/confirm`), t('review.national_ids.confirm'), { hidden: { unit: unit.code } })}
${postButton(request, p(`/review/accounts/${a.id}/national-id/decline`), t('review.national_ids.decline'), { className: 'danger', hidden: { unit: unit.code } })}</div>`,
)}</section>
<section aria-labelledby="transfer-h"><h2 id="transfer-h">${t('review.transfers')}</h2>
${transfers.length === 0 ? html`<p>${t('review.transfers.none')}</p>` : ''}
${transfers.map(
  (
    r,
  ) => html`<div class="panel"><p><strong>${r.username}</strong> ${r.real_name ?? ''} · ${t('review.transfers.from', { from: r.from_unit ?? '-' })} · ${formatTime(r.created_at)}</p>
${decisionForms(`/review/transfers/${r.id}`, r.id)}</div>`,
)}</section>
<section aria-labelledby="camp-h"><h2 id="camp-h">${t('review.campaigns')}</h2>
${campaigns.length === 0 ? html`<p>${t('review.campaigns.none')}</p>` : campaignSections}</section>
<section aria-labelledby="staff-h"><h2 id="staff-h">${t('review.staff')}</h2>
<table><thead><tr><th scope="col">${t('register.username')}</th><th scope="col">${t('profile.real_name')}</th><th scope="col">${t('account.state')}</th><th scope="col">${t('review.unit_confirmed')}</th><th scope="col">${t('review.actions')}</th></tr></thead><tbody>
${staff.map(
  (
    a,
  ) => html`<tr><td>${a.username}</td><td>${a.real_name ?? ''}</td><td>${t(`state.${a.state}`)}</td><td>${formatTime(a.unit_confirmed_at)}</td>
<td><a href="${p(`/review/accounts/${a.id}/national-id?unit=${back}`)}">${t('review.national_id.correct')}</a></td></tr>`,
)}
</tbody></table></section>
<section aria-labelledby="trail-h"><h2 id="trail-h">${t('review.trail')}</h2>
<table><thead><tr><th scope="col">${t('audit.at')}</th><th scope="col">${t('audit.actor')}</th><th scope="col">${t('audit.action')}</th></tr></thead><tbody>
${trail.map((e) => html`<tr><td>${formatTime(e.at)}</td><td>${auditActorLabel(t, e.actor)}</td><td>${auditActionLabel(t, e.action)}</td></tr>`)}
</tbody></table></section>
<p class="meta"><a href="${p(`/review?unit=${back}`)}">${t('review.refresh')}</a></p>`,
  });
}
