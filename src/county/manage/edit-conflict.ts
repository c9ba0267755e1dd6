// Optimistic concurrency of the console's content editors: an edit form (and an announcement's delete
// button) carries the version it was based on; a save from a stale version is refused (409) and shows
// the text saved meanwhile next to the administrator's own, so neither is lost; a stale delete deletes
// nothing and shows the current text to decide again.
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { renderMarkdown } from '../content/markdown.ts';
import { formatTime } from '../views/page.ts';

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

export const EDIT_CONFLICT_STATUS = 409;

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
  saved: { title: string; body: string; version: number; by: string | null; at: Date | null },
): SafeHtml {
  const t = request.t;
  return html`<section class="panel" aria-labelledby="saved-heading"><h2 id="saved-heading">${t('manage.conflict.saved')}</h2>
${saved.at ? html`<p class="meta">${t('manage.conflict.saved_by', { by: saved.by ?? '-', at: formatTime(saved.at), version: saved.version })}</p>` : ''}
<h3>${saved.title}</h3>
<pre>${saved.body}</pre>
<details><summary>${t('manage.preview')}</summary><article>${renderMarkdown(saved.body)}</article></details></section>`;
}
