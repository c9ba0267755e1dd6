import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeUsername } from '../../identity/index.ts';
import { AppError, rateLimited } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { emailTaken, normalizeEmail, usernameTaken } from '../accounts/repository.ts';
import { CONTENT_LANG, renderMarkdown } from '../content/markdown.ts';
import { getPage } from '../content/pages.ts';
import { platformDb } from '../db.ts';
import { LINKS } from '../links.ts';
import type { RegistrationState } from '../schema.ts';
import type { County } from '../services.ts';
import { findUnit, findUnitByMailbox, listUnits, searchUnits, type Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, formSecret, formValue } from '../views/form.ts';
import { countyPage, tenantPath } from '../views/page.ts';
import { canVisit, completeStep, loadFlow, type RegistrationFlow, startFlow } from './flow.ts';
import {
  credentialErrors,
  emailErrors,
  type FieldErrors,
  hasErrors,
  MAX_EMAIL,
  MAX_PASSWORD_INPUT,
  mailboxFormatError,
} from './rules.ts';
import { submitRegistration, verifyEmail } from './submit.ts';

const SESSION_KEY = 'registration';
const STEP_PATHS: Record<Exclude<RegistrationState, 'submitted'>, string> = {
  credentials: '/register/credentials',
  email: '/register/email',
  terms: '/register/terms',
  unit: '/register/unit',
};

type Messages = Record<string, string | undefined>;

function localize(request: FastifyRequest, errors: FieldErrors): Messages {
  const out: Messages = {};
  for (const [name, error] of Object.entries(errors)) if (error) out[name] = request.t(error.key, error.vars);
  return out;
}

export async function registerRegistrationRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);
  // Whether a username or e-mail is taken tells that an account exists: a budget per address.
  const checkAvailabilityBudget = async (ip: string) => {
    const wait = await county.availabilityThrottle.take([`ip:${ip}`]);
    if (wait > 0) throw rateLimited(wait);
  };
  const unitNaming = async () => listUnits(county.db, tenant.code);

  const stepNav = (request: FastifyRequest, current: RegistrationState, flow: RegistrationFlow) => {
    const t = request.t;
    const steps = Object.keys(STEP_PATHS) as Array<Exclude<RegistrationState, 'submitted'>>;
    return html`<nav aria-label="${t('register.steps')}"><ol class="steps">${steps.map((step, i) => {
      const label = t(`register.step${i + 1}.short`);
      if (step === current) return html`<li aria-current="step"><strong>${label}</strong></li>`;
      return canVisit(flow, step)
        ? html`<li><a href="${p(STEP_PATHS[step])}">${label}</a></li>`
        : html`<li>${label}</li>`;
    })}</ol></nav>`;
  };

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
      countyPage(request, tenant, {
        title: request.t('register.title'),
        main: html`<h1>${request.t('register.title')}</h1>${stepNav(request, step, flow)}
${errorSummary(request, errors)}${body}`,
      }),
      hasErrorsIn(errors) ? (status === 200 ? 400 : status) : status,
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

  // The terms page (使用者注意事項): 「我要申請本站帳號」 starts a flow, 「暫不申請」 goes home.
  app.get('/register', async (request, reply) => {
    const t = request.t;
    const notice = await getPage(county.db, tenant, 'notice');
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: notice.title,
        main: html`<h1 lang="${CONTENT_LANG}">${notice.title}</h1>
<div class="terms" tabindex="0" role="region" aria-label="${notice.title}" lang="${CONTENT_LANG}">${renderMarkdown(notice.body_markdown)}</div>
<p>${t('register.intro.agree')}</p>
<ul class="choices">
<li><form method="post" action="${p('/register/start')}" class="inline">${csrfField(request)}<button type="submit">${t('register.intro.start')}</button></form></li>
<li><a href="${p('')}">${t('register.intro.later')}</a></li>
</ul>`,
      }),
    );
  });

  app.post('/register/start', async (request, reply) => {
    const existing = await loadFlow(county.db, tenant.code, request.session.get(SESSION_KEY));
    const flow =
      existing && existing.state !== 'submitted' ? existing : await startFlow(county.db, tenant.code);
    request.session.set(SESSION_KEY, flow.id);
    return reply.redirect(p(STEP_PATHS.credentials), 303);
  });

  // Step 1: username and password.
  const credentialsForm = (
    request: FastifyRequest,
    flow: RegistrationFlow,
    values: { username: string },
    errors: Messages,
  ) => {
    const t = request.t;
    return html`<form method="post" action="${p(STEP_PATHS.credentials)}" novalidate>${csrfField(request)}
<h2>${t('register.step1.title')}</h2>
<div class="notice"><p>${t('register.step1.warn_id')}</p><p>${t('register.step1.warn_unit')}</p></div>
${field({ name: 'username', label: t('register.username'), value: values.username, error: errors.username, required: true, autocomplete: 'username', hint: t('register.username.hint'), maxlength: 64 })}
${field({ name: 'password', label: t('register.password'), type: 'password', error: errors.password, required: !flow.password_hash, autocomplete: 'new-password', hint: flow.password_hash ? t('register.password.keep') : t('register.password.hint') })}
${field({ name: 'password_confirm', label: t('register.password_confirm'), type: 'password', error: errors.password_confirm, required: !flow.password_hash, autocomplete: 'new-password' })}
<button type="submit">${t('register.next')}</button></form>`;
  };

  app.get(STEP_PATHS.credentials, async (request, reply) => {
    const flow = await flowFor(request, reply, 'credentials');
    if (!flow) return;
    return render(
      request,
      reply,
      flow,
      'credentials',
      credentialsForm(request, flow, { username: flow.username ?? '' }, {}),
      {},
    );
  });

  app.post(STEP_PATHS.credentials, async (request, reply) => {
    const flow = await flowFor(request, reply, 'credentials');
    if (!flow) return;
    const username = formValue(request.body, 'username');
    const password = formSecret(request.body, 'password').slice(0, MAX_PASSWORD_INPUT + 1);
    const confirmation = formSecret(request.body, 'password_confirm').slice(0, MAX_PASSWORD_INPUT + 1);
    const errors = credentialErrors({ username, password, confirmation }, await unitNaming(), {
      passwordOptional: Boolean(flow.password_hash),
    });
    if (!errors.username) await checkAvailabilityBudget(request.ip);
    if (!errors.username && (await usernameTaken(county.db, tenant.code, username))) {
      errors.username = { key: 'register.error.username.taken' };
    }
    if (hasErrors(errors)) {
      const messages = localize(request, errors);
      return render(
        request,
        reply,
        flow,
        'credentials',
        credentialsForm(request, flow, { username: username.slice(0, 64) }, messages),
        messages,
      );
    }
    const passwordHash = password ? await county.hasher.hash(password) : flow.password_hash;
    await completeStep(county.db, flow, 'credentials', {
      username,
      username_normalized: normalizeUsername(username),
      password_hash: passwordHash,
    });
    return reply.redirect(p(STEP_PATHS.email), 303);
  });

  // Step 2: the personal email.
  const emailForm = (request: FastifyRequest, values: { email: string }, errors: Messages) => {
    const t = request.t;
    return html`<form method="post" action="${p(STEP_PATHS.email)}" novalidate>${csrfField(request)}
<h2>${t('register.step2.title')}</h2>
${field({ name: 'email', label: t('register.email'), type: 'email', value: values.email, error: errors.email, required: true, autocomplete: 'email', maxlength: MAX_EMAIL, hint: t('register.email.hint') })}
<p class="hint">${t('register.email.once')}</p>
<button type="submit">${t('register.next')}</button></form>`;
  };

  app.get(STEP_PATHS.email, async (request, reply) => {
    const flow = await flowFor(request, reply, 'email');
    if (!flow) return;
    return render(request, reply, flow, 'email', emailForm(request, { email: flow.email ?? '' }, {}), {});
  });

  app.post(STEP_PATHS.email, async (request, reply) => {
    const flow = await flowFor(request, reply, 'email');
    if (!flow) return;
    const email = formValue(request.body, 'email');
    const isUnitMailbox =
      email !== '' && Boolean(await findUnitByMailbox(county.db, tenant.code, email.slice(0, MAX_EMAIL)));
    const errors = emailErrors(email, isUnitMailbox);
    if (!hasErrors(errors)) await checkAvailabilityBudget(request.ip);
    if (!hasErrors(errors) && (await emailTaken(county.db, tenant.code, email))) {
      errors.email = { key: 'register.error.email.taken' };
    }
    if (hasErrors(errors)) {
      const messages = localize(request, errors);
      return render(
        request,
        reply,
        flow,
        'email',
        emailForm(request, { email: email.slice(0, MAX_EMAIL) }, messages),
        messages,
      );
    }
    await completeStep(county.db, flow, 'email', { email, email_normalized: normalizeEmail(email) });
    return reply.redirect(p(STEP_PATHS.terms), 303);
  });

  // Step 3: the terms shown again and accepted (the version and time are recorded).
  const termsForm = async (request: FastifyRequest, errors: Messages) => {
    const t = request.t;
    const terms = await getPage(county.db, tenant, 'terms');
    return html`<form method="post" action="${p(STEP_PATHS.terms)}" novalidate>${csrfField(request)}
<h2>${t('register.step3.title')}</h2>
<input type="hidden" name="version" value="${terms.version}">
<div class="terms" tabindex="0" role="region" aria-label="${terms.title}" lang="${CONTENT_LANG}">${renderMarkdown(terms.body_markdown)}</div>
<div class="field"><label><input type="checkbox" id="f-accept" name="accept" value="yes"${errors.accept ? html` aria-invalid="true" aria-describedby="f-accept-error"` : ''}> ${t('register.terms.accept')}</label>
${errors.accept ? html`<p class="field-error" id="f-accept-error">${errors.accept}</p>` : ''}</div>
<button type="submit">${t('register.next')}</button></form>`;
  };

  app.get(STEP_PATHS.terms, async (request, reply) => {
    const flow = await flowFor(request, reply, 'terms');
    if (!flow) return;
    return render(request, reply, flow, 'terms', await termsForm(request, {}), {});
  });

  app.post(STEP_PATHS.terms, async (request, reply) => {
    const flow = await flowFor(request, reply, 'terms');
    if (!flow) return;
    const terms = await getPage(county.db, tenant, 'terms');
    const errors: Messages = {};
    if (formValue(request.body, 'accept') !== 'yes')
      errors.accept = request.t('register.error.terms.required');
    // The terms changed while the applicant read them: show the new text to accept.
    else if (formValue(request.body, 'version') !== String(terms.version)) {
      errors.accept = request.t('register.error.terms.changed');
    }
    if (errors.accept) return render(request, reply, flow, 'terms', await termsForm(request, errors), errors);
    await completeStep(county.db, flow, 'terms', {
      terms_version: String(terms.version),
      terms_accepted_at: new Date(),
    });
    return reply.redirect(p(STEP_PATHS.unit), 303);
  });

  // Step 4: the reviewing unit's official mailbox (pick the unit by searching its name or code).
  const unitForm = async (
    request: FastifyRequest,
    values: { mailbox: string; q: string },
    errors: Messages,
  ) => {
    const t = request.t;
    const q = values.q.slice(0, 50);
    const results = q ? await searchUnits(county.db, tenant.code, q) : [];
    return html`<h2>${t('register.step4.title')}</h2>
<p>${t('register.unit.only', { county: tenant.name })}</p>
<form method="get" action="${p(STEP_PATHS.unit)}" role="search" class="unit-search">
<div class="field"><label for="f-q">${t('register.unit.search')}</label>
<input id="f-q" name="q" type="search" value="${q}" maxlength="50"></div>
<button type="submit" class="secondary">${t('register.unit.search.go')}</button></form>
${
  q
    ? results.length === 0
      ? html`<p role="status">${t('register.unit.search.none')}</p>`
      : html`<div role="status"><ul class="unit-results" aria-label="${t('register.unit.search.results')}">${results.map(
          (u) =>
            html`<li><a href="${p(`${STEP_PATHS.unit}?pick=${encodeURIComponent(u.code)}`)}">${u.name}（${u.code}）→ ${u.mailbox}</a></li>`,
        )}</ul></div>`
    : ''
}
<form method="post" action="${p(STEP_PATHS.unit)}" novalidate>${csrfField(request)}
${field({ name: 'mailbox', label: t('register.mailbox'), type: 'email', value: values.mailbox, error: errors.mailbox, required: true, maxlength: MAX_EMAIL, hint: t('register.mailbox.hint', { domain: tenant.mail_domain }) })}
<button type="submit">${t('register.submit')}</button></form>`;
  };

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
    return render(request, reply, flow, 'unit', await unitForm(request, { mailbox, q }, {}), {});
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
      return render(
        request,
        reply,
        flow,
        'unit',
        await unitForm(request, { mailbox: mailbox.slice(0, MAX_EMAIL), q: '' }, messages),
        messages,
      );
    }
    const result = await submitRegistration(county, tenant, flow.id, unit, request.ip);
    if (!result.ok) {
      // Someone took the username or email meanwhile: back to that step with its message.
      const messages = localize(request, result.errors);
      const body =
        result.step === 'credentials'
          ? credentialsForm(request, flow, { username: flow.username ?? '' }, messages)
          : emailForm(request, { email: flow.email ?? '' }, messages);
      return render(request, reply, flow, result.step, body, messages, 409);
    }
    return reply.redirect(p('/register/done'), 303);
  });

  app.get('/register/done', async (request, reply) => {
    const t = request.t;
    const flow = await loadFlow(county.db, tenant.code, request.session.get(SESSION_KEY));
    if (flow?.state !== 'submitted' || !flow.email) return reply.redirect(p('/register'), 303);
    const unit = flow.unit_code ? await findUnit(county.db, tenant.code, flow.unit_code) : undefined;
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: t('register.done.title'),
        main: html`<h1>${t('register.done.title')}</h1>
<div class="success" role="status"><p>${t('register.done.body', { email: flow.email, unit: unit?.name ?? '' })}</p></div>
<ol><li>${t('register.done.next1')}</li><li>${t('register.done.next2', { unit: unit?.name ?? '' })}</li><li>${t('register.done.next3')}</li></ol>
<p><a href="${p('')}">${t('layout.home')}</a></p>`,
      }),
    );
  });

  // The verification link of step 2: a page with a button, so that mail scanners opening links
  // do not verify on their own.
  app.get('/register/verify', async (request, reply) => {
    const t = request.t;
    const token = String((request.query as { token?: unknown }).token ?? '').slice(0, 2000);
    const claims = await county.links.inspect(token, LINKS.verifyEmail.purpose);
    if (await county.links.isUsed(platformDb(county.db), claims.jti)) throw new AppError('link_used', 410);
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: t('verify.title'),
        main: html`<h1>${t('verify.title')}</h1><p>${t('verify.body')}</p>
<form method="post" action="${p('/register/verify')}">${csrfField(request)}<input type="hidden" name="token" value="${token}">
<button type="submit">${t('verify.submit')}</button></form>`,
      }),
    );
  });

  app.post('/register/verify', async (request, reply) => {
    const t = request.t;
    const account = await verifyEmail(
      county,
      tenant,
      formValue(request.body, 'token').slice(0, 2000),
      request.ip,
    );
    const unit = account.unit_code ? await findUnit(county.db, tenant.code, account.unit_code) : undefined;
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: t('verify.done.title'),
        main: html`<h1>${t('verify.done.title')}</h1>
<div class="success" role="status"><p>${t('verify.done.body', { unit: unit?.name ?? '', mailbox: unit?.mailbox ?? '' })}</p></div>
<p><a href="${p('')}">${t('layout.home')}</a></p>`,
      }),
    );
  });
}

function hasErrorsIn(errors: Messages): boolean {
  return Object.values(errors).some(Boolean);
}
