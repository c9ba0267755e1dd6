import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../../platform/http/role-app.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { countyPage, tenantPath } from '../views/page.ts';

/** A page of the county administration console, with its section navigation. */
export function managePage(
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  title: string,
  main: SafeHtml,
  status = 200,
) {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const sections: Array<[string, string]> = [
    ['/manage', 'manage.title'],
    ['/manage/units', 'manage.units'],
    ['/manage/reviewers', 'manage.reviewers'],
    ['/manage/accounts', 'manage.accounts'],
    ['/manage/announcements', 'manage.announcements'],
    ['/manage/pages', 'manage.pages'],
    ['/manage/campaigns', 'manage.campaigns'],
    ['/manage/audit', 'manage.audit'],
    ['/manage/radius', 'radius.console.title'],
    ['/review', 'nav.review'],
  ];
  const path = request.url.split('?')[0] ?? '';
  return sendPage(
    reply,
    countyPage(request, tenant, {
      title,
      main: html`<nav aria-label="${t('manage.title')}" class="manage-nav"><ul class="inline-list">${sections.map(
        ([href, key]) =>
          html`<li><a href="${p(href)}"${path === p(href) ? html` aria-current="page"` : ''}>${t(key)}</a></li>`,
      )}</ul></nav>${main}`,
    }),
    status,
  );
}
