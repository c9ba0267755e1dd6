import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { pageTime } from '../../platform/i18n/time.ts';
import { html } from '../../platform/views/html.ts';
import { cloudAuthentication, currentSessionId, requireCloudAccount } from '../session.ts';
import { csrfField, notice, sendCloudPage, violations } from '../views.ts';
import type { CloudAccount } from './accounts.ts';
import { backupEmailProblems, queueBackupEmailMail } from './backup-email.ts';
import { changeCloudPassword } from './change-password.ts';
import { revokeEverywhere } from './sign-out.ts';

const NOTICES = [
  'cloud.account.backup_verified',
  'cloud.account.unlinked',
  'cloud.account.password_changed',
  'cloud.account.revoked',
  'cloud.admin.saved',
];

/** How long a fresh county sign-in lets the person set a new cloud password without the old one. */
const COUNTY_RECOVERY_MS = 10 * 60_000;

/**
 * Whether this session signed in through a county moments ago, with credentials the county
 * checked then (its `auth_time`): the county proved the person, who may set a new cloud password
 * without the forgotten one (the forgot-password page sends teachers without a backup email here).
 */
export function recoveredByCounty(request: FastifyRequest): boolean {
  const auth = cloudAuthentication(request);
  if (!auth?.amr.includes('fed') || auth.at === undefined) return false;
  const now = Date.now();
  return now - auth.at < COUNTY_RECOVERY_MS && now - auth.time * 1000 < COUNTY_RECOVERY_MS;
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

async function renderAccount(
  request: FastifyRequest,
  reply: FastifyReply,
  account: CloudAccount,
  options: { passwordProblems?: string[]; emailProblems?: string[]; message?: string; status?: number } = {},
) {
  const t = request.t;
  const { cloud } = request.server;
  const identities = await cloud.accounts.identities(account.id);
  const counties = new Map((await cloud.counties.list()).map((c) => [c.code, c.name]));
  const apps = cloud.grants ? await cloud.grants.list(account.id) : [];
  const canUnlink = account.hasPassword || identities.length > 1;
  const recovering = account.hasPassword && recoveredByCounty(request);
  return sendCloudPage(request, reply, {
    title: t('cloud.account.title'),
    account,
    status: options.status,
    main: html`<h1>${t('cloud.account.title')}</h1>
${notice(request, NOTICES)}
${options.message ? html`<div class="notice" role="status"><p>${options.message}</p></div>` : ''}
<dl>
<dt>${t('cloud.account.email')}</dt><dd><strong id="cloud-email">${cloud.emailOf(account)}</strong></dd>
<dt>${t('cloud.account.name')}</dt><dd>${account.displayName}</dd>
<dt>${t('cloud.account.backup_email')}</dt><dd>${
      account.backupEmail ??
      (account.pendingBackupEmail
        ? t('cloud.account.backup_pending', { email: account.pendingBackupEmail })
        : t('cloud.account.backup_none'))
    }</dd>
</dl>

<h2 id="identities">${t('cloud.account.identities')}</h2>
${
  identities.length === 0
    ? html`<p>${t('cloud.account.no_identities')}</p>`
    : html`<ul aria-labelledby="identities">${identities.map(
        (i) => html`<li>${t('cloud.account.identity_row', {
          county: counties.get(i.countyCode) ?? i.countyCode,
          username: i.snapshot.username ?? i.subject,
        })}
<span class="meta">${t('cloud.account.last_login', { time: pageTime(request.locale, i.lastLoginAt) })}</span>
${i.snapshot.schoolid ? html`<span class="meta">${i.snapshot.schoolid} ${i.snapshot.titles.flatMap((x) => x.titles).join('、')}</span>` : ''}
${
  canUnlink
    ? html`<form method="post" action="/account/identities/${i.id}/unlink" class="inline">${csrfField(request)}
<button type="submit" class="secondary">${t('cloud.account.unlink')}</button></form>`
    : ''
}</li>`,
      )}</ul>`
}

<h2 id="apps">${t('cloud.account.apps')}</h2>
${
  apps.length === 0
    ? html`<p>${t('cloud.account.no_apps')}</p>`
    : html`<ul aria-labelledby="apps">${apps.map(
        (
          a,
        ) => html`<li><strong>${a.name}</strong> <span class="meta">${a.scopes.map((s) => t(`cloud.scope.${s}`)).join('、')}</span>
<form method="post" action="/account/apps/revoke" class="inline">${csrfField(request)}
<input type="hidden" name="client_id" value="${a.clientId}">
<button type="submit" class="secondary">${t('cloud.account.revoke')}</button></form></li>`,
      )}</ul>`
}

<p><a href="/account/sessions">${t('cloud.sessions.title')}</a></p>

<h2 id="password">${t('cloud.account.password')}</h2>
${violations(request, options.passwordProblems ?? [])}
<form method="post" action="/account/password">${csrfField(request)}
<input type="text" name="username" value="${account.name}" autocomplete="username" hidden>
${recovering ? html`<p class="notice">${t('cloud.account.password_recover')}</p>` : ''}
${
  account.hasPassword && !recovering
    ? html`<p><label for="current">${t('cloud.account.password_current')}</label>
<input type="password" id="current" name="current" autocomplete="current-password" required></p>`
    : ''
}
<p><label for="new-password">${t('cloud.account.password_new')}</label>
<input type="password" id="new-password" name="password" autocomplete="new-password" required></p>
<p><label for="new-password-confirm">${t('cloud.account.password_confirm')}</label>
<input type="password" id="new-password-confirm" name="password_confirm" autocomplete="new-password" required></p>
<p><button type="submit">${t('cloud.account.password_submit')}</button></p></form>

<h2 id="backup">${t('cloud.account.backup_change')}</h2>
${violations(request, options.emailProblems ?? [])}
<form method="post" action="/account/backup-email">${csrfField(request)}
<p><label for="email">${t('cloud.first.password.email')}</label>
<input type="email" id="email" name="email" autocomplete="email" required></p>
<p><label for="email_confirm">${t('cloud.first.password.email_confirm')}</label>
<input type="email" id="email_confirm" name="email_confirm" autocomplete="email" required></p>
<p><button type="submit">${t('cloud.account.backup_change')}</button></p></form>`,
  });
}

/** The account page: the account, linked county identities, authorized applications, password, backup email. */
export function accountRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.get('/account', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    return renderAccount(request, reply, account);
  });

  app.post<{ Params: { id: string } }>('/account/identities/:id/unlink', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const identities = await cloud.accounts.identities(account.id);
    const identity = identities.find((i) => i.id === request.params.id);
    // The only county account: unlinking it changes how the person signs in, so it is confirmed.
    if (identity && identities.length === 1 && field(request.body, 'confirm') !== 'yes') {
      const t = request.t;
      const counties = new Map((await cloud.counties.list()).map((c) => [c.code, c.name]));
      return sendCloudPage(request, reply, {
        title: t('cloud.account.unlink_confirm.title'),
        account,
        main: html`<h1>${t('cloud.account.unlink_confirm.title')}</h1>
<div class="notice" role="alert"><p>${t('cloud.account.unlink_confirm.body', {
          county: counties.get(identity.countyCode) ?? identity.countyCode,
          username: identity.snapshot.username ?? identity.subject,
          email: cloud.emailOf(account),
        })}</p></div>
<form method="post" action="/account/identities/${identity.id}/unlink" class="inline">${csrfField(request)}
<input type="hidden" name="confirm" value="yes">
<button type="submit">${t('cloud.account.unlink_confirm.yes')}</button></form>
<a class="button secondary" href="/account#identities">${t('cloud.account.unlink_confirm.no')}</a>`,
      });
    }
    await cloud.db.transaction().execute(async (tx) => {
      await cloud.accounts.unlink(account.id, request.params.id, tx);
      await recordAudit(tx, {
        actor: account.name,
        action: 'identity.unlinked',
        target: account.id,
        ip: request.ip,
      });
    });
    return reply.redirect('/account?notice=cloud.account.unlinked', 303);
  });

  app.post('/account/password', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const input = {
      current: field(request.body, 'current'),
      password: field(request.body, 'password'),
      confirmation: field(request.body, 'password_confirm'),
    };
    const refused = await changeCloudPassword(cloud, request, account, input, recoveredByCounty(request));
    if (refused)
      return renderAccount(request, reply, account, {
        passwordProblems: refused.problems,
        status: refused.status,
      });
    // The other browsers are signed out; every OIDC session, grant and token of the account ends.
    await revokeEverywhere(cloud, account.id, currentSessionId(request));
    request.session.regenerate();
    return reply.redirect('/account?notice=cloud.account.password_changed', 303);
  });

  app.post('/account/backup-email', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const email = field(request.body, 'email').trim().toLowerCase();
    const problems = backupEmailProblems(
      email,
      field(request.body, 'email_confirm').trim().toLowerCase(),
      cloud.ctx.config.cloudMailDomain,
    );
    if (problems.length > 0)
      return renderAccount(request, reply, account, { emailProblems: problems, status: 422 });
    await cloud.db.transaction().execute(async (tx) => {
      await cloud.accounts.setPendingBackupEmail(account.id, email, tx);
      await queueBackupEmailMail(cloud, request, tx, account, email);
    });
    const updated = (await cloud.accounts.byId(account.id)) ?? account;
    return renderAccount(request, reply, updated, {
      message: request.t('cloud.account.backup_sent', { email }),
    });
  });

  app.post('/account/apps/revoke', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const clientId = field(request.body, 'client_id');
    if (cloud.grants && clientId) {
      await cloud.grants.revoke(account.id, clientId);
      await recordAudit(cloud.db, {
        actor: account.name,
        action: 'consent.revoked',
        target: clientId,
        ip: request.ip,
      });
    }
    return reply.redirect('/account?notice=cloud.account.revoked', 303);
  });
}
