import { randomBytes } from 'node:crypto';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import type { Kysely } from 'kysely';
import * as samlify from 'samlify';
import type { PlatformTables } from '../../../../platform/database/platform-schema.ts';
import { samlSchemaValidator } from '../../../../platform/saml/schema-validator.ts';
import type { GoogleTables } from '../schema.ts';
import { idpEntity, type TrustedIdp } from './idp-trust.ts';

type Db = Kysely<GoogleTables & PlatformTables>;

samlify.setSchemaValidator(samlSchemaValidator);

const PROTOCOL = 'urn:oasis:names:tc:SAML:2.0:protocol';
const ASSERTION = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const POST = samlify.Constants.namespace.binding.post;
const REQUEST_TTL_MS = 10 * 60_000;
const CLOCK_SKEW_MS = 60_000;

/** Google's legacy SSO profile for a domain: issuer `google.com/a/DOMAIN`, ACS `/a/DOMAIN/acs`. */
export function serviceProvider(baseUrl: string, domain: string) {
  return {
    entityId: `google.com/a/${domain}`,
    acsUrl: `${baseUrl}/a/${domain}/acs`,
  };
}

function spEntity(baseUrl: string, domain: string) {
  const sp = serviceProvider(baseUrl, domain);
  return samlify.ServiceProvider({
    entityID: sp.entityId,
    assertionConsumerService: [{ Binding: POST, Location: sp.acsUrl }],
    authnRequestsSigned: false,
    wantAssertionsSigned: false,
    wantMessageSigned: true,
    nameIDFormat: ['urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified'],
  });
}

export class SamlRefused extends Error {
  override name = 'SamlRefused';
}

/** Starts a sign-in: stores the request and returns the IdP URL carrying the AuthnRequest (HTTP-Redirect). */
export async function startSignIn(
  db: Db,
  baseUrl: string,
  domain: string,
  idp: TrustedIdp,
  continueUrl: string,
): Promise<string> {
  const relayState = randomBytes(18).toString('base64url');
  const request = spEntity(baseUrl, domain).createLoginRequest(idpEntity(idp), 'redirect', {
    relayState,
  }) as { id: string; context: string };
  await db
    .insertInto('google_saml_requests')
    .values({ id: request.id, domain, relay_state: relayState, continue_url: continueUrl, consumed_at: null })
    .execute();
  return request.context;
}

function only(elements: Element[], what: string): Element {
  if (elements.length !== 1) throw new SamlRefused(`expected exactly one ${what}, found ${elements.length}`);
  return elements[0] as Element;
}

function children(parent: Element, ns: string, local: string): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as Element).namespaceURI === ns && (n as Element).localName === local) {
      out.push(n as Element);
    }
  }
  return out;
}

function all(
  doc: { getElementsByTagNameNS(ns: string, local: string): ArrayLike<Element> },
  ns: string,
  local: string,
) {
  return Array.from(doc.getElementsByTagNameNS(ns, local));
}

/**
 * Structure that leaves no room for signature wrapping: one Response at the root, one Assertion in
 * the whole document (its child), unique IDs, and every signature at a place samlify verifies
 * referencing the element it sits in. Values are then read from this one Assertion.
 */
function checkStructure(xml: string) {
  const options = {
    onError: (level: string, message: string) => {
      if (level !== 'warning') throw new SamlRefused(`malformed XML: ${message}`);
    },
  };
  // (Older xmldom copies nested under other packages declare the same module name with other option types.)
  let doc: Document;
  try {
    doc = new DOMParser(options as ConstructorParameters<typeof DOMParser>[0]).parseFromString(
      xml,
      'text/xml',
    );
  } catch (error) {
    if (error instanceof SamlRefused) throw error;
    throw new SamlRefused(`malformed XML: ${(error as Error).message}`);
  }
  const root = doc.documentElement;
  if (!root || root.namespaceURI !== PROTOCOL || root.localName !== 'Response') {
    throw new SamlRefused('not a SAML Response');
  }
  if (all(doc, ASSERTION, 'EncryptedAssertion').length > 0) throw new SamlRefused('encrypted assertion');
  const assertion = only(all(doc, ASSERTION, 'Assertion'), 'Assertion');
  if (assertion.parentNode !== root) throw new SamlRefused('assertion is not a child of the response');
  const ids = new Map<string, number>();
  for (const el of Array.from(doc.getElementsByTagName('*'))) {
    const id = el.getAttribute('ID');
    if (id) ids.set(id, (ids.get(id) ?? 0) + 1);
  }
  if ([...ids.values()].some((n) => n > 1)) throw new SamlRefused('duplicate ID');
  const signatures = all(doc, DSIG, 'Signature');
  if (signatures.length === 0) throw new SamlRefused('unsigned response');
  for (const signature of signatures) {
    const parent = signature.parentNode as Element | null;
    if (parent !== root && parent !== assertion) throw new SamlRefused('signature in an unexpected place');
    const references = all(signature, DSIG, 'Reference');
    const reference = only(references, 'signature reference');
    if (reference.getAttribute('URI') !== `#${parent.getAttribute('ID')}`) {
      throw new SamlRefused('signature does not cover its parent element');
    }
  }
  return { root, assertion };
}

const text = (el: Element | undefined) => el?.textContent?.trim() ?? '';

export interface VerifiedSignIn {
  nameId: string;
  continueUrl: string;
}

/**
 * The ACS: accepts the response only when it is signed by a certificate the domain registered,
 * addressed to this ACS and audience, answers a request this stand-in made and has not used yet,
 * is inside its time window and comes back with the same RelayState.
 */
export async function verifySignIn(
  db: Db,
  baseUrl: string,
  domain: string,
  idp: TrustedIdp,
  samlResponse: string,
  relayState: string,
): Promise<VerifiedSignIn> {
  const sp = serviceProvider(baseUrl, domain);
  const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
  const { root, assertion } = checkStructure(xml);
  try {
    await spEntity(baseUrl, domain).parseLoginResponse(idpEntity(idp), 'post', {
      body: { SAMLResponse: samlResponse, RelayState: relayState },
    });
  } catch (error) {
    throw new SamlRefused(`signature or conditions refused: ${String((error as Error).message ?? error)}`);
  }
  if (root.getAttribute('Destination') !== sp.acsUrl) throw new SamlRefused('wrong Destination');
  const issuer = text(children(assertion, ASSERTION, 'Issuer')[0]);
  if (issuer !== idp.entityId) throw new SamlRefused('wrong Issuer');
  const conditions = only(children(assertion, ASSERTION, 'Conditions'), 'Conditions');
  const audiences = all(conditions, ASSERTION, 'Audience').map((a) => text(a));
  if (!audiences.includes(sp.entityId)) throw new SamlRefused('wrong Audience');
  const now = Date.now();
  const notBefore = Date.parse(conditions.getAttribute('NotBefore') ?? '');
  const notOnOrAfter = Date.parse(conditions.getAttribute('NotOnOrAfter') ?? '');
  if (!(notBefore - CLOCK_SKEW_MS <= now && now < notOnOrAfter + CLOCK_SKEW_MS)) {
    throw new SamlRefused('outside the validity window');
  }
  const subject = only(children(assertion, ASSERTION, 'Subject'), 'Subject');
  const nameId = text(only(children(subject, ASSERTION, 'NameID'), 'NameID'));
  const confirmation = all(subject, ASSERTION, 'SubjectConfirmationData')[0];
  if (!confirmation || confirmation.getAttribute('Recipient') !== sp.acsUrl) {
    throw new SamlRefused('wrong Recipient');
  }
  const inResponseTo = root.getAttribute('InResponseTo') ?? '';
  if (!inResponseTo || confirmation.getAttribute('InResponseTo') !== inResponseTo) {
    throw new SamlRefused('InResponseTo missing or inconsistent');
  }
  const confirmationEnd = Date.parse(confirmation.getAttribute('NotOnOrAfter') ?? '');
  if (!(now < confirmationEnd + CLOCK_SKEW_MS)) throw new SamlRefused('subject confirmation expired');

  return db.transaction().execute(async (tx) => {
    const request = await tx
      .updateTable('google_saml_requests')
      .set({ consumed_at: new Date() })
      .where('id', '=', inResponseTo)
      .where('domain', '=', domain)
      .where('consumed_at', 'is', null)
      .where('created_at', '>', new Date(now - REQUEST_TTL_MS))
      .returning(['relay_state', 'continue_url'])
      .executeTakeFirst();
    if (!request) throw new SamlRefused('no pending request for InResponseTo (replayed or expired)');
    if (request.relay_state !== relayState) throw new SamlRefused('RelayState changed');
    const seen = await tx
      .insertInto('google_saml_seen')
      .values([
        { id: `response:${root.getAttribute('ID')}`, expires_at: new Date(notOnOrAfter + CLOCK_SKEW_MS) },
        {
          id: `assertion:${assertion.getAttribute('ID')}`,
          expires_at: new Date(notOnOrAfter + CLOCK_SKEW_MS),
        },
      ])
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    if (seen.length !== 2) throw new SamlRefused('response replayed');
    return { nameId, continueUrl: request.continue_url };
  });
}
