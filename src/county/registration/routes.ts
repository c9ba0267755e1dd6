import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import type { SafeHtml } from '../../platform/views/html.ts';
import { getPage } from '../content/pages.ts';
import { LINKS } from '../links.ts';
import type { RegistrationState } from '../schema.ts';
import type { County } from '../services.ts';
import { findUnit, findUnitByMailbox, searchUnits, type Tenant } from '../tenants/tenants.ts';
import { formSecret, formValue, hasAny, localize } from '../views/form.ts';
import { tenantPath } from '../views/page.ts';
import { canVisit, loadFlow, type RegistrationFlow, startFlow } from './flow.ts';
import {
  credentialsForm,
  donePage,
  emailForm,
  type Messages,
  noticePage,
  STEP_PATHS,
  stepPage,
  termsForm,
  unitForm,
  verifiedPage,
  verifyPage,
} from './pages.ts';
import { hasErrors, MAX_EMAIL, MAX_PASSWORD_INPUT, mailboxFormatError } from './rules.ts';
import { acceptTerms, saveCredentials, saveEmail } from './steps.ts';
import { submitRegistration, verifyEmail } from './submit.ts';

const SESSION_KEY = 'registration';

/** The registration flow's routes: parse the form, run the step, show the next page. */
export async function registerRegistrationRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  const render = (
    request: FastifyRequest,
    reply: FastifyReply,
    flow: RegistrationFlow,
    step: RegistrationState,
    body: SafeHtml,
    errors: Messages,
    status = 200,
  ) =>
    sendPage(
      reply,
      stepPage(request, tenant, flow, step, body, errors),
      hasAny(errors) ? (status === 200 ? 400 : status) : status,
    );

  /** The flow of this session, or a redirect (to the terms page, or to the step it is at). */
  async function flowFor(request: FastifyRequest, reply: FastifyReply, step: RegistrationState) {
    const flow = await loadFlow(county.db, tenant.code, request.session.get(SESSION_KEY));
    if (!flow) {
      await reply.redirect(p('/register'), 303);
      return undefined;
    }
    if (flow.state === 'submitted') {
      await reply.redirect(p('/register/done'), 303);
      return undefined;
    }
    if (!canVisit(flow, step)) {
      await reply.redirect(p(STEP_PATHS[flow.state as keyof typeof STEP_PATHS]), 303);
      return undefined;
    }
    return flow;
  }

  const unitStep = async (request: FastifyRequest, mailbox: string, q: string, errors: Messages) => {
    const query = q.slice(0, 50);
    const results = query ? await searchUnits(county.db, tenant.code, query) : [];
    return unitForm(request, tenant, { mailbox, q: query, results }, errors);
  };

  app.get('/register', async (request, reply) =>
    sendPage(reply, noticePage(request, tenant, await getPage(county.db, tenant, 'notice'))),
  );

  app.post('/register/start', async (request, reply) => {
    const existing = await loadFlow(county.db, tenant.code, request.session.get(SESSION_KEY));
    const flow =
      existing && existing.state !== 'submitted' ? existing : await startFlow(county.db, tenant.code);
    request.session.set(SESSION_KEY, flow.id);
    return reply.redirect(p(STEP_PATHS.credentials), 303);
  });

  app.get(STEP_PATHS.credentials, async (request, reply) => {
    const flow = await flowFor(request, reply, 'credentials');
    if (!flow) return;
    const form = credentialsForm(request, tenant, flow, { username: flow.username ?? '' }, {});
    return render(request, reply, flow, 'credentials', form, {});
  });

  app.post(STEP_PATHS.credentials, async (request, reply) => {
    const flow = await flowFor(request, reply, 'credentials');
    if (!flow) return;
    const username = formValue(request.body, 'username');
    const password = formSecret(request.body, 'password').slice(0, MAX_PASSWORD_INPUT + 1);
    const confirmation = formSecret(request.body, 'password_confirm').slice(0, MAX_PASSWORD_INPUT + 1);
    const errors = await saveCredentials(
      county,
      tenant,
      flow,
      { username, password, confirmation },
      request.ip,
    );
    if (!hasErrors(errors)) return reply.redirect(p(STEP_PATHS.email), 303);
    const messages = localize(request, errors);
    const form = credentialsForm(request, tenant, flow, { username: username.slice(0, 64) }, messages);
    return render(request, reply, flow, 'credentials', form, messages);
  });

  app.get(STEP_PATHS.email, async (request, reply) => {
    const flow = await flowFor(request, reply, 'email');
    if (!flow) return;
    return render(
      request,
      reply,
      flow,
      'email',
      emailForm(request, tenant, { email: flow.email ?? '' }, {}),
      {},
    );
  });

  app.post(STEP_PATHS.email, async (request, reply) => {
    const flow = await flowFor(request, reply, 'email');
    if (!flow) return;
    const email = formValue(request.body, 'email');
    const errors = await saveEmail(county, tenant, flow, email, request.ip);
    if (!hasErrors(errors)) return reply.redirect(p(STEP_PATHS.terms), 303);
    const messages = localize(request, errors);
    const form = emailForm(request, tenant, { email: email.slice(0, MAX_EMAIL) }, messages);
    return render(request, reply, flow, 'email', form, messages);
  });

  app.get(STEP_PATHS.terms, async (request, reply) => {
    const flow = await flowFor(request, reply, 'terms');
    if (!flow) return;
    const terms = await getPage(county.db, tenant, 'terms');
    return render(request, reply, flow, 'terms', termsForm(request, tenant, terms, {}), {});
  });

  app.post(STEP_PATHS.terms, async (request, reply) => {
    const flow = await flowFor(request, reply, 'terms');
    if (!flow) return;
    // The terms may have changed while the applicant read them: then the new text is shown to accept.
    const terms = await getPage(county.db, tenant, 'terms');
    const input = { accept: formValue(request.body, 'accept'), version: formValue(request.body, 'version') };
    const errors = await acceptTerms(county, flow, terms, input);
    if (!hasErrors(errors)) return reply.redirect(p(STEP_PATHS.unit), 303);
    const messages = localize(request, errors);
    return render(request, reply, flow, 'terms', termsForm(request, tenant, terms, messages), messages);
  });

  app.get(STEP_PATHS.unit, async (request, reply) => {
    const flow = await flowFor(request, reply, 'unit');
    if (!flow) return;
    const query = request.query as { q?: unknown; pick?: unknown };
    const picked =
      typeof query.pick === 'string'
        ? await findUnit(county.db, tenant.code, query.pick.slice(0, 20))
        : undefined;
    const current = flow.unit_code ? await findUnit(county.db, tenant.code, flow.unit_code) : undefined;
    const mailbox = picked?.active ? picked.mailbox : (current?.mailbox ?? '');
    const q = typeof query.q === 'string' ? query.q.trim() : '';
    return render(request, reply, flow, 'unit', await unitStep(request, mailbox, q, {}), {});
  });

  app.post(STEP_PATHS.unit, async (request, reply) => {
    const loaded = await loadFlow(county.db, tenant.code, request.session.get(SESSION_KEY));
    // A second submit of the last step lands on the same result page.
    if (loaded?.state === 'submitted') return reply.redirect(p('/register/done'), 303);
    const flow = await flowFor(request, reply, 'unit');
    if (!flow) return;
    const mailbox = formValue(request.body, 'mailbox');
    const errors = mailboxFormatError(mailbox, tenant.mail_domain);
    const unit = hasErrors(errors) ? undefined : await findUnitByMailbox(county.db, tenant.code, mailbox);
    if (!hasErrors(errors) && !unit?.active) errors.mailbox = { key: 'register.error.mailbox.unknown' };
    if (hasErrors(errors) || !unit) {
      const messages = localize(request, errors);
      const form = await unitStep(request, mailbox.slice(0, MAX_EMAIL), '', messages);
      return render(request, reply, flow, 'unit', form, messages);
    }
    const result = await submitRegistration(county, tenant, flow.id, unit, request.ip);
    if (result.ok) return reply.redirect(p('/register/done'), 303);
    // Someone took the username or email meanwhile: back to that step with its message.
    const messages = localize(request, result.errors);
    const body =
      result.step === 'credentials'
        ? credentialsForm(request, tenant, flow, { username: flow.username ?? '' }, messages)
        : emailForm(request, tenant, { email: flow.email ?? '' }, messages);
    return render(request, reply, flow, result.step, body, messages, 409);
  });

  app.get('/register/done', async (request, reply) => {
    const flow = await loadFlow(county.db, tenant.code, request.session.get(SESSION_KEY));
    if (flow?.state !== 'submitted' || !flow.email) return reply.redirect(p('/register'), 303);
    const unit = flow.unit_code ? await findUnit(county.db, tenant.code, flow.unit_code) : undefined;
    return sendPage(reply, donePage(request, tenant, flow.email, unit));
  });

  app.get('/register/verify', async (request, reply) => {
    const token = String((request.query as { token?: unknown }).token ?? '').slice(0, 2000);
    const claims = await county.links.inspect(token, LINKS.verifyEmail.purpose);
    if (await county.links.isUsed(county.db, claims.jti)) throw new AppError('link_used', 410);
    return sendPage(reply, verifyPage(request, tenant, token));
  });

  app.post('/register/verify', async (request, reply) => {
    const token = formValue(request.body, 'token').slice(0, 2000);
    const account = await verifyEmail(county, tenant, token, request.ip);
    const unit = account.unit_code ? await findUnit(county.db, tenant.code, account.unit_code) : undefined;
    return sendPage(reply, verifiedPage(request, tenant, unit));
  });
}
