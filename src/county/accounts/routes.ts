import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { signedIn } from '../guards.ts';
import { currentSessionId } from '../login/session.ts';
import { maskedNationalId } from '../profile/profile.ts';
import type { County } from '../services.ts';
import { findUnit, type Tenant } from '../tenants/tenants.ts';
import {
  csrfField,
  errorSummary,
  field,
  formSecret,
  formValue,
  localize,
  postButton,
} from '../views/form.ts';
import { formatTime, sendHeadedPage, tenantPath } from '../views/page.ts';
import { loginKey } from './authenticate.ts';
import { registerEmailRoutes } from './email.ts';
import {
  changePassword,
  inspectResetToken,
  newPasswordErrors,
  requestPasswordReset,
  resetPassword,
} from './password.ts';
import { profileCompleteness } from './profile.ts';
import { type AccountSession, liveSessionsOf, revokeOtherSessions, revokeSession } from './sessions.ts';

/** 「登入紀錄」: the account's live sessions, each but this browser's with a button that ends it. */
function sessionsPage(request: FastifyRequest, tenant: Tenant, sessions: AccountSession[]): SafeHtml {
  const t = request.t;
  const p = (path: string) => tenantPath(tenant, path);
  const current = currentSessionId(request);
  return html`
<table><thead><tr><th scope="col">${t('account.sessions.started')}</th><th scope="col">${t('account.sessions.seen')}</th><th scope="col">${t('account.sessions.ip')}</th><th scope="col">${t('account.sessions.agent')}</th><th scope="col">${t('review.actions')}</th></tr></thead><tbody>
${sessions.map(
  (
    s,
  ) => html`<tr><td>${formatTime(s.created_at)}</td><td>${formatTime(s.last_seen_at)}</td><td>${s.ip ?? ''}</td><td translate="no" class="device">${s.user_agent ?? ''}</td>
<td>${s.id === current ? html`<strong>${t('account.sessions.this')}</strong>` : postButton(request, p(`/account/sessions/${encodeURIComponent(s.id)}/revoke`), t('account.sessions.revoke'), { className: 'secondary' })}</td></tr>`,
)}</tbody></table>
${sessions.length > 1 ? postButton(request, p('/account/sessions/revoke-others'), t('account.sessions.revoke_others')) : ''}`;
}

export async function registerAccountRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  await registerEmailRoutes(app, county, tenant);

  app.get('/account', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const t = request.t;
    const unit = me.unit_code ? await findUnit(county.db, tenant.code, me.unit_code) : undefined;
    const { complete } = profileCompleteness(me);
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'home.my_account',
      html`
${complete ? '' : html`<div class="notice"><p>${t('account.profile_incomplete')} <a href="${p('/profile/check')}">${t('profile.check.title')}</a></p></div>`}
<dl><dt>${t('register.username')}</dt><dd>${me.username}</dd>
<dt>${t('profile.real_name')}</dt><dd>${me.real_name ?? '-'}</dd>
<dt>${t('register.email')}</dt><dd>${me.email}</dd>
<dt>${t('profile.national_id')}</dt><dd>${(await maskedNationalId(county, me)) ?? '-'}</dd>
<dt>${t('profile.unit')}</dt><dd>${unit?.name ?? '-'}</dd>
<dt>${t('account.state')}</dt><dd>${t(`state.${me.state}`)}</dd>
<dt>${t('account.last_login')}</dt><dd>${formatTime(me.last_login_at)}</dd></dl>
<ul><li><a href="${p('/profile/check')}">${t('profile.check.title')}</a></li>
<li><a href="${p('/account/password')}">${t('account.password.title')}</a></li>
<li><a href="${p('/account/email')}">${t('account.email.title')}</a></li>
<li><a href="${p('/account/sessions')}">${t('account.sessions.title')}</a></li></ul>`,
    );
  });

  const passwordForm = (
    request: FastifyRequest,
    errors: Record<string, string | undefined>,
    done = false,
  ) => {
    const t = request.t;
    return html`
${done ? html`<div class="success" role="status"><p>${t('account.password.done')}</p></div>` : ''}${errorSummary(request, errors)}
<form method="post" action="${p('/account/password')}" novalidate>${csrfField(request)}
${field({ name: 'current_password', label: t('account.password.current'), type: 'password', error: errors.current_password, required: true, autocomplete: 'current-password' })}
${field({ name: 'password', label: t('account.password.new'), type: 'password', error: errors.password, required: true, autocomplete: 'new-password', hint: t('register.password.hint') })}
${field({ name: 'password_confirm', label: t('register.password_confirm'), type: 'password', error: errors.password_confirm, required: true, autocomplete: 'new-password' })}
<button type="submit">${t('profile.save')}</button></form>`;
  };

  app.get('/account/password', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    return sendHeadedPage(request, reply, tenant, 'account.password.title', passwordForm(request, {}));
  });

  app.post('/account/password', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const result = await changePassword(county, tenant, me, {
      current: formSecret(request.body, 'current_password').slice(0, 1024),
      password: formSecret(request.body, 'password').slice(0, 1024),
      confirmation: formSecret(request.body, 'password_confirm').slice(0, 1024),
      sessionId: currentSessionId(request),
      ip: request.ip,
    });
    if (!result.ok)
      return sendHeadedPage(
        request,
        reply,
        tenant,
        'account.password.title',
        passwordForm(request, localize(request, result.errors)),
        400,
      );
    return sendHeadedPage(request, reply, tenant, 'account.password.title', passwordForm(request, {}, true));
  });

  app.get('/account/sessions', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const sessions = await liveSessionsOf(county.db, me.id);
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'account.sessions.title',
      sessionsPage(request, tenant, sessions),
    );
  });

  app.post('/account/sessions/:id/revoke', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const id = (request.params as { id: string }).id.slice(0, 100);
    if (!(await revokeSession(county, tenant, me, id, request.ip))) throw new AppError('not_found', 404);
    return reply.redirect(p('/account/sessions'), 303);
  });

  app.post('/account/sessions/revoke-others', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    await revokeOtherSessions(county, tenant, me, currentSessionId(request), request.ip);
    return reply.redirect(p('/account/sessions'), 303);
  });

  // 忘記密碼: the answer is the same whether or not the account exists.
  const forgotForm = (request: FastifyRequest, sent: boolean, error?: string) => {
    const t = request.t;
    return html`
${sent ? html`<div class="success" role="status"><p>${t('forgot.sent')}</p></div>` : ''}
<p>${t('forgot.intro')}</p>
<form method="post" action="${p('/forgot')}" novalidate>${csrfField(request)}
${field({ name: 'identifier', label: t('forgot.identifier'), error, required: true, autocomplete: 'username', maxlength: 254 })}
<button type="submit">${t('forgot.submit')}</button></form>`;
  };

  app.get('/forgot', async (request, reply) =>
    sendHeadedPage(request, reply, tenant, 'forgot.title', forgotForm(request, false)),
  );

  app.post('/forgot', async (request, reply) => {
    const identifier = formValue(request.body, 'identifier');
    if (identifier === '' || identifier.length > 254) {
      return sendHeadedPage(
        request,
        reply,
        tenant,
        'forgot.title',
        forgotForm(
          request,
          false,
          request.t(identifier === '' ? 'register.error.required' : 'register.error.email.format'),
        ),
        400,
      );
    }
    await requestPasswordReset(county, tenant, identifier, request.ip);
    return sendHeadedPage(request, reply, tenant, 'forgot.title', forgotForm(request, true));
  });

  const resetForm = (request: FastifyRequest, token: string, errors: Record<string, string | undefined>) => {
    const t = request.t;
    return html`${errorSummary(request, errors)}
<form method="post" action="${p('/reset')}" novalidate>${csrfField(request)}<input type="hidden" name="token" value="${token}">
${field({ name: 'password', label: t('account.password.new'), type: 'password', error: errors.password, required: true, autocomplete: 'new-password', hint: t('register.password.hint') })}
${field({ name: 'password_confirm', label: t('register.password_confirm'), type: 'password', error: errors.password_confirm, required: true, autocomplete: 'new-password' })}
<button type="submit">${t('profile.save')}</button></form>`;
  };

  app.get('/reset', async (request, reply) => {
    const token = String((request.query as { token?: unknown }).token ?? '').slice(0, 2000);
    await inspectResetToken(county, tenant, token);
    return sendHeadedPage(request, reply, tenant, 'reset.title', resetForm(request, token, {}));
  });

  app.post('/reset', async (request, reply) => {
    const t = request.t;
    const token = formValue(request.body, 'token').slice(0, 2000);
    const account = await inspectResetToken(county, tenant, token);
    const password = formSecret(request.body, 'password').slice(0, 1024);
    const errors = newPasswordErrors(
      account,
      password,
      formSecret(request.body, 'password_confirm').slice(0, 1024),
    );
    if (Object.values(errors).some(Boolean))
      return sendHeadedPage(
        request,
        reply,
        tenant,
        'reset.title',
        resetForm(request, token, localize(request, errors)),
        400,
      );
    await resetPassword(county, tenant, token, password, request.ip);
    // The browser that proved it reads the account's mailbox gets its device cookie: its sign-ins
    // draw on a budget of their own, so the owner gets in at once while the account is under attack.
    county.deviceCookies(tenant.code).issue(request, reply, loginKey(tenant.code, account.username));
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'reset.title',
      html`<div class="success" role="status"><p>${t('reset.done')}</p></div><p><a href="${p('/login')}">${t('nav.login')}</a></p>`,
    );
  });
}
