import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Selectable } from 'kysely';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { toCsv } from '../csv.ts';
import { withRole } from '../guards.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { auditActionLabel, auditActorLabel } from '../views/audit-labels.ts';
import { formatTime, tenantPath } from '../views/page.ts';
import { managePage } from './common.ts';

type AuditRecord = Selectable<PlatformTables['audit_log']>;

const PAGE_SIZE = 100;
const CSV_MAX = 50_000;

interface Filters {
  actor: string;
  action: string;
  target: string;
  ip: string;
  from: string;
  to: string;
}

function filtersOf(request: FastifyRequest): Filters {
  const q = request.query as Record<string, unknown>;
  const s = (k: string, max = 100) => (typeof q[k] === 'string' ? (q[k] as string).trim().slice(0, max) : '');
  const day = (k: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s(k, 10)) ? s(k, 10) : '');
  return {
    actor: s('actor'),
    action: s('action'),
    target: s('target'),
    ip: s('ip', 64),
    from: day('from'),
    to: day('to'),
  };
}

/** The page of the log asked for (`?page=`, from 0). */
function pageNumberOf(request: FastifyRequest): number {
  const page = Number.parseInt(String((request.query as { page?: unknown }).page ?? '0'), 10) || 0;
  return Math.max(0, Math.min(100_000, page));
}

/** The audit log's filters, one page of its records (one more tells a next page) and the links to the pages beside it. */
function auditPage(
  request: FastifyRequest,
  tenant: Tenant,
  view: { filters: Filters; rows: AuditRecord[]; pageNo: number },
): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const { filters: f, rows, pageNo } = view;
  const qs = new URLSearchParams({ ...f }).toString();
  const input = (name: keyof Filters, label: string, type = 'text') =>
    html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${f[name]}"></div>`;
  return html`<h1>${t('manage.audit')}</h1>
<p class="hint">${t('manage.audit.confidential')}</p>
<form method="get" action="${p('/manage/audit')}" role="search" class="filters">
${input('actor', t('audit.actor'))}${input('action', t('audit.action'))}${input('target', t('audit.target'))}${input('ip', t('audit.ip'))}${input('from', t('audit.from'), 'date')}${input('to', t('audit.to'), 'date')}
<button type="submit">${t('manage.filter')}</button></form>
<p><a href="${p(`/manage/audit.csv?${qs}`)}" download>${t('manage.audit.export')}</a></p>
<table><thead><tr><th scope="col">${t('audit.at')}</th><th scope="col">${t('audit.actor')}</th><th scope="col">${t('audit.action')}</th><th scope="col">${t('audit.target')}</th><th scope="col">${t('audit.ip')}</th><th scope="col">${t('audit.details')}</th></tr></thead>
<tbody>${rows.slice(0, PAGE_SIZE).map((e) => html`<tr><td>${formatTime(e.at)}</td><td>${auditActorLabel(t, e.actor)}</td><td>${auditActionLabel(t, e.action)}</td><td>${e.target ?? ''}</td><td>${e.ip ?? ''}</td><td><code translate="no">${JSON.stringify(e.details)}</code></td></tr>`)}</tbody></table>
<p>${pageNo > 0 ? html`<a href="${p(`/manage/audit?${qs}&page=${pageNo - 1}`)}">${t('manage.prev')}</a> ` : ''}${rows.length > PAGE_SIZE ? html`<a href="${p(`/manage/audit?${qs}&page=${pageNo + 1}`)}">${t('manage.next')}</a>` : ''}</p>`;
}

export async function registerAuditRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const query = (f: Filters) => {
    let q = county.db.selectFrom('audit_log').selectAll().where('tenant', '=', tenant.code);
    if (f.actor) q = q.where('actor', '=', f.actor);
    if (f.action) q = q.where('action', 'like', `${f.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    if (f.target) q = q.where('target', '=', f.target);
    if (f.ip) q = q.where('ip', '=', f.ip);
    if (f.from) q = q.where('at', '>=', new Date(`${f.from}T00:00:00+08:00`));
    if (f.to) q = q.where('at', '<', new Date(new Date(`${f.to}T00:00:00+08:00`).getTime() + 86400_000));
    return q.orderBy('id', 'desc');
  };

  app.get('/manage/audit', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const filters = filtersOf(request);
    const pageNo = pageNumberOf(request);
    const rows = await query(filters)
      .limit(PAGE_SIZE + 1)
      .offset(pageNo * PAGE_SIZE)
      .execute();
    const main = auditPage(request, tenant, { filters, rows, pageNo });
    return managePage(request, reply, tenant, request.t('manage.audit'), main);
  });

  app.get('/manage/audit.csv', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['county_admin'])) return;
    const rows = await query(filtersOf(request)).limit(CSV_MAX).execute();
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${tenant.code}.csv"`)
      .header('cache-control', 'no-store')
      .send(
        toCsv(
          ['id', 'at', 'actor', 'action', 'target', 'ip', 'details'],
          rows.map((e) => [e.id, e.at, e.actor, e.action, e.target, e.ip, JSON.stringify(e.details)]),
        ),
      );
  });
}
