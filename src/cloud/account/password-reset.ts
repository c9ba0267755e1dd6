import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validatePassword } from '../../identity/index.ts';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError, rateLimited } from '../../platform/errors/app-error.ts';
import { I18n } from '../../platform/i18n/i18n.ts';
import { platformMessages } from '../../platform/i18n/platform-messages.ts';
import { enqueueJob } from '../../platform/jobs/queue.ts';
import { queueMail } from '../../platform/mail/outbox.ts';
import { Throttle } from '../../platform/security/throttle.ts';
import { html } from '../../platform/views/html.ts';
import { cloudMessages } from '../messages.ts';
import type { CloudServices } from '../services.ts';
import { csrfField, sendCloudPage, violations } from '../views.ts';
import { accountNameFromLogin, hashPassword, rememberDevice } from './password-check.ts';
import { revokeEverywhere } from './sign-out.ts';

const RESET_PURPOSE = 'cloud.password-reset';
const RESET_TTL_SECONDS = 30 * 60;

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

function resetForm(
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  problems: string[],
  status = 200,
) {
  const t = request.t;
  return sendCloudPage(request, reply, {
    title: t('cloud.reset.title'),
    status,
    main: html`<h1>${t('cloud.reset.title')}</h1>
${violations(request, problems)}
<form method="post" action="/password/reset">${csrfField(request)}
<input type="hidden" name="token" value="${token}">
<p><label for="password">${t('cloud.account.password_new')}</label>
<input type="password" id="password" name="password" autocomplete="new-password" required></p>
<p><label for="password_confirm">${t('cloud.account.password_confirm')}</label>
<input type="password" id="password_confirm" name="password_confirm" autocomplete="new-password" required></p>
<p><button type="submit">${t('cloud.reset.submit')}</button></p></form>`,
  });
}

/** The job of a forgotten-password request (see `sendPasswordReset`). */
export const FORGOT_JOB = 'cloud.password.forgot';
/** Reset mails per account and hour: nobody can flood a backup mailbox. */
const RESET_MAILS_PER_ACCOUNT = { limit: 5, windowSeconds: 3600 };

const translations = new I18n(platformMessages, cloudMessages);

/**
 * Mails a one-time reset link to the confirmed backup email of an active account named in a
 * forgotten-password request; does nothing (but audit) for other names.
 */
export async function sendPasswordReset(
  cloud: CloudServices,
  payload: Record<string, unknown>,
): Promise<void> {
  const name = String(payload.name ?? '');
  const ip = String(payload.ip ?? '');
  const t = translations.translator(payload.locale === 'en' ? 'en' : 'zh-TW');
  const account = name ? await cloud.accounts.byName(name) : undefined;
  if (!account?.backupEmail || account.state !== 'active') {
    await recordAudit(cloud.db, { actor: 'anonymous', action: 'password.reset_unknown', ip });
    return;
  }
  const perAccount = new Throttle(cloud.ctx.throttleStore('cloud-forgot'), RESET_MAILS_PER_ACCOUNT);
  if ((await perAccount.take([`name:${account.name}`])) > 0) return;
  const backupEmail = account.backupEmail;
  const token = await cloud.links.sign({ purpose: RESET_PURPOSE, subject: account.id }, RESET_TTL_SECONDS);
  const link = `${cloud.ctx.urls.cloud}/password/reset?token=${encodeURIComponent(token)}`;
  await cloud.db.transaction().execute(async (tx) => {
    await queueMail(tx, {
      to: backupEmail,
      subject: t('cloud.forgot.mail_subject'),
      text: t('cloud.forgot.mail_body', { email: cloud.emailOf(account), link }),
    });
    await recordAudit(tx, {
      actor: account.name,
      action: 'password.reset_requested',
      target: account.id,
      ip,
    });
  });
}

/** Forgot password: a one-time link to the confirmed backup email, then a new password. */
export function passwordResetRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.get('/password/forgot', async (request, reply) => {
    const t = request.t;
    const counties = await cloud.counties.list({ enabledOnly: true });
    // A fresh county sign-in (reauth) proves the person; the account page then takes a new
    // password without the forgotten one.
    const recover = (code: string) =>
      `/login/county/${encodeURIComponent(code)}?reauth=1&return_to=${encodeURIComponent('/account#password')}`;
    return sendCloudPage(request, reply, {
      title: t('cloud.forgot.title'),
      main: html`<h1>${t('cloud.forgot.title')}</h1>
<p>${t('cloud.forgot.intro')}</p>
<form method="post" action="/password/forgot">${csrfField(request)}
<p><label for="name">${t('cloud.login.name')}</label>
<input type="text" id="name" name="name" autocomplete="username" autocapitalize="none" required></p>
<p><button type="submit">${t('cloud.forgot.submit')}</button></p></form>
${
  counties.length > 0
    ? html`<section aria-labelledby="recover-county"><h2 id="recover-county">${t('cloud.forgot.county_heading')}</h2>
<p>${t('cloud.forgot.county_intro')}</p>
<ul class="counties">${counties.map((c) => html`<li><a class="button secondary" href="${recover(c.code)}">${t('cloud.forgot.county_link', { county: c.name })}</a></li>`)}</ul></section>`
    : ''
}`,
    });
  });

  app.post('/password/forgot', async (request, reply) => {
    const t = request.t;
    const name = accountNameFromLogin(
      field(request.body, 'name').slice(0, 200),
      cloud.ctx.config.cloudMailDomain,
    );
    // The same constant work whether or not the account exists or has a backup email: a budget
    // per client address and one queued job (which looks the account up and mails the link).
    const wait = await cloud.addressThrottle.forgot.take([`ip:${request.ip}`]);
    if (wait > 0) throw rateLimited(wait);
    if (name) {
      await enqueueJob(cloud.db, FORGOT_JOB, { name, ip: request.ip, locale: request.locale });
    }
    // The same answer whether or not the account exists or has a backup email.
    return sendCloudPage(request, reply, {
      title: t('cloud.forgot.title'),
      main: html`<h1>${t('cloud.forgot.title')}</h1><div class="notice" role="status"><p>${t('cloud.forgot.sent')}</p></div>`,
    });
  });

  app.get('/password/reset', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string') throw new AppError('link_invalid', 400);
    const claims = await cloud.links.inspect(token, RESET_PURPOSE);
    if (await cloud.links.isUsed(cloud.db, claims.jti)) throw new AppError('link_used', 410);
    return resetForm(request, reply, token, []);
  });

  app.post('/password/reset', async (request, reply) => {
    const token = field(request.body, 'token');
    const claims = await cloud.links.inspect(token, RESET_PURPOSE);
    const account = await cloud.accounts.byId(claims.subject);
    if (!account) throw new AppError('link_invalid', 400);
    const password = field(request.body, 'password');
    const problems = validatePassword({
      password,
      confirmation: field(request.body, 'password_confirm'),
      username: account.name,
    }).map((v) => v.code);
    if (problems.length > 0) return resetForm(request, reply, token, problems, 422);
    const hash = await hashPassword(cloud, password);
    await cloud.db.transaction().execute(async (tx) => {
      await cloud.links.consume(tx, token, RESET_PURPOSE);
      await cloud.accounts.setPasswordHash(account.id, hash, tx);
      await recordAudit(tx, {
        actor: account.name,
        action: 'password.reset',
        target: account.id,
        ip: request.ip,
      });
    });
    // Every browser session, OIDC session, grant and token of the account ends.
    await revokeEverywhere(cloud, account.id);
    request.session.destroy();
    // The browser that proved it reads the account's mailbox gets its device cookie: its sign-ins
    // draw on a budget of their own, so the owner gets in at once while the account is under attack.
    rememberDevice(cloud, request, reply, account.name);
    return reply.redirect('/login?notice=cloud.reset.done', 303);
  });
}
