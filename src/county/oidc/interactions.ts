import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../../platform/http/role-app.ts';
import {
  abortInteraction,
  finishLogin,
  type InteractionView,
  interactionView,
  mountInteractions,
  type OidcProvider,
  satisfiesLogin,
} from '../../platform/oidc/index.ts';
import { html } from '../../platform/views/html.ts';
import { type LoginFormOptions, loginForm } from '../login/form.ts';
import { applyOutcome, handleLogin, loginFormState } from '../login/handler.ts';
import { signedInAt } from '../login/session.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { csrfField } from '../views/form.ts';
import { countyPage, headedPage } from '../views/page.ts';

function loginPage(
  request: FastifyRequest,
  reply: FastifyReply,
  tenant: Tenant,
  view: InteractionView,
  form: Omit<LoginFormOptions, 'action' | 'hidden'>,
  status = 200,
) {
  const t = request.t;
  return sendPage(
    reply,
    countyPage(request, tenant, {
      title: t('login.title'),
      main: html`<p class="notice">${t('county.oidc.login.intro', { client: view.clientName, portal: tenant.portal_name })}</p>
${loginForm(request, { action: `${view.action}/login`, headingLevel: 1, ...form })}
<form method="post" action="${view.action}/abort" class="inline">${csrfField(request)}<button type="submit" class="secondary">${t('county.oidc.login.cancel')}</button></form>
<p><a href="/${tenant.code}/register">${t('nav.register')}</a> · <a href="/${tenant.code}/forgot">${t('nav.forgot')}</a></p>`,
    }),
    status,
  );
}

/**
 * The county's interaction pages: login is the portal's own login form (same CAPTCHA and
 * throttling; signing in here signs the portal in too, and a portal session signs in here without
 * a form), a refusal page for suspended or departed accounts, and the profile check for an
 * incomplete profile. Consent is the generic page of the provider core.
 */
export async function registerCountyInteractions(
  tenantApp: FastifyInstance,
  oidc: OidcProvider,
  county: County,
  tenant: Tenant,
): Promise<void> {
  await mountInteractions(tenantApp, oidc, {
    async login(request, reply, view) {
      // A portal session signs in without the form, unless the client asked for fresh credentials
      // (prompt=login, or a max_age the portal sign-in is older than): then the password again.
      const authTime = signedInAt(request);
      if (request.countyAccount && authTime !== undefined && satisfiesLogin(view, authTime)) {
        return finishLogin(oidc, request, reply, request.countyAccount.id, { authTime });
      }
      return loginPage(request, reply, tenant, view, await loginFormState(county, tenant.code, request));
    },
    prompts: {
      async county_status(request, reply, view) {
        const t = request.t;
        const state = String(view.details.status);
        const key = state === 'suspended' || state === 'departed' ? state : 'other';
        return sendPage(
          reply,
          headedPage(
            request,
            tenant,
            'county.oidc.refused.title',
            html`
<div class="alert" role="alert"><p>${t(`county.oidc.refused.${key}`)}</p></div>
<form method="post" action="${view.action}/refused">${csrfField(request)}<button type="submit" class="secondary">${t('county.oidc.refused.back')}</button></form>`,
          ),
          403,
        );
      },
      async county_profile(_request, reply, view) {
        const next = `${view.action}/continue`;
        return reply.redirect(`/${tenant.code}/profile/check?next=${encodeURIComponent(next)}`, 303);
      },
    },
  });

  // Back from the refusal page: the application learns that the county refused the account (not
  // that the person cancelled), and why.
  tenantApp.post<{ Params: { uid: string } }>('/interaction/:uid/refused', async (request, reply) => {
    const view = await interactionView(oidc, request, reply);
    if (view.prompt !== 'county_status') {
      return abortInteraction(oidc, request, reply, 'invalid_request', 'no refusal was shown');
    }
    const state = String(view.details.status);
    const reason = state === 'suspended' || state === 'departed' ? state : 'not active';
    return abortInteraction(oidc, request, reply, 'access_denied', `account ${reason}`);
  });

  tenantApp.post<{ Params: { uid: string } }>('/interaction/:uid/login', async (request, reply) => {
    const view = await interactionView(oidc, request, reply);
    if (view.prompt !== 'login') {
      return abortInteraction(oidc, request, reply, 'invalid_request', 'login was not expected');
    }
    const outcome = await handleLogin(county, tenant.code, request, reply);
    if (outcome.kind === 'signed_in') {
      return finishLogin(oidc, request, reply, outcome.account.id, {
        authTime: Math.floor(Date.now() / 1000),
      });
    }
    applyOutcome(reply, outcome);
    return loginPage(request, reply, tenant, view, outcome.form, outcome.status);
  });
}
