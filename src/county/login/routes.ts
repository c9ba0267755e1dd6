import type { FastifyInstance } from 'fastify';
import { sendPage } from '../../platform/http/role-app.ts';
import { html } from '../../platform/views/html.ts';
import { profileCompleteness } from '../accounts/profile.ts';
import { audit } from '../db.ts';
import { safeNext } from '../guards.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { formValue } from '../views/form.ts';
import { countyPage, tenantPath } from '../views/page.ts';
import { loginForm } from './form.ts';
import { applyOutcome, handleLogin, loginFormState } from './handler.ts';
import { signOut } from './session.ts';
import { signedOutPage } from './signed-out.ts';

export async function registerLoginRoutes(app: FastifyInstance, county: County, tenant: Tenant) {
  const p = (path: string) => tenantPath(tenant, path);
  const reportCookie = `edugate_county_${tenant.code}_signed_out`;

  app.get('/login', async (request, reply) => {
    const next = safeNext(tenant, (request.query as { next?: unknown }).next);
    if (request.countyAccount) return reply.redirect(next, 303);
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: request.t('login.title'),
        main: html`${loginForm(request, {
          action: p('/login'),
          hidden: { next },
          headingLevel: 1,
          ...(await loginFormState(county, tenant.code, request)),
        })}
<p><a href="${p('/register')}">${request.t('nav.register')}</a> · <a href="${p('/forgot')}">${request.t('nav.forgot')}</a></p>`,
      }),
    );
  });

  app.post('/login', async (request, reply) => {
    const next = safeNext(tenant, formValue(request.body, 'next'));
    const outcome = await handleLogin(county, tenant.code, request, reply);
    if (outcome.kind === 'signed_in') {
      // Until the profile check is complete, it is where a teacher lands (「OpenID認證資料檢核」).
      const incomplete = outcome.account.role === 'teacher' && !profileCompleteness(outcome.account).complete;
      return reply.redirect(incomplete ? p('/profile/check') : next, 303);
    }
    applyOutcome(reply, outcome);
    return sendPage(
      reply,
      countyPage(request, tenant, {
        title: request.t('login.title'),
        main: html`${loginForm(request, { action: p('/login'), hidden: { next }, headingLevel: 1, ...outcome.form })}
<p><a href="${p('/register')}">${request.t('nav.register')}</a> · <a href="${p('/forgot')}">${request.t('nav.forgot')}</a></p>`,
      }),
      outcome.status,
    );
  });

  app.post('/logout', async (request, reply) => {
    const account = request.countyAccount;
    if (account) {
      await audit(county.db, {
        tenant: tenant.code,
        actor: account.username,
        action: 'logout',
        target: account.id,
        ip: request.ip,
      });
    }
    // The county's OIDC session of this browser ends too, and its relying parties are told.
    const ended = await county.signOuts.browser(tenant.code, request, reply);
    await signOut(county, request);
    // The education cloud was signed in through this session: the browser goes through its sign-out
    // URL, which also ends Google's session (front channel), and comes back to 「您已登出」 here.
    const cloud = new URL(county.ctx.urls.cloud).origin;
    if (ended.backchannelLogoutUris.some((uri) => new URL(uri).origin === cloud)) {
      reply.setCookie(reportCookie, Buffer.from(JSON.stringify(ended.names)).toString('base64url'), {
        path: p('/signed-out'),
        httpOnly: true,
        sameSite: 'lax',
        secure: county.ctx.config.secureCookies,
        maxAge: 600,
      });
      const back = `${county.tenantUrl(tenant.code)}/signed-out`;
      return reply.redirect(`${cloud}/logout?continue=${encodeURIComponent(back)}`, 303);
    }
    return sendPage(reply, signedOutPage(request, tenant, ended.names));
  });

  // 「您已登出」 after the detour through the education cloud's sign-out URL.
  app.get('/signed-out', async (request, reply) => {
    let apps: string[] = [];
    try {
      const parsed: unknown = JSON.parse(
        Buffer.from(request.cookies[reportCookie] ?? '', 'base64url').toString(),
      );
      if (Array.isArray(parsed)) apps = parsed.filter((a): a is string => typeof a === 'string').slice(0, 20);
    } catch {
      // No report (or a damaged one): the page names the portal only.
    }
    return sendPage(reply, signedOutPage(request, tenant, apps));
  });
}
