import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { ProfileGap } from '../accounts/profile.ts';
import type { Account } from '../accounts/repository.ts';
import type { Tenant, Unit } from '../tenants/tenants.ts';
import type { TransferRequest } from '../transfer/repository.ts';
import { postButton } from '../views/form.ts';
import { countyPage, formatTime, tenantPath } from '../views/page.ts';

/** A path with the pending authorization (`next`) carried along. */
export const withNext = (path: string, next: string | undefined) =>
  next ? `${path}${path.includes('?') ? '&' : '?'}next=${encodeURIComponent(next)}` : path;

export const nextHidden = (next: string | undefined): Record<string, string> => (next ? { next } : {});

export interface ProfileCheckView {
  me: Account;
  missing: readonly ProfileGap[];
  complete: boolean;
  unit: Unit | undefined;
  transfer: TransferRequest | undefined;
  transferUnit: Unit | undefined;
  masked: string | null;
  submitted: string | null;
  /** The authorization the check interrupted, continued once the profile is complete. */
  next: string | undefined;
}

// 「OpenID認證資料檢核」: what is still missing, each with the way to fix it.
export function profileCheckPage(request: FastifyRequest, tenant: Tenant, view: ProfileCheckView): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { me, missing, complete, unit, transfer, transferUnit, masked, submitted, next } = view;
  const item = (ok: boolean, body: SafeHtml) =>
    html`<li class="${ok ? 'ok-item' : 'todo-item'}"><span aria-hidden="true">${ok ? '✔' : '?'}</span> ${body}</li>`;
  return countyPage(request, tenant, {
    title: t('profile.check.title'),
    main: html`<h1>${tenant.name}${t('profile.check.heading')}</h1>
${complete ? html`<div class="success" role="status"><p>${t('profile.check.complete')}</p>${next ? html`<p><a class="button" href="${next}">${t('profile.check.continue')}</a></p>` : ''}</div>` : next ? html`<div class="notice"><p>${t('profile.check.pending_login')}</p></div>` : ''}
<ul class="checklist">
${item(
  !missing.includes('real_name'),
  missing.includes('real_name')
    ? html`${t('profile.check.no_name')}<br>${t('profile.check.goto')} <a href="${withNext(p('/profile/name'), next)}">${t('profile.check.edit_name')}</a>`
    : html`${t('profile.real_name')}：${me.real_name} <a href="${withNext(p('/profile/name'), next)}">${t('profile.check.edit_name')}</a>`,
)}
${item(
  !missing.includes('national_id'),
  missing.includes('national_id')
    ? submitted
      ? html`${t('profile.check.national_id_submitted', { masked: submitted })}`
      : html`${t('profile.check.no_national_id')}<br>${t('profile.check.goto')} <a href="${withNext(p('/profile/national-id'), next)}">${t('profile.check.set_national_id')}</a>`
    : html`${t('profile.national_id')}：${masked ?? ''}`,
)}
${item(
  !missing.includes('unit'),
  transfer
    ? html`${t('profile.check.transfer_pending', { unit: transferUnit?.name ?? transfer.to_unit, at: formatTime(transfer.created_at) })}
${postButton(request, p('/profile/unit/cancel'), t('profile.unit.cancel'), { className: 'secondary', hidden: nextHidden(next) })}`
    : missing.includes('unit')
      ? html`${t('profile.check.unit_checking')}<br>${t('profile.check.unit_question', { unit: unit?.name ?? '' })}
${postButton(request, p('/profile/unit/confirm'), t('profile.unit.confirm'), { hidden: nextHidden(next) })} <a class="button secondary" href="${withNext(p('/profile/unit/change'), next)}">${t('profile.unit.change')}</a>`
      : html`${t('profile.unit')}：${unit?.name ?? ''} <a href="${withNext(p('/profile/unit/change'), next)}">${t('profile.unit.change')}</a>`,
)}
</ul>
<p class="meta">${t('profile.check.remember')}</p>
<p><a href="${p('/account')}">${t('home.my_account')}</a></p>`,
  });
}
