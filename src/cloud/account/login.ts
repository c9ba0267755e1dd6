import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { safeReturnTo } from '../../platform/http/return-to.ts';
import { SOLUTION_FIELD } from '../../platform/security/proof-of-work.ts';
import { html } from '../../platform/views/html.ts';
import { proofOfWorkField } from '../../platform/views/proof-of-work.ts';
import { currentCloudAccount, signIn } from '../session.ts';
import { csrfField, notice, sendCloudPage } from '../views.ts';
import { accountNameFromLogin, rememberDevice, verifyCloudPassword } from './password-check.ts';

interface LoginBody {
  name?: string;
  password?: string;
  return_to?: string;
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, 4096) : '';
}

async function renderLogin(
  request: FastifyRequest,
  reply: FastifyReply,
  options: {
    returnTo: string;
    reauth?: boolean;
    name?: string;
    error?: string;
    status?: number;
    challenge?: boolean;
  },
) {
  const t = request.t;
  const { cloud } = request.server;
  const domain = cloud.ctx.config.cloudMailDomain;
  const counties = await cloud.counties.list({ enabledOnly: true });
  const challenge = options.challenge ? await cloud.signInGuard.challenge() : undefined;
  const countyHref = (code: string) =>
    `/login/county/${encodeURIComponent(code)}?return_to=${encodeURIComponent(options.returnTo)}${options.reauth ? '&reauth=1' : ''}`;
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
${challenge ? proofOfWorkField(t, challenge) : ''}
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

  app.get('/login', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const returnTo = safeReturnTo(query.return_to, { fallback: '/account' });
    // `reauth`: a client asked for a fresh sign-in (prompt=login, max_age), so no shortcut.
    const reauth = query.reauth === '1';
    if (!reauth && (await currentCloudAccount(request))) return reply.redirect(returnTo, 303);
    const challenge = await cloud.signInGuard.challengeNeeded({ ip: request.ip });
    return renderLogin(request, reply, { returnTo, reauth, challenge });
  });

  app.post<{ Body: LoginBody }>('/login', async (request, reply) => {
    const body = request.body ?? {};
    const returnTo = safeReturnTo(body.return_to, { fallback: '/account' });
    const typed = typeof body.name === 'string' ? body.name.slice(0, 200) : '';
    const name = accountNameFromLogin(typed, cloud.ctx.config.cloudMailDomain);
    const password = typeof body.password === 'string' ? body.password : '';
    let check: Awaited<ReturnType<typeof verifyCloudPassword>>;
    try {
      check = await verifyCloudPassword(cloud, request, name, password, {
        solution: field(body, SOLUTION_FIELD),
      });
    } catch (error) {
      if (!(error instanceof AppError) || error.code !== 'rate_limited') throw error;
      // A spent budget: the login page says which one and what to do, with Retry-After.
      const seconds = Number(error.params.seconds ?? 60);
      const known = cloud.deviceCookies.deviceFor(request, name) !== undefined;
      reply.header('retry-after', String(seconds));
      return renderLogin(request, reply, {
        returnTo,
        name: typed,
        error: request.t(known ? 'cloud.login.throttled' : 'cloud.login.throttled_unknown_device', {
          seconds,
          minutes: Math.ceil(seconds / 60),
        }),
        status: 429,
      });
    }
    const db = cloud.db;
    if (!check.ok) {
      if (check.reason === 'invalid')
        await recordAudit(db, { actor: name || 'anonymous', action: 'login.failed', ip: request.ip });
      return renderLogin(request, reply, {
        returnTo,
        name: typed,
        error: request.t(check.reason === 'invalid' ? 'cloud.login.failed' : `cloud.login.${check.reason}`),
        status: check.reason === 'invalid' ? 401 : 400,
        challenge: check.reason === 'invalid' ? check.challenge : true,
      });
    }
    const { account } = check;
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
    rememberDevice(cloud, request, reply, name);
    await recordAudit(db, {
      actor: account.name,
      action: 'login.succeeded',
      ip: request.ip,
      details: { via: 'password' },
    });
    return reply.redirect(returnTo, 303);
  });
}
