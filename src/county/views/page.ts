import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../../platform/http/role-app.ts';
import { ZONE_LABEL } from '../../platform/i18n/time.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { page } from '../../platform/views/layout.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField } from './form.ts';

const TIME = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Taipei',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
});

/** `2013-11-29 15:55:28` in Taiwan time, as the portal has always shown dates. */
export function formatTime(date: Date | null | undefined): string {
  return date ? TIME.format(date) : '';
}

/** A time in a mail (read anywhere, in both languages): Taiwan time with its zone. */
export function formatMailTime(date: Date | null | undefined): string {
  return date ? `${formatTime(date)} (${ZONE_LABEL})` : '';
}

export function formatDate(date: Date | null | undefined): string {
  return formatTime(date).slice(0, 10);
}

/** A time as the portal shows it (`formatTime`). */
const SHOWS_TIME = /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/;

export const tenantPath = (tenant: Pick<Tenant, 'code'>, path = '') => `/${tenant.code}${path}`;

/** A county portal page headed by its title: the catalogue's `titleKey` names the page and its `<h1>`. */
export function headedPage(
  request: FastifyRequest,
  tenant: Tenant,
  titleKey: string,
  body: SafeHtml,
): SafeHtml {
  const title = request.t(titleKey);
  return countyPage(request, tenant, { title, main: html`<h1>${title}</h1>${body}` });
}

/** Answers with a headed page (`headedPage`). */
export function sendHeadedPage(
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  titleKey: string,
  body: SafeHtml,
  status = 200,
): FastifyReply {
  return sendPage(reply, headedPage(request, tenant, titleKey, body), status);
}

/** A county portal page: the shared layout with the portal's name and the sign-in state in the header. */
export function countyPage(
  request: FastifyRequest,
  tenant: Tenant,
  options: { title: string; main: SafeHtml; tail?: SafeHtml },
): SafeHtml {
  const t = request.t;
  const account = request.countyAccount;
  const p = (path: string) => tenantPath(tenant, path);
  const nav = account
    ? html`<a href="${p('/account')}">${t('nav.account', { username: account.username })}</a>
${account.role === 'reviewer' || account.role === 'county_admin' ? html`<a href="${p('/review')}">${t('nav.review')}</a>` : ''}
${account.role === 'county_admin' ? html`<a href="${p('/manage')}">${t('nav.manage')}</a>` : ''}
<form method="post" action="${p('/logout')}" class="inline">${csrfField(request)}<button type="submit" class="secondary">${t('nav.logout')}</button></form>`
    : html`<a href="${p('/register')}">${t('nav.register')}</a> <a href="${p('/forgot')}">${t('nav.forgot')}</a> <a href="${p('/login')}">${t('nav.login')}</a>`;
  return page(request, {
    title: options.title,
    brand: { name: tenant.portal_name, href: p('') },
    nav,
    // The portal's times are Taiwan time: a page in another language says so (its reader may be elsewhere).
    main:
      request.locale !== 'zh-TW' && SHOWS_TIME.test(options.main.value)
        ? html`${options.main}<p class="meta" id="time-zone-note">${t('page.times_in_taiwan')}</p>`
        : options.main,
    ...(options.tail ? { tail: options.tail } : {}),
  });
}
