// Changing the personal email: the new address is used only once it is confirmed by the link
// mailed to it (the account keeps the old one until then), and the old address is told.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { html } from '../../platform/views/html.ts';
import { auditAccount, mail } from '../db.ts';
import { signedIn } from '../guards.ts';
import { LINKS } from '../links.ts';
import { mailAccount, mailMessage } from '../mail-text.ts';
import { emailErrors, type FieldErrors, hasErrors, MAX_EMAIL } from '../registration/rules.ts';
import type { County } from '../services.ts';
import { findUnitByMailbox, type Tenant } from '../tenants/tenants.ts';
import { csrfField, errorSummary, field, formSecret, formValue, localize } from '../views/form.ts';
import { formatMailTime, sendHeadedPage, tenantPath } from '../views/page.ts';
import { editAccount } from './edit.ts';
import { isCurrentPassword } from './password.ts';
import { type Account, emailTaken, findAccountById, normalizeEmail } from './repository.ts';

/** Checks the new address and the current password; mails the confirmation link to the new address. */
export async function requestEmailChange(
  county: County,
  tenant: Tenant,
  account: Account,
  input: { email: string; current: string; ip: string },
): Promise<{ ok: true; expires: Date } | { ok: false; errors: FieldErrors }> {
  const email = input.email.slice(0, MAX_EMAIL + 1);
  const isUnitMailbox = email !== '' && Boolean(await findUnitByMailbox(county.db, tenant.code, email));
  const errors = emailErrors(email, isUnitMailbox);
  if (!errors.email && normalizeEmail(email) === account.email_normalized) {
    errors.email = { key: 'account.email.error.same' };
  } else if (!errors.email && (await emailTaken(county.db, tenant.code, email))) {
    errors.email = { key: 'register.error.email.taken' };
  }
  if (input.current === '') errors.current_password = { key: 'register.error.required' };
  else if (!(await isCurrentPassword(county, account, input.current))) {
    errors.current_password = { key: 'account.error.current_password' };
  }
  if (hasErrors(errors)) return { ok: false, errors };
  const { purpose, ttlSeconds } = LINKS.changeEmail;
  const token = await county.links.sign(
    { purpose, subject: account.id, data: { tenant: tenant.code, email, from: account.email_normalized } },
    ttlSeconds,
  );
  const expires = new Date(Date.now() + ttlSeconds * 1000);
  await county.db.transaction().execute(async (tx) => {
    await mail(tx, {
      to: email,
      ...mailMessage('mail.email_change', {
        portal: tenant.portal_name,
        username: account.username,
        email,
        link: `${county.tenantUrl(tenant.code)}/account/email/confirm?token=${encodeURIComponent(token)}`,
        expires: formatMailTime(expires),
      }),
    });
    await auditAccount(tx, account, {
      actor: account.username,
      action: 'account.email_change_requested',
      ip: input.ip,
    });
  });
  return { ok: true, expires };
}

/** Confirms the new address from its link: the account's email changes, the old address is told. */
export async function confirmEmailChange(
  county: County,
  tenant: Tenant,
  token: string,
  ip: string,
): Promise<{ account: Account; email: string }> {
  const { purpose } = LINKS.changeEmail;
  const claims = await county.links.inspect(token, purpose);
  const email = String(claims.data?.email ?? '');
  if (claims.data?.tenant !== tenant.code || email === '') throw new AppError('link_invalid', 400);
  const account = await findAccountById(county.db, tenant.code, claims.subject);
  // The address the link was asked from: once the email changed another way, the link is spent.
  if (account?.state !== 'active' || account.email_normalized !== claims.data?.from) {
    throw new AppError('link_used', 410);
  }
  try {
    await county.db.transaction().execute(async (tx) => {
      await county.links.consume(tx, token, purpose);
      const changed = { email, email_normalized: normalizeEmail(email), email_verified_at: new Date() };
      await editAccount(tx, account, changed, {
        actor: account.username,
        action: 'account.email_changed',
        ip,
      });
      await mailAccount(tx, tenant, account, 'mail.email_changed', { email, at: formatMailTime(new Date()) });
    });
  } catch (error) {
    if (isUniqueViolation(error, 'county_accounts_email'))
      throw new AppError('county.email_taken', 409, { tenant: tenant.name, email });
    throw error;
  }
  return { account, email };
}

export async function registerEmailRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);

  const emailForm = (
    request: FastifyRequest,
    account: Account,
    values: { email: string },
    errors: Record<string, string | undefined>,
  ) => {
    const t = request.t;
    return html`${errorSummary(request, errors)}
<p>${t('account.email.intro', { email: account.email })}</p>
<form method="post" action="${p('/account/email')}" novalidate>${csrfField(request)}
${field({ name: 'email', label: t('account.email.new'), type: 'email', value: values.email, error: errors.email, required: true, autocomplete: 'email', maxlength: MAX_EMAIL })}
${field({ name: 'current_password', label: t('account.password.current'), type: 'password', error: errors.current_password, required: true, autocomplete: 'current-password' })}
<button type="submit">${t('account.email.submit')}</button></form>`;
  };

  app.get('/account/email', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'account.email.title',
      emailForm(request, me, { email: '' }, {}),
    );
  });

  app.post('/account/email', async (request, reply) => {
    const me = signedIn(request, reply, tenant);
    if (!me) return;
    const t = request.t;
    const email = formValue(request.body, 'email');
    const result = await requestEmailChange(county, tenant, me, {
      email,
      current: formSecret(request.body, 'current_password').slice(0, 1024),
      ip: request.ip,
    });
    if (!result.ok) {
      return sendHeadedPage(
        request,
        reply,
        tenant,
        'account.email.title',
        emailForm(request, me, { email: email.slice(0, MAX_EMAIL) }, localize(request, result.errors)),
        400,
      );
    }
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'account.email.title',
      html`
<div class="success" role="status"><p>${t('account.email.sent', { email, old: me.email })}</p></div>
<p><a href="${p('/account')}">${t('home.my_account')}</a></p>`,
    );
  });

  // The link only shows a button: mail scanners that open links change nothing.
  app.get('/account/email/confirm', async (request, reply) => {
    const t = request.t;
    const token = String((request.query as { token?: unknown }).token ?? '');
    const claims = await county.links.inspect(token, LINKS.changeEmail.purpose);
    if (await county.links.isUsed(county.db, claims.jti)) throw new AppError('link_used', 410);
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'account.email.confirm_title',
      html`
<p>${t('account.email.confirm_intro', { email: String(claims.data?.email ?? '') })}</p>
<form method="post" action="${p('/account/email/confirm')}">${csrfField(request)}<input type="hidden" name="token" value="${token}">
<button type="submit">${t('account.email.confirm')}</button></form>`,
    );
  });

  app.post('/account/email/confirm', async (request, reply) => {
    const t = request.t;
    const { email } = await confirmEmailChange(county, tenant, formValue(request.body, 'token'), request.ip);
    return sendHeadedPage(
      request,
      reply,
      tenant,
      'account.email.confirm_title',
      html`
<div class="success" role="status"><p>${t('account.email.changed', { email })}</p></div>
<p><a href="${p('/account')}">${t('home.my_account')}</a></p>`,
    );
  });
}
