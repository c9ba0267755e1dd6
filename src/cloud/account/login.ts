import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { platformView } from '../../platform/database/platform-schema.ts';
import { html } from '../../platform/views/html.ts';
import { currentCloudAccount, safeReturnTo, signIn } from '../session.ts';
import { csrfField, notice, sendCloudPage } from '../views.ts';
import { accountNameFromLogin, checkCloudPassword } from './password-check.ts';

interface LoginBody {
  name?: string;
  password?: string;
  return_to?: string;
}

async function renderLogin(
  request: FastifyRequest,
  reply: FastifyReply,
  options: { returnTo: string; name?: string; error?: string; status?: number },
) {
  const t = request.t;
  const { cloud } = request.server;
  const domain = cloud.ctx.config.cloudMailDomain;
  const counties = await cloud.counties.list({ enabledOnly: true });
  const countyHref = (code: string) =>
    `/login/county/${encodeURIComponent(code)}?return_to=${encodeURIComponent(options.returnTo)}`;
  return sendCloudPage(request, reply, {
    title: t('cloud.login.title'),
    status: options.status,
    main: html`<h1>${t('cloud.login.title')}</h1>
${notice(request, ['cloud.logout.done', 'cloud.reset.done'])}
${options.error ? html`<div class="alert" role="alert"><p>${options.error}</p></div>` : ''}
<section aria-labelledby="cloud-login">
<h2 id="cloud-login">${t('cloud.login.cloud_heading')}</h2>
<form method="post" action="/login">
${csrfField(request)}
<input type="hidden" name="return_to" value="${options.returnTo}">
<p><label for="name">${t('cloud.login.name')}</label>
<input type="text" id="name" name="name" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${options.name ?? ''}" aria-describedby="name-hint">
<span class="hint" id="name-hint">${t('cloud.login.name_hint', { domain: `@${domain}` })}</span></p>
<p><label for="password">${t('cloud.login.password')}</label>
<input type="password" id="password" name="password" autocomplete="current-password" required></p>
<p><button type="submit">${t('cloud.login.submit')}</button> <a href="/password/forgot">${t('cloud.login.forgot')}</a></p>
</form>
</section>
<section aria-labelledby="county-login">
<h2 id="county-login">${t('cloud.login.county_heading')}</h2>
<p>${t('cloud.login.county_intro')}</p>
${
  counties.length === 0
    ? html`<p>${t('cloud.login.county_none')}</p>`
    : html`<ul class="counties">${counties.map(
        (c) => html`<li><a class="button secondary" href="${countyHref(c.code)}">${c.name}</a></li>`,
      )}</ul>`
}
</section>`,
  });
}

/** The cloud login page: cloud account + password, or 「縣市帳號登入」 with the county list. */
export function loginRoutes(app: FastifyInstance): void {
  const { cloud } = app;
  const origin = cloud.ctx.urls.cloud;

  app.get('/login', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const returnTo = safeReturnTo(query.return_to, origin);
    // `reauth`: a client asked for a fresh sign-in (prompt=login, max_age), so no shortcut.
    if (query.reauth !== '1' && (await currentCloudAccount(request))) return reply.redirect(returnTo, 303);
    return renderLogin(request, reply, { returnTo });
  });

  app.post<{ Body: LoginBody }>('/login', async (request, reply) => {
    const body = request.body ?? {};
    const returnTo = safeReturnTo(body.return_to, origin);
    const typed = typeof body.name === 'string' ? body.name.slice(0, 200) : '';
    const name = accountNameFromLogin(typed, cloud.ctx.config.cloudMailDomain);
    const password = typeof body.password === 'string' ? body.password : '';
    const account = await checkCloudPassword(cloud, request, name, password);
    const db = platformView(cloud.db);
    if (!account) {
      await recordAudit(db, { actor: name || 'anonymous', action: 'login.failed', ip: request.ip });
      return renderLogin(request, reply, {
        returnTo,
        name: typed,
        error: request.t('cloud.login.failed'),
        status: 401,
      });
    }
    if (account.state !== 'active') {
      await recordAudit(db, { actor: account.name, action: 'login.refused_suspended', ip: request.ip });
      return renderLogin(request, reply, {
        returnTo,
        name: typed,
        error: request.t('cloud.login.suspended'),
        status: 403,
      });
    }
    await signIn(request, account, { amr: ['pwd'] });
    await recordAudit(db, {
      actor: account.name,
      action: 'login.succeeded',
      ip: request.ip,
      details: { via: 'password' },
    });
    return reply.redirect(returnTo, 303);
  });
}
