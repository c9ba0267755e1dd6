// Optimistic concurrency of the console's content editors: an edit form (and an announcement's delete
// button) carries the version it was based on; a save from a stale version is refused (409) and shows
// the text saved meanwhile next to the administrator's own, so neither is lost; a stale delete deletes
// nothing and shows the current text to decide again.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { renderMarkdown } from '../content/markdown.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { formatTime } from '../views/page.ts';
import { managePage } from './common.ts';

const basedOnField = z.object({
  version: z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number),
});

/** The version an edit form was based on; undefined when missing or malformed (treated as stale). */
export function basedOnVersion(body: unknown): number | undefined {
  const parsed = basedOnField.safeParse(body);
  return parsed.success ? parsed.data.version : undefined;
}

/** The answer to a stale save or delete: the console page `main`, with status 409. */
export function conflictPage(
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  title: string,
  main: SafeHtml,
) {
  return managePage(request, reply, tenant, title, main, 409);
}

/** The hidden field that carries the version the form was based on. */
export function versionField(version: number): SafeHtml {
  return html`<input type="hidden" name="version" value="${version}">`;
}

/** Why the save or delete was refused, at the top of the conflict page. */
export function conflictNotice(
  request: FastifyRequest,
  key: 'manage.error.stale' | 'manage.error.deleted' | 'manage.error.stale_delete',
): SafeHtml {
  return html`<div class="alert" role="alert"><p>${request.t(key)}</p></div>`;
}

/** The text saved by someone else since the administrator opened the form. */
export function savedMeanwhile(
  request: FastifyRequest,
  saved: {
    title: string;
    body_markdown: string;
    version: number;
    updated_by: string | null;
    updated_at: Date | null;
  },
): SafeHtml {
  const t = request.t;
  const { body_markdown: body, updated_by: by, updated_at: at } = saved;
  return html`<section class="panel" aria-labelledby="saved-heading"><h2 id="saved-heading">${t('manage.conflict.saved')}</h2>
${at ? html`<p class="meta">${t('manage.conflict.saved_by', { by: by ?? '-', at: formatTime(at), version: saved.version })}</p>` : ''}
<h3>${saved.title}</h3>
<pre>${body}</pre>
<details><summary>${t('manage.preview')}</summary><article>${renderMarkdown(body)}</article></details></section>`;
}
