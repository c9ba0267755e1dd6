import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendPage } from '../../platform/http/role-app.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { loginForm } from '../login/form.ts';
import { loginFormState } from '../login/handler.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from '../tenants/tenants.ts';
import { countyPage, formatTime, tenantPath } from '../views/page.ts';
import { CONTENT_LANG, renderMarkdown } from './markdown.ts';
import { cachedContent, getPage, isPageSlug, listAnnouncements } from './pages.ts';

const SERVICE_CATEGORY = '服務說明';

/** The account help links of the home page's side column (帳號申請與管理). */
function helpLinks(request: FastifyRequest, tenant: Tenant): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  return html`<nav aria-labelledby="help-heading"><h2 id="help-heading">${t('home.help')}</h2><ul>
<li><a href="${p('/register')}">${t('home.help.apply')}</a></li>
<li><a href="${p('/help/notice')}">${t('home.help.notice')}</a></li>
<li><a href="${p('/help/policy')}">${t('home.help.policy')}</a></li>
<li><a href="${p('/help/process')}">${t('home.help.process')}</a></li>
<li><a href="${p('/help/form')}">${t('home.help.form')}</a></li>
<li><a href="${p('/forgot')}">${t('home.help.forgot')}</a></li>
</ul></nav>`;
}

export async function registerPublicRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  app.get('/', async (request, reply) => {
    const t = request.t;
    const [all, servicePage] = await Promise.all([
      cachedContent(`${tenant.code}:announcements`, () => listAnnouncements(county.db, tenant.code, 20)),
      cachedContent(`${tenant.code}:page:service`, () => getPage(county.db, tenant, 'service')),
    ]);
    // 「服務說明」 entries form the service section; the built-in page stands in until there is one.
    const announcements = all.filter((a) => a.category !== SERVICE_CATEGORY).slice(0, 10);
    const service = all.filter((a) => a.category === SERVICE_CATEGORY);
    const account = request.countyAccount;
    const side = account
      ? html`<section class="panel" aria-labelledby="me-heading"><h2 id="me-heading">${t('home.welcome', { name: account.real_name ?? account.username })}</h2>
<ul><li><a href="${p('/account')}">${t('home.my_account')}</a></li><li><a href="${p('/profile/check')}">${t('profile.check.title')}</a></li></ul></section>`
      : html`<section class="panel">${loginForm(request, {
          action: p('/login'),
          ...(await loginFormState(county, tenant.code, request)),
        })}
<p><a href="${p('/register')}">${t('nav.register')}</a> · <a href="${p('/forgot')}">${t('nav.forgot')}</a></p></section>`;
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: t('home.title'),
        main: html`<h1>${tenant.portal_name} ${t('home.title')}</h1>
<div class="grid">
<div>
${side}
<section class="panel" aria-labelledby="vpn-heading"><h2 id="vpn-heading">${t('home.vpn')}</h2>
<ul><li><a href="${p('/vpn')}">${t('home.vpn')}</a></li><li><a href="${p('/help/vpn')}">${t('home.vpn.howto')}</a></li></ul></section>
<section class="panel" aria-labelledby="res-heading"><h2 id="res-heading">${t('home.resources')}</h2>
<ul><li><a href="${county.ctx.urls.cloud}">${t('home.resources.cloud')}</a></li></ul></section>
<section class="panel">${helpLinks(request, tenant)}</section>
</div>
<div>
<div class="notice"><p><strong>${t('home.warning.label')}</strong> ${t('home.warning')}</p></div>
<section aria-labelledby="news-heading"><h2 id="news-heading">${t('home.announcements')}</h2>
${announcements.length === 0 ? html`<p>${t('home.announcements.none')}</p>` : ''}
${announcements.map(
  (a) => html`<article class="announcement" lang="${CONTENT_LANG}"><h3>${a.title}</h3>
<p class="meta">${a.author} - ${a.category} | <time datetime="${a.published_at.toISOString()}">${formatTime(a.published_at)}</time></p>
${renderMarkdown(a.body_markdown)}</article>`,
)}</section>
<section aria-labelledby="service-heading"><h2 id="service-heading">${t('home.service')}</h2>
${
  service.length > 0
    ? service.map(
        (a) => html`<article class="announcement" lang="${CONTENT_LANG}"><h3>${a.title}</h3>
<p class="meta">${a.author} - ${a.category} | <time datetime="${a.published_at.toISOString()}">${formatTime(a.published_at)}</time></p>
${renderMarkdown(a.body_markdown)}</article>`,
      )
    : html`<article lang="${CONTENT_LANG}"><h3>${servicePage.title}</h3>${renderMarkdown(servicePage.body_markdown)}</article>`
}</section>
</div>
</div>`,
      }),
    );
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
