// The signed one-time approve / reject links mailed to a unit's official mailbox, and the decision
// page they open. One piece serves every decision a unit takes by mail (school review of an
// application, a teacher's request to move to the unit), so a link used twice, expired, tampered
// with or overtaken by a console decision reads the same whatever it decides.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import type { CountyTx } from '../db.ts';
import type { County } from '../services.ts';
import { findUnit, type Tenant } from '../tenants/tenants.ts';
import { csrfField, formValue } from '../views/form.ts';
import { formatTime, headedPage, tenantPath } from '../views/page.ts';

export type Decision = 'approve' | 'reject';
export const REASON_MAX = 500;

export const asDecision = (v: unknown): Decision | undefined =>
  v === 'approve' || v === 'reject' ? v : undefined;

/** What the decision page shows of a subject that waits for a decision. */
export interface PendingDecision {
  /** Each line of the summary: the message key of its label, and its value. */
  facts: ReadonlyArray<readonly [string, string]>;
  /** Variables of the kind's messages (confirmation, outcome). */
  vars: Record<string, string>;
}

export interface LinkDecision {
  tenant: Tenant;
  /** The link's subject: the account or the request decided. */
  subject: string;
  decision: Decision;
  reason: string;
  /** The official mailbox the link was sent to (`mailboxActor`). */
  actor: string;
  ip: string;
  via: 'link';
}

/** A kind of decision a unit takes through mailed links. */
export interface DecisionKind {
  /** Purpose and lifetime of its links (`LINKS` in links.ts). */
  link: { purpose: string; ttlSeconds: number };
  /** Where its links lead, below the tenant's path. */
  path: string;
  /** Message keys: page title, approval question, and the outcome of each decision. */
  text: { title: string; confirm: string; approved: string; rejected: string };
  /** The subject while it waits; throws a coded error once decided, withdrawn or gone. */
  pending(db: CountyTx, tenant: Tenant, subject: string): Promise<PendingDecision>;
  /** The code of the unit whose official mailbox decides the subject (undefined: gone). */
  decidingUnit(db: CountyTx, tenant: Tenant, subject: string): Promise<string | null | undefined>;
  /** Decides in the transaction that uses up the link; returns the outcome message's variables. */
  decide(county: County, tx: CountyTx, input: LinkDecision): Promise<Record<string, string>>;
}

/** Who decided through a link: the official mailbox it was sent to. */
export const mailboxActor = (mailbox: string | undefined) => `mailbox:${mailbox ?? 'unknown'}`;

/** The approve and reject links of one subject (one token: using either spends both). */
export async function decisionLinks(
  county: County,
  tenant: Tenant,
  kind: DecisionKind,
  subject: string,
  ttlSeconds: number = kind.link.ttlSeconds,
): Promise<{ approve: string; reject: string }> {
  const token = await county.links.sign(
    { purpose: kind.link.purpose, subject, data: { tenant: tenant.code } },
    ttlSeconds,
  );
  const base = `${county.tenantUrl(tenant.code)}${kind.path}?token=${token}`;
  return { approve: `${base}&decision=approve`, reject: `${base}&decision=reject` };
}

/**
 * Takes the decision of a mailed link in the name of the official mailbox it was sent to. The link
 * is spent if and only if the decision commits. Returns the outcome message's variables.
 */
export async function decideThroughLink(
  county: County,
  tenant: Tenant,
  kind: DecisionKind,
  input: { token: string; decision: Decision; reason: string; ip: string },
): Promise<Record<string, string>> {
  return county.db.transaction().execute(async (tx) => {
    const claims = await county.links.consume(tx, input.token, kind.link.purpose);
    if (claims.data?.tenant !== tenant.code) throw new AppError('link_invalid', 400);
    const subject = claims.subject;
    const unitCode = await kind.decidingUnit(tx, tenant, subject);
    const unit = unitCode ? await findUnit(tx, tenant.code, unitCode) : undefined;
    const { decision, reason, ip } = input;
    const actor = mailboxActor(unit?.mailbox);
    return kind.decide(county, tx, { tenant, subject, decision, reason, actor, ip, via: 'link' });
  });
}

/** The decision page (GET) and the decision (POST) of a kind's links. */
export async function registerDecisionLinks(
  app: FastifyInstance,
  county: County,
  tenant: Tenant,
  kind: DecisionKind,
) {
  const p = (path: string) => tenantPath(tenant, path);

  const decisionPage = async (
    request: FastifyRequest,
    token: string,
    decision: Decision,
    error?: string,
  ): Promise<SafeHtml> => {
    const t = request.t;
    const claims = await county.links.inspect(token, kind.link.purpose);
    if (claims.data?.tenant !== tenant.code) throw new AppError('link_invalid', 400);
    if (await county.links.isUsed(county.db, claims.jti)) throw new AppError('link_used', 410);
    const { facts, vars } = await kind.pending(county.db, tenant, claims.subject);
    const other = decision === 'approve' ? 'reject' : 'approve';
    return html`
<dl class="applicant">${facts.map(([label, value]) => html`<dt>${t(label)}</dt><dd>${value}</dd>`)}
<dt>${t('review.link_expires')}</dt><dd>${formatTime(claims.expiresAt)}</dd></dl>
<form method="post" action="${p(kind.path)}" novalidate>${csrfField(request)}
<input type="hidden" name="token" value="${token}"><input type="hidden" name="decision" value="${decision}">
${
  decision === 'approve'
    ? html`<p>${t(kind.text.confirm, vars)}</p><button type="submit">${t('review.approve')}</button>`
    : html`<div class="field"><label for="f-reason">${t('review.reason')}</label>
<textarea id="f-reason" name="reason" rows="4" maxlength="${REASON_MAX}" required${error ? html` aria-invalid="true" aria-describedby="f-reason-error"` : ''}></textarea>
${error ? html`<p class="field-error" id="f-reason-error">${error}</p>` : ''}</div>
<button type="submit" class="danger">${t('review.reject')}</button>`
}
</form>
<p><a href="${p(`${kind.path}?token=${encodeURIComponent(token)}&decision=${other}`)}">${t(`review.switch.${other}`)}</a></p>`;
  };

  const show = (request: FastifyRequest, body: SafeHtml, titleKey = kind.text.title) =>
    headedPage(request, tenant, titleKey, body);

  app.get(kind.path, async (request, reply) => {
    const q = request.query as { token?: unknown; decision?: unknown };
    const decision = asDecision(q.decision) ?? 'approve';
    const token = String(q.token ?? '').slice(0, 2000);
    return sendPage(reply, show(request, await decisionPage(request, token, decision)));
  });

  app.post(kind.path, async (request, reply) => {
    const t = request.t;
    const token = formValue(request.body, 'token').slice(0, 2000);
    const decision = asDecision(formValue(request.body, 'decision'));
    if (!decision) throw new AppError('bad_request', 400);
    const reason = formValue(request.body, 'reason');
    if (decision === 'reject' && (reason === '' || reason.length > REASON_MAX)) {
      const error =
        reason === '' ? t('review.error.reason') : t('review.error.reason_long', { max: REASON_MAX });
      return sendPage(reply, show(request, await decisionPage(request, token, decision, error)), 400);
    }
    const vars = await decideThroughLink(county, tenant, kind, { token, decision, reason, ip: request.ip });
    const done = html`<div class="success" role="status"><p>${t(
      decision === 'approve' ? kind.text.approved : kind.text.rejected,
      vars,
    )}</p></div>`;
    return sendPage(reply, show(request, done, 'review.done.title'));
  });
}
