import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import { html } from '../../platform/views/html.ts';
import type { Account } from '../accounts/repository.ts';
import { recordDecision } from '../campaigns/decide.ts';
import type { CountyTx } from '../db.ts';
import { withRole } from '../guards.ts';
import { maskedNationalId } from '../profile/profile.ts';
import type { County } from '../services.ts';
import { findUnit, listUnits, type Tenant, type Unit } from '../tenants/tenants.ts';
import { decideTransfer, transferDecision } from '../transfer/requests.ts';
import { csrfField, errorSummary, field, formValue, postButton } from '../views/form.ts';
import { countyPage, tenantPath } from '../views/page.ts';
import { reviewConsolePage, unitPicker, unitPickerPage } from './console-page.ts';
import { applicationDecision, decideApplication } from './decide.ts';
import { asDecision, registerDecisionLinks } from './decision-link.ts';
import {
  confirmNationalId,
  correctableAccount,
  correctNationalId,
  declineNationalId,
} from './national-id.ts';
import { unitWork } from './unit-work.ts';

export async function registerReviewRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  // --- The signed links of the review and transfer mails ----------------------------------------

  await registerDecisionLinks(app, county, tenant, applicationDecision);
  await registerDecisionLinks(app, county, tenant, transferDecision);

  // --- The review console (reviewers: their unit; county administrators: any unit) ---------------

  /** The unit a console request acts for, or undefined for an administrator who has not picked one. */
  async function consoleUnit(request: FastifyRequest, unitParam: unknown): Promise<Unit | undefined> {
    const account = request.countyAccount;
    if (!account) throw new AppError('unauthorized', 401);
    if (account.role === 'reviewer') {
      return account.unit_code ? await findUnit(county.db, tenant.code, account.unit_code) : undefined;
    }
    return typeof unitParam === 'string' && unitParam
      ? await findUnit(county.db, tenant.code, unitParam.slice(0, 20))
      : undefined;
  }
  /** The reviewer's own unit restricts every console action; administrators are not restricted. */
  const restriction = (request: FastifyRequest) =>
    request.countyAccount?.role === 'reviewer' ? (request.countyAccount.unit_code ?? '-') : undefined;

  app.get('/review', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const unit = await consoleUnit(request, (request.query as { unit?: unknown }).unit);
    const units = me.role === 'county_admin' ? await listUnits(county.db, tenant.code) : [];
    const picker = me.role === 'county_admin' ? unitPicker(request, tenant, units, unit) : undefined;
    if (!unit) return sendPage(reply, unitPickerPage(request, tenant, picker));
    // A reject sent without its reason comes back here with the field marked.
    const missingReason = String((request.query as { reason_missing?: unknown }).reason_missing ?? '');
    const work = await unitWork(county, tenant, unit);
    return sendPage(reply, reviewConsolePage(request, tenant, { unit, picker, missingReason, ...work }));
  });

  const backToConsole = (request: FastifyRequest) => {
    const unit = formValue(request.body, 'unit').slice(0, 20);
    return p(`/review${unit ? `?unit=${encodeURIComponent(unit)}` : ''}`);
  };
  /**
   * Decides in one transaction; a reject refused for its empty reason goes back to the console with
   * the reason field marked (nothing decided), instead of an error page.
   */
  const withReason = async (
    request: FastifyRequest,
    reply: FastifyReply,
    decision: string,
    id: string,
    decide: (tx: CountyTx) => Promise<unknown>,
  ) => {
    try {
      await county.db.transaction().execute(decide);
    } catch (error) {
      const empty = decision === 'reject' && formValue(request.body, 'reason') === '';
      if (!(error instanceof AppError && error.code === 'county.reason_required' && empty)) throw error;
      const back = backToConsole(request);
      const marked = `${back}${back.includes('?') ? '&' : '?'}reason_missing=${encodeURIComponent(id)}`;
      return reply.redirect(`${marked}#reason-${encodeURIComponent(id)}`, 303);
    }
    return undefined;
  };

  app.post('/review/applications/:id', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const decision = asDecision(formValue(request.body, 'decision'));
    if (!decision) throw new AppError('bad_request', 400);
    const id = (request.params as { id: string }).id;
    const marked = await withReason(request, reply, decision, id, (tx) =>
      decideApplication(county, tx, {
        tenant,
        accountId: id,
        decision,
        reason: formValue(request.body, 'reason'),
        actor: me.username,
        ip: request.ip,
        via: 'console',
        unitCode: restriction(request),
      }),
    );
    return marked ?? reply.redirect(backToConsole(request), 303);
  });

  app.post('/review/transfers/:id', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const decision = asDecision(formValue(request.body, 'decision'));
    if (!decision) throw new AppError('bad_request', 400);
    const requestId = (request.params as { id: string }).id;
    if (!/^[0-9a-f-]{36}$/.test(requestId)) throw new AppError('not_found', 404);
    const marked = await withReason(request, reply, decision, requestId, (tx) =>
      decideTransfer(county, tx, {
        tenant,
        requestId,
        decision,
        reason: formValue(request.body, 'reason'),
        actor: me.username,
        ip: request.ip,
        via: 'console',
        unitCode: restriction(request),
      }),
    );
    return marked ?? reply.redirect(backToConsole(request), 303);
  });

  app.post('/review/campaigns/:campaign/accounts/:account', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const decision = formValue(request.body, 'decision');
    if (decision !== 'confirmed' && decision !== 'flagged') throw new AppError('bad_request', 400);
    const params = request.params as { campaign: string; account: string };
    if (!/^[0-9a-f-]{36}$/.test(params.account)) throw new AppError('not_found', 404);
    await county.db.transaction().execute((tx) =>
      recordDecision(tx, {
        tenant,
        campaignId: params.campaign,
        accountId: params.account,
        decision,
        actor: me.username,
        ip: request.ip,
        unitCode: restriction(request),
      }),
    );
    return reply.redirect(backToConsole(request), 303);
  });

  // --- A national ID a teacher typed: the reviewer checks the document, then records or declines ---

  const decision = (request: FastifyRequest, username: string) => ({
    tenant,
    accountId: (request.params as { id: string }).id,
    actor: username,
    ip: request.ip,
    unitCode: restriction(request),
  });

  app.post('/review/accounts/:id/national-id/confirm', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const result = await confirmNationalId(county, decision(request, me.username));
    if (result.ok !== false) return reply.redirect(backToConsole(request), 303);
    const t = request.t;
    const account = await correctableAccount(
      county,
      tenant,
      (request.params as { id: string }).id,
      restriction(request),
    );
    const unit = formValue(request.body, 'unit').slice(0, 20);
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: t('review.national_ids'),
        main: html`<h1>${t('review.national_ids')}：${account.username}</h1>
${errorSummary(request, { national_id: result.errors.national_id ? t(result.errors.national_id.key) : undefined })}
${postButton(request, p(`/review/accounts/${account.id}/national-id/decline`), t('review.national_ids.decline'), { className: 'danger', hidden: { unit } })}
<p><a href="${backToConsole(request)}">${t('review.title')}</a></p>`,
      }),
      409,
    );
  });

  app.post('/review/accounts/:id/national-id/decline', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    await declineNationalId(county, decision(request, me.username));
    return reply.redirect(backToConsole(request), 303);
  });

  // --- Correcting a staff member's national ID (the teacher asks; the reviewer checks the document) ---

  const correctionPage = async (
    request: FastifyRequest,
    account: Account,
    errors: Record<string, string | undefined>,
  ) => {
    const t = request.t;
    const unit = formValue(request.body, 'unit') || String((request.query as { unit?: unknown }).unit ?? '');
    return countyPage(request, tenant, {
      title: t('review.national_id.correct'),
      main: html`<h1>${t('review.national_id.title', { username: account.username })}</h1>${errorSummary(request, errors)}
<p>${account.real_name ?? ''}</p>
<p>${t('review.national_id.intro')}</p>
<p>${t('review.national_id.current')}：${(await maskedNationalId(county, account)) ?? t('review.national_id.none')}</p>
<form method="post" action="${p(`/review/accounts/${account.id}/national-id`)}" novalidate autocomplete="off">${csrfField(request)}
<input type="hidden" name="unit" value="${unit.slice(0, 20)}">
${field({ name: 'national_id', label: t('review.national_id.new'), error: errors.national_id, required: true, maxlength: 10, hint: t('profile.national_id.hint') })}
<button type="submit">${t('review.national_id.submit')}</button></form>
<p><a href="${backToConsole(request)}">${t('review.title')}</a></p>`,
    });
  };

  app.get('/review/accounts/:id/national-id', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const account = await correctableAccount(
      county,
      tenant,
      (request.params as { id: string }).id,
      restriction(request),
    );
    return sendPage(reply, await correctionPage(request, account, {}));
  });

  app.post('/review/accounts/:id/national-id', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const accountId = (request.params as { id: string }).id;
    const result = await correctNationalId(county, {
      tenant,
      accountId,
      nationalId: formValue(request.body, 'national_id'),
      actor: me.username,
      ip: request.ip,
      unitCode: restriction(request),
    });
    const account = await correctableAccount(county, tenant, accountId, restriction(request));
    const t = request.t;
    if (!result.ok) {
      const errors: Record<string, string | undefined> = {};
      for (const [name, error] of Object.entries(result.errors))
        if (error) errors[name] = t(error.key, error.vars);
      // The number typed is never echoed back.
      return sendPage(reply, await correctionPage(request, account, errors), 400);
    }
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: t('review.national_id.correct'),
        main: html`<h1>${t('review.national_id.correct')}</h1>
<div class="success" role="status"><p>${t('review.national_id.done', { username: account.username, masked: result.masked })}</p></div>
<p><a href="${backToConsole(request)}">${t('review.title')}</a></p>`,
      }),
    );
  });
}
