import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { deleteAnnouncement, findAnnouncement, updateAnnouncement } from '../content/announcements.ts';
import { CONTENT_LANG, renderMarkdown } from '../content/markdown.ts';
import {
  type Announcement,
  getPage,
  invalidateContent,
  isPageSlug,
  PAGE_SLUGS,
  savePage,
} from '../content/pages.ts';
import { audit } from '../db.ts';
import { withRole } from '../guards.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, formValue, postButton, textarea } from '../views/form.ts';
import { formatTime, tenantPath } from '../views/page.ts';
import { hasAny, localize, managePage } from './common.ts';
import {
  basedOnVersion,
  conflictNotice,
  EDIT_CONFLICT_STATUS,
  savedMeanwhile,
  versionField,
} from './edit-conflict.ts';

const TITLE_MAX = 200;
const BODY_MAX = 50_000;
const SHORT_MAX = 50;

interface AnnouncementInput {
  title: string;
  category: string;
  author: string;
  body: string;
  publishedAt: string;
}

function announcementInput(body: unknown): AnnouncementInput {
  return {
    title: formValue(body, 'title'),
    category: formValue(body, 'category') || '本站公告',
    author: formValue(body, 'author') || '系統管理員',
    body: formValue(body, 'body'),
    publishedAt: formValue(body, 'published_at'),
  };
}

/** `YYYY-MM-DDTHH:mm` from a datetime-local field, read as Taiwan time. */
export function parseLocalTime(value: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const date = new Date(`${value}${value.length === 16 ? ':00' : ''}+08:00`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function announcementErrors(input: AnnouncementInput): FieldErrors {
  const errors: FieldErrors = {};
  if (input.title === '') errors.title = { key: 'register.error.required' };
  else if ([...input.title].length > TITLE_MAX)
    errors.title = { key: 'manage.error.text', vars: { max: TITLE_MAX } };
  if ([...input.category].length > SHORT_MAX || /[<>]/.test(input.category))
    errors.category = { key: 'manage.error.text', vars: { max: SHORT_MAX } };
  if ([...input.author].length > SHORT_MAX || /[<>]/.test(input.author))
    errors.author = { key: 'manage.error.text', vars: { max: SHORT_MAX } };
  if (input.body === '') errors.body = { key: 'register.error.required' };
  else if (input.body.length > BODY_MAX) errors.body = { key: 'manage.error.text', vars: { max: BODY_MAX } };
  if (input.publishedAt !== '' && !parseLocalTime(input.publishedAt))
    errors.published_at = { key: 'manage.error.datetime' };
  return errors;
}

const toLocalInput = (date: Date) => formatTime(date).replace(' ', 'T').slice(0, 16);

export async function registerContentRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  /** Deletes the announcement as the administrator sees it: the form carries that version. */
  const deleteButton = (request: FastifyRequest, a: Announcement) =>
    postButton(request, p(`/manage/announcements/${a.id}/delete`), request.t('manage.delete'), {
      className: 'danger',
      hidden: { version: String(a.version) },
    });

  const form = (
    request: FastifyRequest,
    action: string,
    v: AnnouncementInput,
    errors: Record<string, string | undefined>,
    version?: number,
  ) => {
    const t = request.t;
    return html`${errorSummary(request, errors)}<form method="post" action="${action}" novalidate>${csrfField(request)}${version === undefined ? '' : versionField(version)}
${field({ name: 'title', label: t('manage.ann.title'), value: v.title, error: errors.title, required: true, maxlength: TITLE_MAX })}
${field({ name: 'category', label: t('manage.ann.category'), value: v.category, error: errors.category, maxlength: SHORT_MAX, hint: t('manage.ann.category.hint') })}
${field({ name: 'author', label: t('manage.ann.author'), value: v.author, error: errors.author, maxlength: SHORT_MAX })}
${field({ name: 'published_at', label: t('manage.ann.published'), type: 'datetime-local', value: v.publishedAt, error: errors.published_at, hint: t('manage.ann.published.hint') })}
${textarea({ name: 'body', label: t('manage.markdown'), value: v.body, error: errors.body, required: true, rows: 10, hint: t('manage.markdown.hint'), lang: CONTENT_LANG })}
<button type="submit">${t('profile.save')}</button></form>`;
  };

  const listPage = async (
    request: FastifyRequest,
    v: AnnouncementInput,
    errors: Record<string, string | undefined>,
  ) => {
    const t = request.t;
    const rows = await county.db
      .selectFrom('county_announcements')
      .selectAll()
      .where('tenant', '=', tenant.code)
      .orderBy('published_at', 'desc')
      .execute();
    return html`<h1>${t('manage.announcements')}</h1>
<table><thead><tr><th scope="col">${t('manage.ann.title')}</th><th scope="col">${t('manage.ann.category')}</th><th scope="col">${t('manage.ann.published')}</th><th scope="col">${t('review.actions')}</th></tr></thead>
<tbody>${rows.map((a) => html`<tr><td lang="${CONTENT_LANG}"><a href="${p(`/manage/announcements/${a.id}`)}">${a.title}</a></td><td lang="${CONTENT_LANG}">${a.category}</td><td>${formatTime(a.published_at)}</td><td>${deleteButton(request, a)}</td></tr>`)}</tbody></table>
<section class="panel"><h2>${t('manage.ann.create')}</h2>${form(request, p('/manage/announcements'), v, errors)}</section>`;
  };

  const empty: AnnouncementInput = {
    title: '',
    category: '本站公告',
    author: '系統管理員',
    body: '',
    publishedAt: '',
  };

  app.get('/manage/announcements', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    return managePage(
      request,
      reply,
      tenant,
      request.t('manage.announcements'),
      await listPage(request, empty, {}),
    );
  });

  app.post('/manage/announcements', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const input = announcementInput(request.body);
    const errors = announcementErrors(input);
    if (hasAny(errors)) {
      const keep = { ...input, title: input.title.slice(0, TITLE_MAX), body: input.body.slice(0, BODY_MAX) };
      return managePage(
        request,
        reply,
        tenant,
        request.t('manage.announcements'),
        await listPage(request, keep, localize(request, errors)),
        400,
      );
    }
    const id = randomUUID();
    await county.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('county_announcements')
        .values({
          id,
          tenant: tenant.code,
          title: input.title,
          category: input.category,
          author: input.author,
          body_markdown: input.body,
          published_at: parseLocalTime(input.publishedAt) ?? new Date(),
        })
        .execute();
      invalidateContent(tenant.code);
      await audit(tx, {
        tenant: tenant.code,
        actor: me.username,
        action: 'announcement.created',
        target: id,
        ip: request.ip,
        details: { title: input.title },
      });
    });
    return reply.redirect(p('/manage/announcements'), 303);
  });

  const load = async (id: string) => {
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new AppError('not_found', 404);
    const row = await findAnnouncement(county.db, tenant.code, id);
    if (!row) throw new AppError('not_found', 404);
    return row;
  };

  const editForm = (request: FastifyRequest, a: Announcement) => {
    const v = {
      title: a.title,
      category: a.category,
      author: a.author,
      body: a.body_markdown,
      publishedAt: toLocalInput(a.published_at),
    };
    return html`<h1>${request.t('manage.ann.edit')}</h1>${form(request, p(`/manage/announcements/${a.id}`), v, {}, a.version)}
<h2>${request.t('manage.preview')}</h2><article class="panel" lang="${CONTENT_LANG}">${renderMarkdown(a.body_markdown)}</article>`;
  };

  /** A save from a stale form: the administrator's text stays in the form, next to the saved one. */
  const announcementConflict = async (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    input: AnnouncementInput,
  ) => {
    const t = request.t;
    const current = await findAnnouncement(county.db, tenant.code, id);
    // Deleted meanwhile: offer the text as a new announcement.
    const main = current
      ? html`<h1>${t('manage.ann.edit')}</h1>${conflictNotice(request, 'manage.error.stale')}
${form(request, p(`/manage/announcements/${id}`), input, {}, current.version)}
${savedMeanwhile(request, { title: current.title, body: current.body_markdown, version: current.version, by: current.updated_by, at: current.updated_at })}`
      : html`<h1>${t('manage.ann.create')}</h1>${conflictNotice(request, 'manage.error.deleted')}
${form(request, p('/manage/announcements'), input, {})}`;
    return managePage(request, reply, tenant, t('manage.ann.edit'), main, EDIT_CONFLICT_STATUS);
  };

  app.get('/manage/announcements/:id', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const a = await load((request.params as { id: string }).id);
    return managePage(request, reply, tenant, request.t('manage.ann.edit'), editForm(request, a));
  });

  app.post('/manage/announcements/:id', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const { id } = request.params as { id: string };
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new AppError('not_found', 404);
    const input = announcementInput(request.body);
    const basedOn = basedOnVersion(request.body);
    const errors = announcementErrors(input);
    if (hasAny(errors)) {
      return managePage(
        request,
        reply,
        tenant,
        request.t('manage.ann.edit'),
        html`<h1>${request.t('manage.ann.edit')}</h1>${form(request, p(`/manage/announcements/${id}`), { ...input, title: input.title.slice(0, TITLE_MAX), body: input.body.slice(0, BODY_MAX) }, localize(request, errors), basedOn)}`,
        400,
      );
    }
    const saved =
      basedOn === undefined
        ? undefined
        : await county.db.transaction().execute(async (tx) => {
            const before = await findAnnouncement(tx, tenant.code, id);
            if (!before) return undefined;
            return updateAnnouncement(tx, tenant.code, id, {
              title: input.title,
              category: input.category,
              author: input.author,
              body: input.body,
              publishedAt: parseLocalTime(input.publishedAt) ?? before.published_at,
              basedOn,
              actor: me.username,
              ip: request.ip,
            });
          });
    if (!saved) return announcementConflict(request, reply, id, input);
    return reply.redirect(p('/manage/announcements'), 303);
  });

  /** A delete from a stale list: nothing is deleted; the current text is shown to decide again. */
  const deleteConflict = async (request: FastifyRequest, reply: FastifyReply, id: string) => {
    const t = request.t;
    const current = await findAnnouncement(county.db, tenant.code, id);
    if (!current) throw new AppError('not_found', 404);
    const main = html`<h1>${t('manage.ann.delete')}</h1>${conflictNotice(request, 'manage.error.stale_delete')}
${savedMeanwhile(request, { title: current.title, body: current.body_markdown, version: current.version, by: current.updated_by, at: current.updated_at })}
${deleteButton(request, current)}
<p><a href="${p(`/manage/announcements/${id}`)}">${t('manage.ann.edit')}</a> · <a href="${p('/manage/announcements')}">${t('manage.announcements')}</a></p>`;
    return managePage(request, reply, tenant, t('manage.ann.delete'), main, EDIT_CONFLICT_STATUS);
  };

  app.post('/manage/announcements/:id/delete', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const { id } = request.params as { id: string };
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new AppError('not_found', 404);
    const basedOn = basedOnVersion(request.body);
    const deleted =
      basedOn === undefined
        ? undefined
        : await county.db
            .transaction()
            .execute((tx) =>
              deleteAnnouncement(tx, tenant.code, id, { basedOn, actor: me.username, ip: request.ip }),
            );
    if (!deleted) return deleteConflict(request, reply, id);
    return reply.redirect(p('/manage/announcements'), 303);
  });

  app.get('/manage/pages', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const t = request.t;
    const pages = await Promise.all(PAGE_SLUGS.map((slug) => getPage(county.db, tenant, slug)));
    return managePage(
      request,
      reply,
      tenant,
      t('manage.pages'),
      html`<h1>${t('manage.pages')}</h1>
<table><thead><tr><th scope="col">${t('manage.ann.title')}</th><th scope="col">${t('manage.page.version')}</th></tr></thead>
<tbody>${pages.map((pg) => html`<tr><td lang="${CONTENT_LANG}"><a href="${p(`/manage/pages/${pg.slug}`)}">${pg.title}</a></td><td>${pg.version}</td></tr>`)}</tbody></table>`,
    );
  });

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

  app.get('/manage/pages/:slug', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const { slug } = request.params as { slug: string };
    if (!isPageSlug(slug)) throw new AppError('not_found', 404);
    const pg = await getPage(county.db, tenant, slug);
    return managePage(
      request,
      reply,
      tenant,
      pg.title,
      pageForm(request, slug, { title: pg.title, body: pg.body_markdown, version: pg.version }, {}),
    );
  });

  app.post('/manage/pages/:slug', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['county_admin']);
    if (!me) return;
    const { slug } = request.params as { slug: string };
    if (!isPageSlug(slug)) throw new AppError('not_found', 404);
    const title = formValue(request.body, 'title');
    const body = formValue(request.body, 'body');
    const basedOn = basedOnVersion(request.body);
    const errors: FieldErrors = {};
    if (title === '') errors.title = { key: 'register.error.required' };
    else if ([...title].length > TITLE_MAX)
      errors.title = { key: 'manage.error.text', vars: { max: TITLE_MAX } };
    if (body === '') errors.body = { key: 'register.error.required' };
    else if (body.length > BODY_MAX) errors.body = { key: 'manage.error.text', vars: { max: BODY_MAX } };
    if (hasAny(errors)) {
      // The form stays based on the version it was opened with.
      return managePage(
        request,
        reply,
        tenant,
        request.t('manage.page.edit'),
        pageForm(
          request,
          slug,
          { title: title.slice(0, TITLE_MAX), body: body.slice(0, BODY_MAX), version: basedOn },
          localize(request, errors),
        ),
        400,
      );
    }
    const saved =
      basedOn === undefined
        ? undefined
        : await county.db
            .transaction()
            .execute((tx) =>
              savePage(tx, tenant.code, slug, { title, body, actor: me.username, ip: request.ip, basedOn }),
            );
    if (saved === undefined) {
      // Someone else saved in between: keep this text in the form, show theirs, nothing is overwritten.
      const current = await getPage(county.db, tenant, slug);
      return managePage(
        request,
        reply,
        tenant,
        current.title,
        html`${pageForm(request, slug, { title, body, version: current.version }, {}, conflictNotice(request, 'manage.error.stale'))}
${savedMeanwhile(request, { title: current.title, body: current.body_markdown, version: current.version, by: current.updated_by, at: current.updated_at })}`,
        EDIT_CONFLICT_STATUS,
      );
    }
    return reply.redirect(p('/manage/pages'), 303);
  });
}
