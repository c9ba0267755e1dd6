import { randomBytes } from 'node:crypto';
import { inflateRawSync } from 'node:zlib';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import { RateLimit } from '../../platform/security/rate-limit.ts';
import { html } from '../../platform/views/html.ts';
import { page } from '../../platform/views/layout.ts';
import type { SigningKey, SigningKeys } from './keys.ts';
import type { ServiceProviderRow, ServiceProviders } from './registry.ts';
import {
  buildSignedResponse,
  buildStatusResponse,
  idpEntity,
  STATUS_NO_PASSIVE,
  STATUS_UNKNOWN_PRINCIPAL,
  spEntity,
} from './response.ts';

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const PENDING_KEY = 'saml.pending';
const PENDING_TTL_MS = 15 * 60_000;
const MAX_MESSAGE = 64 * 1024;

/** The signed-in person as the IdP needs it: the cloud account name and when they authenticated. */
export interface SamlAccount {
  /** The cloud subject (the Google user's external id when the portal provisioned it). */
  id: string;
  name: string;
  email: string;
  authnInstant: Date;
}

/** What the IdP's pages and its console both stand on: its keys, its service providers, its address. */
export interface SamlIdpBase {
  keys: SigningKeys;
  providers: ServiceProviders;
  /** Public base URL of the cloud (the IdP's entity ID is `BASE/saml/metadata`). */
  baseUrl: string;
  /** Records what happened (an assertion issued, a service provider registered) in the audit log. */
  audit?(
    request: FastifyRequest,
    action: string,
    target: string,
    details: Record<string, unknown>,
  ): Promise<void>;
}

export interface SamlIdpDeps extends SamlIdpBase {
  /** The signed-in, active cloud account of this browser (the cloud login session), if any. */
  currentAccount(request: FastifyRequest): Promise<SamlAccount | undefined>;
  /**
   * Where to send a browser that must sign in first, coming back to `returnTo`; `fresh`: the
   * login page asks for credentials even when the browser has a live session (`ForceAuthn`).
   */
  loginUrl(returnTo: string, options?: { fresh?: boolean }): string;
  /**
   * For an SP whose NameID is an address in `domain` (Google): the address the workspace portal
   * provisioned or adopted for this account (its Google user's external id is the account id), or
   * undefined when there is none. Throws when that cannot be known now.
   */
  linkedAddress(account: SamlAccount, domain: string): Promise<string | undefined>;
  /** The workspace activation portal, named on the page that refuses an unlinked account. */
  activationUrl?: string;
  /** AuthnRequests one client address may send per minute (0 = no limit); beyond it 429. */
  ssoPerMinute?: number;
}

interface Pending {
  spId: string;
  requestId: string;
  acsUrl: string;
  relayState: string | null;
  at: number;
  /** `ForceAuthn="true"`: only a sign-in made after the request counts. */
  forceAuthn?: boolean;
  /** `IsPassive="true"`: no page at all, a `NoPassive` status instead of a login. */
  isPassive?: boolean;
}

/**
 * Whether the cloud sign-in answers this request. ForceAuthn: a session older than the request does
 * not count (the instant has whole seconds).
 */
function signedInFor(entry: Pending, account: SamlAccount | undefined): account is SamlAccount {
  if (!account) return false;
  return !(entry.forceAuthn && account.authnInstant.getTime() < Math.floor(entry.at / 1000) * 1000);
}

/** An xs:boolean attribute of the AuthnRequest. */
function flag(root: Element, name: string): boolean {
  const value = root.getAttribute(name)?.trim();
  return value === 'true' || value === '1';
}

export function idpUrls(baseUrl: string) {
  return { entityId: `${baseUrl}/saml/metadata`, ssoUrl: `${baseUrl}/saml/sso` };
}

function parseXml(text: string): Document {
  const options = {
    onError: (level: string, message: string) => {
      if (level !== 'warning') throw new Error(message);
    },
  };
  return new DOMParser(options as ConstructorParameters<typeof DOMParser>[0]).parseFromString(
    text,
    'text/xml',
  );
}

/** Decodes an AuthnRequest: deflated for HTTP-Redirect, plain for HTTP-POST. */
function decodeRequest(encoded: string, binding: 'redirect' | 'post'): { root: Element; issuer: string } {
  const raw = Buffer.from(encoded, 'base64');
  if (raw.length === 0 || raw.length > MAX_MESSAGE) throw new AppError('saml_bad_request', 400);
  let text: string;
  try {
    text =
      binding === 'redirect'
        ? inflateRawSync(raw, { maxOutputLength: MAX_MESSAGE }).toString('utf8')
        : raw.toString('utf8');
    const root = parseXml(text).documentElement;
    if (!root || root.namespaceURI !== PROTOCOL || root.localName !== 'AuthnRequest')
      throw new Error('not an AuthnRequest');
    let issuer = '';
    for (let n = root.firstChild; n; n = n.nextSibling) {
      const el = n as Element;
      if (n.nodeType === 1 && el.namespaceURI === ASSERTION && el.localName === 'Issuer')
        issuer = el.textContent?.trim() ?? '';
    }
    return { root, issuer };
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw new AppError('saml_bad_request', 400);
  }
}

function pendingList(request: FastifyRequest): Record<string, Pending> {
  const all = request.session.get<Record<string, Pending>>(PENDING_KEY) ?? {};
  const fresh = Object.entries(all)
    .filter(([, p]) => Date.now() - p.at < PENDING_TTL_MS)
    .slice(-4);
  return Object.fromEntries(fresh);
}

/**
 * Reads and checks an AuthnRequest (HTTP-Redirect or HTTP-POST): a registered, enabled SP, a
 * message samlify validates against the schema (and the signature, when one is required), this
 * IdP as its destination, and an assertion consumer URL registered for that SP — never anywhere
 * else. What the answer will need, to keep until the person is signed in.
 */
async function readAuthnRequest(
  deps: SamlIdpDeps,
  request: FastifyRequest,
  binding: 'redirect' | 'post',
  idp: { entityId: string; ssoUrl: string },
): Promise<Pending> {
  const params = (binding === 'redirect' ? request.query : request.body) as
    | Record<string, unknown>
    | undefined;
  const encoded = params?.SAMLRequest;
  const relayState = typeof params?.RelayState === 'string' ? params.RelayState : null;
  if (typeof encoded !== 'string' || (relayState && relayState.length > 2048))
    throw new AppError('saml_bad_request', 400);
  const { root, issuer } = decodeRequest(encoded, binding);
  const sp = issuer ? await deps.providers.byEntityId(issuer) : undefined;
  if (!sp?.enabled) throw new AppError('saml_unknown_sp', 403, { issuer: issuer || '?' });
  const key = await deps.keys.current();
  // samlify validates the message against the SAML schema (and a signature, if the IdP required one).
  const octetString =
    binding === 'redirect'
      ? request.url.slice(request.url.indexOf('?') + 1).replace(/&?(Signature|SigAlg)=[^&]*/g, '')
      : undefined;
  try {
    await idpEntity(idp.entityId, idp.ssoUrl, key, []).parseLoginRequest(
      spEntity(sp, (sp.acs_urls[0] as string) ?? ''),
      binding,
      {
        ...(binding === 'redirect' ? { query: params ?? {} } : { body: params ?? {} }),
        ...(octetString !== undefined ? { octetString } : {}),
      },
    );
  } catch {
    throw new AppError('saml_bad_request', 400);
  }
  const requestId = root.getAttribute('ID') ?? '';
  if (!/^[A-Za-z_][\w.-]{0,255}$/.test(requestId)) throw new AppError('saml_bad_request', 400);
  const destination = root.getAttribute('Destination');
  if (destination && destination !== idp.ssoUrl) throw new AppError('saml_wrong_destination', 400);
  const asked = root.getAttribute('AssertionConsumerServiceURL');
  const acsUrl = asked ?? sp.acs_urls[0];
  // Never send an assertion anywhere not registered for this SP (and never redirect there either).
  if (!acsUrl || !sp.acs_urls.includes(acsUrl)) {
    await deps.audit?.(request, 'saml.acs_refused', sp.entity_id, { acs: acsUrl ?? null });
    throw new AppError('saml_acs_not_registered', 403);
  }
  return {
    spId: sp.id,
    requestId,
    acsUrl,
    relayState,
    at: Date.now(),
    forceAuthn: flag(root, 'ForceAuthn'),
    isPassive: flag(root, 'IsPassive'),
  };
}

/**
 * The SAML 2.0 IdP's browser endpoints: metadata, the SSO endpoint (HTTP-Redirect and HTTP-POST
 * AuthnRequests), and the step that answers once the person is signed in to the cloud.
 */
export function ssoRoutes(app: FastifyInstance, deps: SamlIdpDeps): void {
  const { entityId, ssoUrl } = idpUrls(deps.baseUrl);

  app.get('/saml/metadata', async (_request, reply) => {
    const key = await deps.keys.current();
    const metadata = idpEntity(entityId, ssoUrl, key, await deps.keys.published()).getMetadata();
    return reply
      .type('application/samlmetadata+xml; charset=utf-8')
      .header('cache-control', 'max-age=300')
      .send(metadata);
  });

  // The auto-submitting form needs a same-origin script (inline scripts are blocked by the CSP).
  app.get('/saml/post.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send("document.getElementById('saml-post').submit();\n"),
  );

  const receive = async (request: FastifyRequest, reply: FastifyReply, binding: 'redirect' | 'post') => {
    const pending = await readAuthnRequest(deps, request, binding, { entityId, ssoUrl });
    const ref = randomBytes(12).toString('base64url');
    request.session.set(PENDING_KEY, { ...pendingList(request), [ref]: pending });
    return reply.redirect(`/saml/sso/continue?r=${ref}`, 303);
  };

  const limit = new RateLimit({ perMinute: deps.ssoPerMinute ?? 0 });
  app.get('/saml/sso', { onRequest: limit.perAddress }, async (request, reply) =>
    receive(request, reply, 'redirect'),
  );
  app.post('/saml/sso', { config: { csrf: false }, onRequest: limit.perAddress }, async (request, reply) =>
    receive(request, reply, 'post'),
  );

  /** The auto-submitting form that carries a SAML Response to the SP's ACS. */
  const postToAcs = (
    request: FastifyRequest,
    reply: FastifyReply,
    sp: ServiceProviderRow,
    entry: Pending,
    samlResponse: string,
  ) => {
    const t = request.t;
    return sendPage(
      reply,
      page(request, {
        title: t('saml.post.title'),
        main: html`<h1>${t('saml.post.title')}</h1>
<p>${t('saml.post.body', { sp: sp.name })}</p>
<form id="saml-post" method="post" action="${entry.acsUrl}">
<input type="hidden" name="SAMLResponse" value="${samlResponse}">
${entry.relayState !== null ? html`<input type="hidden" name="RelayState" value="${entry.relayState}">` : ''}
<button type="submit">${t('saml.post.continue')}</button>
</form>`,
        tail: html`<script src="/saml/post.js" defer></script>`,
      }),
    );
  };

  /** The pending AuthnRequest `r` names, for an SP still registered with that ACS URL. */
  const pendingRequest = async (request: FastifyRequest) => {
    const ref = (request.query as { r?: unknown }).r;
    const pending = pendingList(request);
    const entry = typeof ref === 'string' ? pending[ref] : undefined;
    if (typeof ref !== 'string' || !entry) throw new AppError('saml_expired', 400);
    const sp: ServiceProviderRow | undefined = await deps.providers.byId(entry.spId);
    if (!sp?.enabled || !sp.acs_urls.includes(entry.acsUrl))
      throw new AppError('saml_unknown_sp', 403, { issuer: '?' });
    return { ref, pending, entry, sp };
  };

  /**
   * The NameID to assert: the account's address, or for an SP whose NameID is an address in its
   * domain (Google), the address the workspace portal provisioned or adopted for this very account —
   * a cloud name equal to someone else's Google user name asserts nothing.
   */
  const nameIdFor = async (request: FastifyRequest, sp: ServiceProviderRow, account: SamlAccount) => {
    const domain = sp.name_id_domain;
    if (!domain) return { nameId: account.email };
    const address = `${account.name}@${domain}`;
    try {
      const linked = await deps.linkedAddress(account, domain);
      return linked ? { nameId: linked } : { refusal: 'saml.refused_unlinked', domain, address };
    } catch (error) {
      request.log.warn({ err: error, domain }, 'Google link unknown');
      return { refusal: 'saml.refused_link_unknown', domain, address };
    }
  };

  /** The page for an account whose Google address is not linked (or cannot be checked now). */
  const refusalError = (
    subject: { refusal: string; domain: string; address: string },
    portal: string | undefined,
  ) =>
    subject.refusal === 'saml.refused_link_unknown'
      ? new AppError('saml_link_unavailable', 503, { domain: subject.domain })
      : new AppError('saml_not_linked', 403, {
          domain: subject.domain,
          address: subject.address,
          portal: portal ?? '',
        });

  /**
   * The one answer to a pending request: it leaves the session, is signed with the current key and
   * goes to the request's ACS URL, as a status (no sign-in) or as an assertion about `subject`.
   */
  const answerTo = (
    request: FastifyRequest,
    reply: FastifyReply,
    { ref, pending, entry, sp }: Awaited<ReturnType<typeof pendingRequest>>,
  ) => {
    const answer = async (build: (key: SigningKey) => Promise<string>) => {
      delete pending[ref];
      request.session.set(PENDING_KEY, pending);
      return postToAcs(request, reply, sp, entry, await build(await deps.keys.current()));
    };
    const to = { sp, acsUrl: entry.acsUrl, inResponseTo: entry.requestId };
    return {
      status: (code: string) =>
        answer((keys) => buildStatusResponse(entityId, ssoUrl, keys, { ...to, status: code })),
      assertion: (subject: { nameId: string; authnInstant: SamlAccount['authnInstant'] }) =>
        answer((keys) => buildSignedResponse(entityId, ssoUrl, keys, { ...to, subject })),
    };
  };

  app.get('/saml/sso/continue', async (request, reply) => {
    const pending = await pendingRequest(request);
    const { ref, entry, sp } = pending;
    const account = await deps.currentAccount(request);
    const { status, assertion } = answerTo(request, reply, pending);
    if (!signedInFor(entry, account)) {
      // IsPassive: the IdP may not show a page, so it says at once that it cannot sign in.
      if (!entry.isPassive)
        return reply.redirect(
          deps.loginUrl(`/saml/sso/continue?r=${ref}`, account ? { fresh: true } : {}),
          303,
        );
      await deps.audit?.(request, 'saml.no_passive', sp.entity_id, { forceAuthn: entry.forceAuthn ?? false });
      return status(STATUS_NO_PASSIVE);
    }
    const subject = await nameIdFor(request, sp, account);
    if (subject.refusal !== undefined) {
      await deps.audit?.(request, subject.refusal, sp.entity_id, {
        domain: subject.domain,
        address: subject.address,
      });
      if (entry.isPassive) return status(STATUS_UNKNOWN_PRINCIPAL);
      throw refusalError(subject, deps.activationUrl);
    }
    await deps.audit?.(request, 'saml.sso', sp.entity_id, { nameId: subject.nameId, acs: entry.acsUrl });
    return assertion({ nameId: subject.nameId, authnInstant: account.authnInstant });
  });
}
