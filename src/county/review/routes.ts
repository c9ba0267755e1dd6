import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import type { Account } from '../accounts/repository.ts';
import { withRole } from '../guards.ts';
import { maskedNationalId } from '../profile/profile.ts';
import type { County } from '../services.ts';
import { findUnit, listUnits, type Tenant, type Unit } from '../tenants/tenants.ts';
import { transferDecision } from '../transfer/requests.ts';
import { formValue, localize } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';
import {
  applicationInConsole,
  type ConsoleDecision,
  campaignInConsole,
  type DecisionInput,
  takeConsoleDecision,
  transferInConsole,
} from './console-decisions.ts';
import { reviewConsolePage, unitPicker, unitPickerPage } from './console-page.ts';
import { applicationDecision } from './decide.ts';
import { registerDecisionLinks } from './decision-link.ts';
import {
  confirmNationalId,
  correctableAccount,
  correctNationalId,
  declineNationalId,
} from './national-id.ts';
import { correctedPage, correctionPage, unrecordedPage } from './national-id-pages.ts';
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
  /** Who decides, for the steps. */
  const reviewer = (request: FastifyRequest, me: Account) => ({
    tenant,
    actor: me.username,
    ip: request.ip,
    unitCode: restriction(request),
  });

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

  /** The unit the console showed (kept across its forms), and the way back to it. */
  const formUnit = (request: FastifyRequest) => formValue(request.body, 'unit').slice(0, 20);
  const backToConsole = (request: FastifyRequest) => {
    const unit = formUnit(request);
    return p(`/review${unit ? `?unit=${encodeURIComponent(unit)}` : ''}`);
  };
  /** Back to the console with the reason field of `id`'s reject marked. */
  const reasonMissing = (request: FastifyRequest, id: string) => {
    const back = backToConsole(request);
    const marked = `${back}${back.includes('?') ? '&' : '?'}reason_missing=${encodeURIComponent(id)}`;
    return `${marked}#reason-${encodeURIComponent(id)}`;
  };

  // Applications, transfers and campaign accounts: one way to take a decision.
  const decisionRoute = <I extends DecisionInput>(kind: ConsoleDecision<I>) =>
    app.post(kind.path, async (request, reply) => {
      const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
      if (!me) return;
      const params = request.params as Record<string, string | undefined>;
      const input = kind.input(params, request.body);
      const taken = await takeConsoleDecision(county, kind, input, reviewer(request, me));
      if (taken === 'reason_missing') return reply.redirect(reasonMissing(request, params.id ?? ''), 303);
      return reply.redirect(backToConsole(request), 303);
    });
  decisionRoute(applicationInConsole);
  decisionRoute(transferInConsole);
  decisionRoute(campaignInConsole);

  // --- A national ID a teacher typed: the reviewer checks the document, then records or declines ---

  const accountParam = (request: FastifyRequest) => (request.params as { id: string }).id;
  const subject = (request: FastifyRequest, me: Account) => ({
    ...reviewer(request, me),
    accountId: accountParam(request),
  });
  /** The account a page is about, with the console's unit and the way back. */
  const nationalIdView = async (request: FastifyRequest) => ({
    account: await correctableAccount(county, tenant, accountParam(request), restriction(request)),
    unit: (formValue(request.body, 'unit') || String((request.query as { unit?: unknown }).unit ?? '')).slice(
      0,
      20,
    ),
    back: backToConsole(request),
  });

  app.post('/review/accounts/:id/national-id/confirm', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const result = await confirmNationalId(county, subject(request, me));
    if (result.ok !== false) return reply.redirect(backToConsole(request), 303);
    const page = unrecordedPage(
      request,
      tenant,
      await nationalIdView(request),
      localize(request, result.errors),
    );
    return sendPage(reply, page, 409);
  });

  app.post('/review/accounts/:id/national-id/decline', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    await declineNationalId(county, subject(request, me));
    return reply.redirect(backToConsole(request), 303);
  });

  // --- Correcting a staff member's national ID (the teacher asks; the reviewer checks the document) ---

  const showCorrection = async (request: FastifyRequest, errors: Record<string, string | undefined>) => {
    const view = await nationalIdView(request);
    return correctionPage(
      request,
      tenant,
      { ...view, masked: await maskedNationalId(county, view.account) },
      errors,
    );
  };

  app.get('/review/accounts/:id/national-id', async (request, reply) => {
    if (!withRole(request, reply, tenant, ['reviewer', 'county_admin'])) return;
    return sendPage(reply, await showCorrection(request, {}));
  });

  app.post('/review/accounts/:id/national-id', async (request, reply) => {
    const me = withRole(request, reply, tenant, ['reviewer', 'county_admin']);
    if (!me) return;
    const nationalId = formValue(request.body, 'national_id');
    const result = await correctNationalId(county, { ...subject(request, me), nationalId });
    // The number typed is never echoed back.
    if (!result.ok)
      return sendPage(reply, await showCorrection(request, localize(request, result.errors)), 400);
    const view = await nationalIdView(request);
    return sendPage(reply, correctedPage(request, tenant, { ...view, masked: result.masked }));
  });
}
