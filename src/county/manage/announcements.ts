import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { html } from '../../platform/views/html.ts';
import {
  createAnnouncement,
  deleteAnnouncement,
  findAnnouncement,
  updateAnnouncement,
} from '../content/announcements.ts';
import { CONTENT_LANG, renderMarkdown } from '../content/markdown.ts';
import type { Announcement } from '../content/pages.ts';
import { withRole } from '../guards.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, hasAny, localize, postButton, textarea } from '../views/form.ts';
import { formatTime, tenantPath } from '../views/page.ts';
import { managePage } from './common.ts';
import {
  type AnnouncementInput,
  announcementErrors,
  announcementInput,
  BODY_MAX,
  parseLocalTime,
  SHORT_MAX,
  TITLE_MAX,
} from './content-rules.ts';
import {
  basedOnVersion,
  conflictNotice,
  conflictPage,
  savedMeanwhile,
  versionField,
} from './edit-conflict.ts';

const toLocalInput = (date: Date) => formatTime(date).replace(' ', 'T').slice(0, 16);

export async function registerAnnouncementRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
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
    const edit = { ...input, publishedAt: parseLocalTime(input.publishedAt) ?? new Date() };
    await county.db
      .transaction()
      .execute((tx) => createAnnouncement(tx, tenant.code, { ...edit, actor: me.username, ip: request.ip }));
    return reply.redirect(p('/manage/announcements'), 303);
  });

  /** An edit saved over the version it was based on; the publication time stays unless a new one is given. */
  const saveEdit = (
    id: string,
    input: AnnouncementInput,
    by: { actor: string; ip: string; basedOn: number },
  ) =>
    county.db.transaction().execute(async (tx) => {
      const before = await findAnnouncement(tx, tenant.code, id);
      if (!before) return undefined;
      const publishedAt = parseLocalTime(input.publishedAt) ?? before.published_at;
      return updateAnnouncement(tx, tenant.code, id, { ...input, publishedAt, ...by });
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
${savedMeanwhile(request, current)}`
      : html`<h1>${t('manage.ann.create')}</h1>${conflictNotice(request, 'manage.error.deleted')}
${form(request, p('/manage/announcements'), input, {})}`;
    return conflictPage(request, reply, tenant, t('manage.ann.edit'), main);
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
      const kept = { ...input, title: input.title.slice(0, TITLE_MAX), body: input.body.slice(0, BODY_MAX) };
      const main = html`<h1>${request.t('manage.ann.edit')}</h1>${form(request, p(`/manage/announcements/${id}`), kept, localize(request, errors), basedOn)}`;
      return managePage(request, reply, tenant, request.t('manage.ann.edit'), main, 400);
    }
    const by = { actor: me.username, ip: request.ip };
    const saved = basedOn === undefined ? undefined : await saveEdit(id, input, { ...by, basedOn });
    if (!saved) return announcementConflict(request, reply, id, input);
    return reply.redirect(p('/manage/announcements'), 303);
  });

  /** A delete from a stale list: nothing is deleted; the current text is shown to decide again. */
  const deleteConflict = async (request: FastifyRequest, reply: FastifyReply, id: string) => {
    const t = request.t;
    const current = await findAnnouncement(county.db, tenant.code, id);
    if (!current) throw new AppError('not_found', 404);
    const main = html`<h1>${t('manage.ann.delete')}</h1>${conflictNotice(request, 'manage.error.stale_delete')}
${savedMeanwhile(request, current)}
${deleteButton(request, current)}
<p><a href="${p(`/manage/announcements/${id}`)}">${t('manage.ann.edit')}</a> · <a href="${p('/manage/announcements')}">${t('manage.announcements')}</a></p>`;
    return conflictPage(request, reply, tenant, t('manage.ann.delete'), main);
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
}
