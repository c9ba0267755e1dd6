import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { type LoginFormOptions, loginForm } from '../login/form.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { countyPage, formatTime, tenantPath } from '../views/page.ts';
import { CONTENT_LANG, renderMarkdown } from './markdown.ts';
import type { Announcement, HelpPage } from './pages.ts';

/** The account help links of the home page's side column (帳號申請與管理). */
export function helpLinks(request: FastifyRequest, tenant: Tenant): SafeHtml {
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

function announcementArticle(a: Announcement): SafeHtml {
  return html`<article class="announcement" lang="${CONTENT_LANG}"><h3>${a.title}</h3>
<p class="meta">${a.author} - ${a.category} | <time datetime="${a.published_at.toISOString()}">${formatTime(a.published_at)}</time></p>
${renderMarkdown(a.body_markdown)}</article>`;
}

export interface HomeView {
  announcements: readonly Announcement[];
  /** The 「服務說明」 entries; the built-in service page stands in until there is one. */
  service: readonly Announcement[];
  servicePage: HelpPage;
  cloudUrl: string;
  /** The sign-in form's state for a visitor; undefined for a signed-in account. */
  loginState: Omit<LoginFormOptions, 'action' | 'hidden'> | undefined;
}

/** The portal's home page: sign-in or the account's links, services, announcements. */
export function homePage(request: FastifyRequest, tenant: Tenant, view: HomeView): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const account = request.countyAccount;
  const side =
    account || !view.loginState
      ? html`<section class="panel" aria-labelledby="me-heading"><h2 id="me-heading">${t('home.welcome', { name: account?.real_name ?? account?.username ?? '' })}</h2>
<ul><li><a href="${p('/account')}">${t('home.my_account')}</a></li><li><a href="${p('/profile/check')}">${t('profile.check.title')}</a></li></ul></section>`
      : html`<section class="panel">${loginForm(request, { action: p('/login'), ...view.loginState })}
<p><a href="${p('/register')}">${t('nav.register')}</a> · <a href="${p('/forgot')}">${t('nav.forgot')}</a></p></section>`;
  return countyPage(request, tenant, {
    title: t('home.title'),
    main: html`<h1>${tenant.portal_name} ${t('home.title')}</h1>
<div class="grid">
<div>
${side}
<section class="panel" aria-labelledby="vpn-heading"><h2 id="vpn-heading">${t('home.vpn')}</h2>
<ul><li><a href="${p('/vpn')}">${t('home.vpn')}</a></li><li><a href="${p('/help/vpn')}">${t('home.vpn.howto')}</a></li></ul></section>
<section class="panel" aria-labelledby="res-heading"><h2 id="res-heading">${t('home.resources')}</h2>
<ul><li><a href="${view.cloudUrl}">${t('home.resources.cloud')}</a></li></ul></section>
<section class="panel">${helpLinks(request, tenant)}</section>
</div>
<div>
<div class="notice"><p><strong>${t('home.warning.label')}</strong> ${t('home.warning')}</p></div>
<section aria-labelledby="news-heading"><h2 id="news-heading">${t('home.announcements')}</h2>
${view.announcements.length === 0 ? html`<p>${t('home.announcements.none')}</p>` : ''}
${view.announcements.map(announcementArticle)}</section>
<section aria-labelledby="service-heading"><h2 id="service-heading">${t('home.service')}</h2>
${
  view.service.length > 0
    ? view.service.map(announcementArticle)
    : html`<article lang="${CONTENT_LANG}"><h3>${view.servicePage.title}</h3>${renderMarkdown(view.servicePage.body_markdown)}</article>`
}</section>
</div>
</div>`,
  });
}
