import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { CONTENT_LANG, renderMarkdown } from '../content/markdown.ts';
import { getPage, isPageSlug, PAGE_SLUGS, type PageSlug, savePage } from '../content/pages.ts';
import { withRole } from '../guards.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, formValue, hasAny, localize, textarea } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';
import { managePage } from './common.ts';
import { BODY_MAX, pageErrors, TITLE_MAX } from './content-rules.ts';
import {
  basedOnVersion,
  conflictNotice,
  conflictPage,
  savedMeanwhile,
  versionField,
} from './edit-conflict.ts';

/** The console's help pages (使用者注意事項, 服務條款, …): list, edit with a version check, preview. */
export async function registerHelpPageRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  const pageForm = (
    request: FastifyRequest,
    slug: string,
    v: { title: string; body: string; version: number | undefined },
    errors: Record<string, string | undefined>,
    conflict?: SafeHtml,
  ) => {
    const t = request.t;
    return html`<h1>${t('manage.page.edit')}：<span lang="${CONTENT_LANG}">${v.title}</span></h1>${conflict ?? ''}${errorSummary(request, errors)}
${slug === 'terms' ? html`<div class="notice"><p>${t('manage.page.terms_note')}</p></div>` : ''}
<form method="post" action="${p(`/manage/pages/${slug}`)}" novalidate>${csrfField(request)}${v.version === undefined ? '' : versionField(v.version)}
${field({ name: 'title', label: t('manage.ann.title'), value: v.title, error: errors.title, required: true, maxlength: TITLE_MAX })}
${textarea({ name: 'body', label: t('manage.markdown'), value: v.body, error: errors.body, required: true, rows: 16, hint: t('manage.markdown.hint'), lang: CONTENT_LANG })}
<button type="submit">${t('profile.save')}</button></form>
<h2>${t('manage.preview')}</h2><article class="panel" lang="${CONTENT_LANG}">${renderMarkdown(v.body)}</article>`;
  };

  const slugParam = (request: FastifyRequest): PageSlug => {
    const { slug } = request.params as { slug: string };
    if (!isPageSlug(slug)) throw new AppError('not_found', 404);
    return slug;
  };

  /** Someone else saved in between: this text stays in the form next to theirs, nothing is overwritten. */
  const pageConflict = async (
    request: FastifyRequest,
    reply: FastifyReply,
    slug: PageSlug,
    v: { title: string; body: string },
  ) => {
    const current = await getPage(county.db, tenant, slug);
    const main = html`${pageForm(request, slug, { ...v, version: current.version }, {}, conflictNotice(request, 'manage.error.stale'))}
${savedMeanwhile(request, current)}`;
    return conflictPage(request, reply, tenant, current.title, main);
  };

  app.get('/manage/pages', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const t = request.t;
    const pages = await Promise.all(PAGE_SLUGS.map((slug) => getPage(county.db, tenant, slug)));
    const main = html`<h1>${t('manage.pages')}</h1>
<table><thead><tr><th scope="col">${t('manage.ann.title')}</th><th scope="col">${t('manage.page.version')}</th></tr></thead>
<tbody>${pages.map((pg) => html`<tr><td lang="${CONTENT_LANG}"><a href="${p(`/manage/pages/${pg.slug}`)}">${pg.title}</a></td><td>${pg.version}</td></tr>`)}</tbody></table>`;
    return managePage(request, reply, tenant, t('manage.pages'), main);
  });

  app.get('/manage/pages/:slug', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const pg = await getPage(county.db, tenant, slugParam(request));
    const form = pageForm(
      request,
      pg.slug,
      { title: pg.title, body: pg.body_markdown, version: pg.version },
      {},
    );
    return managePage(request, reply, tenant, pg.title, form);
  });

  app.post('/manage/pages/:slug', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const slug = slugParam(request);
    const title = formValue(request.body, 'title');
    const body = formValue(request.body, 'body');
    const basedOn = basedOnVersion(request.body);
    const errors = pageErrors(title, body);
    if (hasAny(errors)) {
      // The form stays based on the version it was opened with.
      const kept = { title: title.slice(0, TITLE_MAX), body: body.slice(0, BODY_MAX), version: basedOn };
      const form = pageForm(request, slug, kept, localize(request, errors));
      return managePage(request, reply, tenant, request.t('manage.page.edit'), form, 400);
    }
    const by = { actor: me.username, ip: request.ip };
    const saved =
      basedOn === undefined
        ? undefined
        : await county.db
            .transaction()
            .execute((tx) => savePage(tx, tenant.code, slug, { title, body, ...by, basedOn }));
    if (saved === undefined) return pageConflict(request, reply, slug, { title, body });
    return reply.redirect(p('/manage/pages'), 303);
  });
}
