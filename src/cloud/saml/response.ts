import { randomBytes } from 'node:crypto';
import * as samlify from 'samlify';
import { identityProviderWithoutLogout } from '../../platform/saml/identity-provider.ts';
import { samlSchemaValidator } from '../../platform/saml/schema-validator.ts';
import { escapeHtml } from '../../platform/views/html.ts';
import type { SigningKey } from './keys.ts';
import type { ServiceProviderRow } from './registry.ts';

samlify.setSchemaValidator(samlSchemaValidator);

const POST = samlify.Constants.namespace.binding.post;
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';
/** How long a response is valid: enough to post it, short enough to be useless later. */
export const RESPONSE_VALIDITY_MS = 5 * 60_000;
const CLOCK_SKEW_MS = 30_000;

export interface SamlSubject {
  nameId: string;
  authnInstant: Date;
}

export interface ResponseRequest {
  sp: ServiceProviderRow;
  acsUrl: string;
  inResponseTo: string;
  subject: SamlSubject;
}

const id = () => `_${randomBytes(20).toString('hex')}`;
const xml = (value: string) => escapeHtml(value);

type IdpEntity = ReturnType<typeof samlify.IdentityProvider>;
/** Built entities by their settings: building one parses its metadata (and samlify warns each time). */
const idpEntities = new Map<string, IdpEntity>();
const IDP_ENTITIES_KEPT = 16;

/**
 * The IdP as samlify sees it, signing with the current key (RSA-SHA256, exclusive C14N). Built once
 * per settings (entity ID, SSO URL, key, published certificates), not per request.
 */
export function idpEntity(entityId: string, ssoUrl: string, key: SigningKey, published: string[]): IdpEntity {
  const cacheKey = JSON.stringify([entityId, ssoUrl, key.kid, key.certificatePem, published]);
  let entity = idpEntities.get(cacheKey);
  if (!entity) {
    if (idpEntities.size >= IDP_ENTITIES_KEPT) idpEntities.clear();
    entity = buildIdpEntity(entityId, ssoUrl, key, published);
    idpEntities.set(cacheKey, entity);
  }
  return entity;
}

function buildIdpEntity(entityId: string, ssoUrl: string, key: SigningKey, published: string[]): IdpEntity {
  return identityProviderWithoutLogout({
    entityID: entityId,
    privateKey: key.privateKeyPem,
    signingCert: published.length > 0 ? published : key.certificatePem,
    requestSignatureAlgorithm: RSA_SHA256,
    wantAuthnRequestsSigned: false,
    nameIDFormat: [
      'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress',
      'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified',
    ],
    singleSignOnService: [
      { Binding: samlify.Constants.namespace.binding.redirect, Location: ssoUrl },
      { Binding: POST, Location: ssoUrl },
    ],
  });
}

/** The registered SP as samlify sees it, reduced to the one ACS this response goes to. */
export function spEntity(sp: ServiceProviderRow, acsUrl: string) {
  return samlify.ServiceProvider({
    entityID: sp.entity_id,
    assertionConsumerService: [{ Binding: POST, Location: acsUrl }],
    wantMessageSigned: true,
    wantAssertionsSigned: sp.want_assertions_signed,
    authnRequestsSigned: false,
  });
}

/** SAML status codes of a Response that carries no assertion (SAML core §3.2.2.2). */
export const STATUS_RESPONDER = 'urn:oasis:names:tc:SAML:2.0:status:Responder';
export const STATUS_NO_PASSIVE = 'urn:oasis:names:tc:SAML:2.0:status:NoPassive';
export const STATUS_UNKNOWN_PRINCIPAL = 'urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal';

export interface StatusRequest {
  sp: ServiceProviderRow;
  acsUrl: string;
  inResponseTo: string;
  /** The second-level status under `Responder`. */
  status: string;
  message?: string;
}

/**
 * A signed `<Response>` without an assertion: top-level status `Responder` with the given
 * second-level status (`NoPassive` for an `IsPassive` request nobody is signed in for).
 */
export async function buildStatusResponse(
  idpEntityId: string,
  ssoUrl: string,
  key: SigningKey,
  request: StatusRequest,
): Promise<string> {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const responseId = id();
  const { sp, acsUrl, inResponseTo, status, message } = request;
  const document =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${iso(new Date())}" Destination="${xml(acsUrl)}" InResponseTo="${xml(inResponseTo)}">` +
    `<saml:Issuer>${xml(idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="${STATUS_RESPONDER}"><samlp:StatusCode Value="${xml(status)}"/></samlp:StatusCode>` +
    `${message ? `<samlp:StatusMessage>${xml(message)}</samlp:StatusMessage>` : ''}</samlp:Status>` +
    `</samlp:Response>`;
  // Only the message is signed: there is no assertion to sign, whatever the SP asks for assertions.
  const result = await idpEntity(idpEntityId, ssoUrl, key, []).createLoginResponse(
    spEntity({ ...sp, want_assertions_signed: false }, acsUrl),
    { extract: { request: { id: inResponseTo } } },
    'post',
    {},
    { customTagReplacement: () => ({ id: responseId, context: document }) },
  );
  return result.context;
}

/**
 * One signed `<Response>` (and, when the SP asks for it, a signed assertion too): unencrypted,
 * NameID exactly as given, Destination and Recipient the ACS, Audience the SP's entity ID,
 * InResponseTo the request's ID, valid for a few minutes.
 */
export async function buildSignedResponse(
  idpEntityId: string,
  ssoUrl: string,
  key: SigningKey,
  request: ResponseRequest,
): Promise<string> {
  const now = new Date();
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const notBefore = iso(new Date(now.getTime() - CLOCK_SKEW_MS));
  const notOnOrAfter = iso(new Date(now.getTime() + RESPONSE_VALIDITY_MS));
  const responseId = id();
  const assertionId = id();
  const { sp, acsUrl, inResponseTo, subject } = request;
  const document =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${responseId}" Version="2.0" IssueInstant="${iso(now)}" Destination="${xml(acsUrl)}" InResponseTo="${xml(inResponseTo)}">` +
    `<saml:Issuer>${xml(idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    `<saml:Assertion ID="${assertionId}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${xml(idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${xml(sp.name_id_format)}">${xml(subject.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${xml(acsUrl)}" InResponseTo="${xml(inResponseTo)}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${xml(sp.entity_id)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(subject.authnInstant)}" SessionIndex="${assertionId}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `</saml:Assertion></samlp:Response>`;
  const idp = idpEntity(idpEntityId, ssoUrl, key, []);
  const result = await idp.createLoginResponse(
    spEntity(sp, acsUrl),
    { extract: { request: { id: inResponseTo } } },
    'post',
    { email: subject.nameId },
    { customTagReplacement: () => ({ id: responseId, context: document }) },
  );
  return result.context;
}
