import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../../../platform/database/platform-schema.ts';
import { safeReturnTo } from '../../../../platform/http/return-to.ts';
import { sendPage } from '../../../../platform/http/role-app.ts';
import { html, type SafeHtml } from '../../../../platform/views/html.ts';
import { page } from '../../../../platform/views/layout.ts';
import type { DirectoryUsers } from '../directory/users.ts';
import type { GoogleTables } from '../schema.ts';
import { trustedIdp } from './idp-trust.ts';
import { SamlRefused, startSignIn, verifySignIn } from './saml-sp.ts';

type Db = Kysely<GoogleTables & PlatformTables>;

export interface SignInDeps {
  db: Db;
  baseUrl: string;
  users: DirectoryUsers;
}

function view(request: FastifyRequest, title: string, main: SafeHtml) {
  return page(request, { title, brand: { name: request.t('google.brand'), href: '/' }, main });
}

/**
 * Google's sign-in as a person sees it: type `x@go.edu.tw`, get sent to the domain's identity
 * provider with a SAML AuthnRequest, come back to the ACS, and land signed in.
 */
/** Google's page for a sign-in its SAML profile refused. */
function refusal(request: FastifyRequest, reason: string): SafeHtml {
  return view(
    request,
    request.t('google.signin.title'),
    html`<h1>${request.t('google.signin.title')}</h1><div class="alert" role="alert"><p>${reason}</p></div>`,
  );
}

/** Why an address has no single sign-on: its domain is hosted without an SSO profile, or unknown. */
async function withoutSso(db: Db, request: FastifyRequest, domain: string): Promise<string> {
  const hosted = await db
    .selectFrom('google_domains')
    .select('domain')
    .where('domain', '=', domain)
    .executeTakeFirst();
  return hosted ? request.t('google.signin.no_sso', { domain }) : request.t('google.signin.unknown');
}

export function signInPages(app: FastifyInstance, deps: SignInDeps): void {
  const { db, baseUrl } = deps;

  const form = (request: FastifyRequest, problem?: string, email = '') =>
    view(
      request,
      request.t('google.signin.title'),
      html`<section class="card narrow">
<h1>${request.t('google.signin.title')}</h1>
<p>${request.t('google.signin.subtitle')}</p>
${problem ? html`<div class="alert" role="alert"><p>${problem}</p></div>` : ''}
<form method="post" action="/signin">
<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">
<label for="identifier">${request.t('google.signin.email')}</label>
<input id="identifier" name="identifier" type="email" autocomplete="username" required value="${email}">
<button type="submit">${request.t('google.signin.next')}</button>
</form>
<p class="meta">${request.t('google.signin.note')}</p>
</section>`,
    );

  app.get('/', async (request, reply) => {
    const email = request.session.get<string>('googleUser');
    if (!email) return sendPage(reply, form(request));
    const user = await deps.users.find(email);
    return sendPage(
      reply,
      view(
        request,
        request.t('google.home.title'),
        html`<h1>${request.t('google.home.title')}</h1>
<div class="success" role="status"><p id="signed-in">${request.t('google.home.signed_in', { email })}</p></div>
${user ? html`<p>${request.t('google.home.org_unit', { path: user.org_unit_path })}</p>` : ''}
<form method="post" action="/signout"><input type="hidden" name="_csrf" value="${request.session.csrfToken()}">
<button type="submit">${request.t('google.home.sign_out')}</button></form>`,
      ),
    );
  });

  // Google's own entry points: accounts.google.com and `/a/DOMAIN/ServiceLogin` both lead here.
  app.get('/a/:domain/ServiceLogin', async (request, reply) => {
    const { domain } = request.params as { domain: string };
    return sendPage(reply, form(request, undefined, `@${domain}`));
  });

  app.post('/signin', async (request, reply) => {
    const body = (request.body ?? {}) as { identifier?: string };
    const email = (body.identifier ?? '').trim().toLowerCase();
    const domain = email.split('@')[1] ?? '';
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      return sendPage(reply, form(request, request.t('google.signin.unknown'), email), 400);
    }
    let idp: Awaited<ReturnType<typeof trustedIdp>>;
    try {
      idp = await trustedIdp(db, domain);
    } catch (error) {
      request.log.warn({ err: error, domain }, 'IdP metadata unavailable');
      return sendPage(
        reply,
        form(request, request.t('google.signin.idp_unreachable', { domain }), email),
        502,
      );
    }
    if (!idp) return sendPage(reply, form(request, await withoutSso(db, request, domain), email), 404);
    return reply.redirect(await startSignIn(db, baseUrl, domain, idp, '/'));
  });

  app.post('/a/:domain/acs', { config: { csrf: false } }, async (request, reply) => {
    const { domain } = request.params as { domain: string };
    const body = (request.body ?? {}) as { SAMLResponse?: string; RelayState?: string };
    const refuse = (reason: string, status = 403) => sendPage(reply, refusal(request, reason), status);
    const idp = await trustedIdp(db, domain).catch(() => undefined);
    if (!idp || typeof body.SAMLResponse !== 'string') {
      return refuse(request.t('google.acs.refused', { reason: 'no SSO profile or no SAMLResponse' }), 400);
    }
    let verified: Awaited<ReturnType<typeof verifySignIn>>;
    try {
      verified = await verifySignIn(db, baseUrl, domain, idp, body.SAMLResponse, body.RelayState ?? '');
    } catch (error) {
      if (!(error instanceof SamlRefused)) throw error;
      request.log.warn({ reason: error.message, domain }, 'SAML response refused');
      return refuse(request.t('google.acs.refused', { reason: error.message }));
    }
    const email = verified.nameId.toLowerCase();
    const user = email.endsWith(`@${domain}`) ? await deps.users.find(email) : undefined;
    if (!user) return refuse(request.t('google.acs.no_user', { email }));
    if (user.suspended) return refuse(request.t('google.acs.suspended', { email }));
    request.session.regenerate();
    request.session.set('googleUser', user.primary_email);
    return reply.redirect(safeReturnTo(verified.continueUrl, { fallback: '/' }));
  });

  // As Google does with an SSO profile: after its own sign-out, the browser goes to the profile's
  // sign-out URL (the identity provider signs it out there too).
  const signOut = async (request: FastifyRequest, reply: FastifyReply) => {
    const email = request.session.get<string>('googleUser');
    request.session.destroy();
    const domain = email?.split('@')[1];
    const profile = domain
      ? await db
          .selectFrom('google_domains')
          .select('sign_out_url')
          .where('domain', '=', domain)
          .executeTakeFirst()
      : undefined;
    return reply.redirect(profile?.sign_out_url ?? '/', 303);
  };
  app.post('/signout', signOut);

  /**
   * Google's front-channel logout (`accounts.google.com/Logout`, `www.google.com/accounts/Logout`):
   * ends Google's session of the browser. With `continue` (an identity provider's sign-out chain),
   * the browser goes there afterwards, if it is an address of an identity provider of one of the
   * domains (the host of its SSO profile's sign-in or sign-out URL), else to Google's home; without
   * it, as after the 登出 button, to the SSO profile's sign-out URL.
   */
  const logout = async (request: FastifyRequest, reply: FastifyReply) => {
    const next = (request.query as Record<string, unknown>).continue;
    if (typeof next !== 'string') return signOut(request, reply);
    request.session.destroy();
    return reply.redirect((await allowedContinue(db, next)) ?? '/', 303);
  };
  app.get('/Logout', logout);
  app.get('/accounts/Logout', logout);
}

/** `continue` when it is an absolute address on the host of a configured SSO profile. */
async function allowedContinue(db: Db, next: string): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(next);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const profiles = await db
    .selectFrom('google_domains')
    .select(['sign_out_url', 'idp_metadata_url'])
    .execute();
  const origins = new Set(
    profiles.flatMap((p) =>
      [p.sign_out_url, p.idp_metadata_url].flatMap((u) => {
        try {
          return u ? [new URL(u).origin] : [];
        } catch {
          return [];
        }
      }),
    ),
  );
  return origins.has(url.origin) ? url.href : undefined;
}
