import type { FastifyInstance } from 'fastify';
import { sendPage } from '../../platform/http/role-app.ts';
import { html } from '../../platform/views/html.ts';
import { loginFormState } from '../login/handler.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { countyPage, tenantPath } from '../views/page.ts';
import { homePage } from './home-page.ts';
import { CONTENT_LANG, renderMarkdown } from './markdown.ts';
import { cachedContent, getPage, isPageSlug, listAnnouncements } from './pages.ts';

const SERVICE_CATEGORY = '服務說明';

export async function registerPublicRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  app.get('/', async (request, reply) => {
    const [all, servicePage] = await Promise.all([
      cachedContent(`${tenant.code}:announcements`, () => listAnnouncements(county.db, tenant.code, 20)),
      cachedContent(`${tenant.code}:page:service`, () => getPage(county.db, tenant, 'service')),
    ]);
    // 「服務說明」 entries form the service section; the built-in page stands in until there is one.
    const announcements = all.filter((a) => a.category !== SERVICE_CATEGORY).slice(0, 10);
    const service = all.filter((a) => a.category === SERVICE_CATEGORY);
    const loginState = request.countyAccount ? undefined : await loginFormState(county, tenant.code, request);
    const view = { announcements, service, servicePage, cloudUrl: county.ctx.urls.cloud, loginState };
    return sendPage(reply, homePage(request, tenant, view));
  });

  // 帳號申請表下載: a printable application form (print it or save it as PDF from the browser).
  app.get('/help/form', async (request, reply) => {
    const t = request.t;
    const units = await listUnits(county.db, tenant.code, { activeOnly: true });
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: t('form.print.title'),
        main: html`<article class="printable">
<h1>${tenant.portal_name} ${t('form.print.title')}</h1>
<p class="hint">${t('form.print.hint')}</p>
<table class="form-table">
<tr><th scope="row">${t('form.print.name')}</th><td class="blank"></td></tr>
<tr><th scope="row">${t('form.print.unit')}</th><td class="blank"></td></tr>
<tr><th scope="row">${t('form.print.title_job')}</th><td class="blank"></td></tr>
<tr><th scope="row">${t('register.username')}</th><td class="blank"></td></tr>
<tr><th scope="row">${t('register.email')}</th><td class="blank"></td></tr>
<tr><th scope="row">${t('form.print.phone')}</th><td class="blank"></td></tr>
<tr><th scope="row">${t('form.print.date')}</th><td class="blank"></td></tr>
</table>
<p>${t('form.print.declaration')}</p>
<table class="form-table"><tr><th scope="row">${t('form.print.signature')}</th><td class="blank"></td><th scope="row">${t('form.print.unit_stamp')}</th><td class="blank"></td></tr></table>
<h2>${t('form.print.units')}</h2>
<table><thead><tr><th scope="col">${t('unit.code')}</th><th scope="col">${t('unit.name')}</th><th scope="col">${t('unit.mailbox')}</th></tr></thead>
<tbody>${units.map((u) => html`<tr><td>${u.code}</td><td>${u.name}</td><td>${u.mailbox}</td></tr>`)}</tbody></table>
</article>`,
      }),
    );
  });

  app.get('/help/:slug', async (request, reply) => {
    const { slug } = request.params as { slug: string };
    if (!isPageSlug(slug) || slug === 'terms') return reply.callNotFound();
    const helpPage = await getPage(county.db, tenant, slug);
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: helpPage.title,
        main: html`<div lang="${CONTENT_LANG}"><h1>${helpPage.title}</h1>${renderMarkdown(helpPage.body_markdown)}</div>
<p><a href="${p('')}">${request.t('layout.home')}</a></p>`,
      }),
    );
  });
}
