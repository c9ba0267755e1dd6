import type { FastifyRequest } from 'fastify';
import { pageTime } from '../../platform/i18n/time.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { ProvisioningJob } from '../provisioning/job-list.ts';
import type { AccountRow } from '../provisioning/provision-account.ts';
import type { latestReconcileReport } from '../provisioning/reconcile.ts';
import { csrfField, portalPage } from '../views.ts';

export interface AdminView {
  jobs: readonly ProvisioningJob[];
  /** Accounts in conflict or failed. */
  attention: readonly AccountRow[];
  report: Awaited<ReturnType<typeof latestReconcileReport>>;
  /** What the last action did (`retried`, `reconcile_queued`), shown once after its redirect. */
  notice: unknown;
}

/** The portal's admin page: provisioning jobs (retry a failed one), accounts to look at, the reconcile. */
export function adminPage(request: FastifyRequest, view: AdminView): SafeHtml {
  const t = request.t;
  const { jobs, attention, report, notice } = view;
  const csrf = csrfField(request);
  return portalPage(
    request,
    t('ws.admin.title'),
    html`<h1>${t('ws.admin.title')}</h1>
${notice === 'retried' || notice === 'reconcile_queued' ? html`<div class="notice" role="status"><p>${t(`ws.admin.${notice}`)}</p></div>` : ''}
<h2 id="jobs">${t('ws.admin.jobs')}</h2>
<table aria-labelledby="jobs"><thead><tr><th scope="col">${t('ws.admin.type')}</th><th scope="col">${t('ws.admin.subject')}</th><th scope="col">${t('ws.admin.state')}</th>
<th scope="col">${t('ws.admin.attempts')}</th><th scope="col">${t('ws.admin.error')}</th><th scope="col">${t('ws.admin.next')}</th><th scope="col"><span class="visually-hidden">${t('ws.admin.actions')}</span></th></tr></thead>
<tbody>${jobs.map(
      (
        j,
      ) => html`<tr><td>${t(`ws.admin.job.${j.type}`)}</td><td>${j.subject}</td><td>${t(`ws.admin.job_state.${j.state}`)}</td><td>${j.attempts} / ${j.maxAttempts}</td>
<td lang="en" translate="no">${j.lastError ?? ''}</td><td>${j.state === 'queued' ? pageTime(request.locale, j.runAt) : ''}</td>
<td>${j.state === 'failed' ? html`<form method="post" action="/admin/jobs/${j.id}/retry">${csrf}<button type="submit">${t('ws.admin.retry')}</button></form>` : ''}</td></tr>`,
    )}</tbody></table>
<h2>${t('ws.admin.accounts')}</h2>
<ul>${attention.map((a) => html`<li>${a.google_email}（${t(`ws.admin.account_state.${a.state}`)}）：<span lang="en" translate="no">${a.last_error ?? ''}</span></li>`)}</ul>
<h2>${t('ws.admin.reconcile')}</h2>
${
  report
    ? html`<p>${t('ws.admin.report', { at: pageTime(request.locale, report.started_at), checked: report.checked, drift: report.drift.length })}</p>
<ul>${report.drift.map((d) => html`<li>${t('ws.admin.drift', { email: d.googleEmail, problem: d.problem, expected: d.expected, found: d.found })}</li>`)}</ul>`
    : html`<p>${t('ws.admin.no_report')}</p>`
}
<form method="post" action="/admin/reconcile">${csrf}<button type="submit">${t('ws.admin.reconcile_now')}</button></form>`,
    true,
  );
}
