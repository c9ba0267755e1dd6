import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { Account } from '../accounts/repository.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, postButton } from '../views/form.ts';
import { countyPage, headedPage, tenantPath } from '../views/page.ts';

/** The review console's pages about a staff member's national ID (a typed number, a correction). */

export interface NationalIdView {
  account: Account;
  /** The unit the console shows (kept across the form), and the way back to it. */
  unit: string;
  back: string;
}

/** The typed number could not be recorded: why, and declining it. */
export function unrecordedPage(
  request: FastifyRequest,
  tenant: Tenant,
  view: NationalIdView,
  errors: Record<string, string | undefined>,
): SafeHtml {
  const t = request.t;
  const { account, unit } = view;
  const decline = tenantPath(tenant, `/review/accounts/${account.id}/national-id/decline`);
  return countyPage(request, tenant, {
    title: t('review.national_ids'),
    main: html`<h1>${t('review.national_ids')}：${account.username}</h1>
${errorSummary(request, errors)}
${postButton(request, decline, t('review.national_ids.decline'), { className: 'danger', hidden: { unit } })}
<p><a href="${view.back}">${t('review.title')}</a></p>`,
  });
}

/** Correcting the national ID: the number recorded (masked), and the new one. */
export function correctionPage(
  request: FastifyRequest,
  tenant: Tenant,
  view: NationalIdView & { masked: string | null },
  errors: Record<string, string | undefined>,
): SafeHtml {
  const t = request.t;
  const { account } = view;
  return countyPage(request, tenant, {
    title: t('review.national_id.correct'),
    main: html`<h1>${t('review.national_id.title', { username: account.username })}</h1>${errorSummary(request, errors)}
<p>${account.real_name ?? ''}</p>
<p>${t('review.national_id.intro')}</p>
<p>${t('review.national_id.current')}：${view.masked ?? t('review.national_id.none')}</p>
<form method="post" action="${tenantPath(tenant, `/review/accounts/${account.id}/national-id`)}" novalidate autocomplete="off">${csrfField(request)}
<input type="hidden" name="unit" value="${view.unit}">
${field({ name: 'national_id', label: t('review.national_id.new'), error: errors.national_id, required: true, maxlength: 10, hint: t('profile.national_id.hint') })}
<button type="submit">${t('review.national_id.submit')}</button></form>
<p><a href="${view.back}">${t('review.title')}</a></p>`,
  });
}

/** The correction is recorded. */
export function correctedPage(
  request: FastifyRequest,
  tenant: Tenant,
  view: NationalIdView & { masked: string },
): SafeHtml {
  const t = request.t;
  return headedPage(
    request,
    tenant,
    'review.national_id.correct',
    html`
<div class="success" role="status"><p>${t('review.national_id.done', { username: view.account.username, masked: view.masked })}</p></div>
<p><a href="${view.back}">${t('review.title')}</a></p>`,
  );
}
