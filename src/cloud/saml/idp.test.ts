import { SAML, ValidateInResponseTo } from '@node-saml/node-saml';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { createRoleApp } from '../../platform/http/role-app.ts';
import { DatabaseSessionStore } from '../../platform/http/session-store.ts';
import { sessions } from '../../platform/http/sessions.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { googleMigrations } from '../../workspace/emulator/google/migrations.ts';
import type { GoogleTables } from '../../workspace/emulator/google/schema.ts';
import { readIdpMetadata, type TrustedIdp } from '../../workspace/emulator/google/signin/idp-trust.ts';
import { SamlRefused, startSignIn, verifySignIn } from '../../workspace/emulator/google/signin/saml-sp.ts';
import { certificateBody } from './certificates.ts';
import { samlIdp } from './index.ts';
import { SigningKeys } from './keys.ts';
import { samlMigrations } from './migrations.ts';
import { ServiceProviders } from './registry.ts';
import type { SamlTables } from './schema.ts';

const BASE = 'http://cloud.test';
const GOOGLE = 'http://google.test';
const NODE_SP = { issuer: 'https://apps.example.org/saml', acs: 'https://apps.example.org/saml/acs' };

let idpDb: Database<SamlTables & PlatformTables>;
let spDb: Database<GoogleTables>;
let app: FastifyInstance;
let keys: SigningKeys;
let providers: ServiceProviders;
let cookie = '';
/** What the workspace portal would answer: `account|domain` → the address it provisioned. */
const links = new Map<string, string>([['teacher01|go.edu.tw', 'teacher01@go.edu.tw']]);
let portalDown = false;
const audits: Array<{ action: string; details: Record<string, unknown> }> = [];

/** A browser: keeps the IdP session cookie across requests. */
async function get(url: string) {
  const response = await app.inject({ method: 'GET', url: url.replace(BASE, ''), headers: { cookie } });
  const set = response.headers['set-cookie'];
  const first = Array.isArray(set) ? set[0] : set;
  if (first) cookie = first.split(';')[0] as string;
  return response;
}

/** Signs in as `name`, `ago` seconds ago (the session's sign-in time). */
async function signIn(name: string, ago = 0) {
  await get(`/test/login?name=${name}&at=${Date.now() - ago * 1000}`);
}

/** Follows the IdP from the AuthnRequest URL to the auto-posting form; returns its fields. */
async function ssoForm(authnRequestUrl: string) {
  const first = await get(authnRequestUrl);
  if (first.statusCode !== 303) return { status: first.statusCode, body: first.body };
  const page = await get(first.headers.location as string);
  const field = (name: string) =>
    new RegExp(`name="${name}" value="([^"]*)"`)
      .exec(page.body)?.[1]
      ?.replace(/&amp;/g, '&')
      .replace(/&#39;/g, "'");
  return {
    status: page.statusCode,
    location: page.headers.location as string | undefined,
    action: /action="([^"]*)"/.exec(page.body)?.[1],
    SAMLResponse: field('SAMLResponse'),
    RelayState: field('RelayState'),
    body: page.body,
  };
}

async function trustedIdp(): Promise<TrustedIdp> {
  return {
    entityId: `${BASE}/saml/metadata`,
    ssoUrl: `${BASE}/saml/sso`,
    certificates: (await keys.published()).map(certificateBody),
  };
}

function nodeSp(
  idpCerts: string[],
  callbackUrl = NODE_SP.acs,
  extra: { forceAuthn?: boolean; passive?: boolean } = {},
) {
  return new SAML({
    ...extra,
    entryPoint: `${BASE}/saml/sso`,
    issuer: NODE_SP.issuer,
    callbackUrl,
    audience: NODE_SP.issuer,
    idpCert: idpCerts,
    wantAssertionsSigned: false,
    wantAuthnResponseSigned: true,
    validateInResponseTo: ValidateInResponseTo.always,
    acceptedClockSkewMs: 1000,
  });
}

beforeAll(async () => {
  idpDb = await embeddedTestDatabase.open<SamlTables & PlatformTables>(samlMigrations);
  spDb = await embeddedTestDatabase.open<GoogleTables>(googleMigrations);
  const db = idpDb.db;
  keys = new SigningKeys(db, 'x'.repeat(40), 'test cloud');
  providers = new ServiceProviders(db);
  app = await createRoleApp({ role: 'cloud', logger: createLogger('warn') });
  await app.register(sessions, {
    store: new DatabaseSessionStore(db),
    cookieName: 'cloud_sid',
    secure: false,
  });
  app.get('/test/login', async (request) => {
    request.session.regenerate();
    const query = request.query as { name: string; at: string };
    request.session.set('name', query.name);
    request.session.set('at', Number(query.at));
    return 'ok';
  });
  await samlIdp(app, {
    keys,
    providers,
    baseUrl: BASE,
    adminToken: 'a'.repeat(32),
    async currentAccount(request) {
      const name = request.session.get<string>('name');
      const at = request.session.get<number>('at') ?? 0;
      return name ? { id: name, name, email: `${name}@mail.edu.tw`, authnInstant: new Date(at) } : undefined;
    },
    async linkedAddress(account, domain) {
      if (portalDown) throw new Error('workspace portal unreachable');
      return links.get(`${account.id}|${domain}`);
    },
    activationUrl: 'http://workspace.test',
    async audit(_request, action, _target, details) {
      audits.push({ action, details });
    },
    loginUrl: (returnTo, options) =>
      `/login?return_to=${encodeURIComponent(returnTo)}${options?.fresh ? '&reauth=1' : ''}`,
    administrator: async () => undefined,
  });
  await providers.register({ entityId: 'google.com/a/go.edu.tw', acsUrls: [`${GOOGLE}/a/go.edu.tw/acs`] });
  await providers.register({ entityId: NODE_SP.issuer, acsUrls: [NODE_SP.acs], wantAssertionsSigned: true });
});

afterAll(async () => {
  await app?.close();
  await idpDb?.close();
  await spDb?.close();
});

describe('SAML IdP metadata', () => {
  it('publishes entity ID, both SSO bindings and two signing certificates', async () => {
    const response = await get('/saml/metadata');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`entityID="${BASE}/saml/metadata"`);
    expect(response.body).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect');
    expect(response.body).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
    expect(response.body.match(/<ds:X509Certificate>/g)).toHaveLength(2);
    // What the Google stand-in reads from it at the first sign-in.
    expect(readIdpMetadata(response.body)).toEqual({
      entityId: `${BASE}/saml/metadata`,
      ssoUrl: `${BASE}/saml/sso`,
      certificates: (await keys.published()).map(certificateBody),
    });
  });
});

describe('the service provider registry', () => {
  it('names the ACS of the enabled Google service provider, where Google’s sign-out is found', async () => {
    expect(await providers.googleAcsUrl()).toBe(`${GOOGLE}/a/go.edu.tw/acs`);
    const google = (enabled: boolean) =>
      idpDb.db
        .updateTable('saml_service_providers')
        .set({ enabled })
        .where('entity_id', '=', 'google.com/a/go.edu.tw')
        .execute();
    await google(false);
    expect(await providers.googleAcsUrl()).toBeUndefined();
    await google(true);
  });
});

describe('an independent SP (node-saml) accepts our responses', () => {
  it('signs in, with NameID the cloud address, RelayState unchanged, and reuses the session the second time', async () => {
    cookie = '';
    const sp = nodeSp((await keys.published()).map(certificateBody));
    const url = await sp.getAuthorizeUrlAsync('relay/state?x=1&y=2', undefined, {});
    const first = await get(url);
    expect(first.statusCode).toBe(303);
    const toLogin = await get(first.headers.location as string);
    expect(toLogin.headers.location).toMatch(/^\/login\?return_to=%2Fsaml%2Fsso%2Fcontinue/);
    await signIn('tad0616');
    const form = await ssoForm(await sp.getAuthorizeUrlAsync('relay/state?x=1&y=2', undefined, {}));
    expect(form.action).toBe(NODE_SP.acs);
    expect(form.RelayState).toBe('relay/state?x=1&y=2');
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse as string });
    expect(profile?.nameID).toBe('tad0616@mail.edu.tw');
    const xml = Buffer.from(form.SAMLResponse as string, 'base64').toString('utf8');
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"');
    expect(xml).toContain('Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"');
    expect(xml).not.toContain('EncryptedAssertion');
  });

  it('reads AuthnRequests without building its IdP anew for each (samlify warns on stderr at every build)', async () => {
    const sp = nodeSp((await keys.published()).map(certificateBody));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      for (let i = 0; i < 5; i++) {
        expect((await get(await sp.getAuthorizeUrlAsync(`r${i}`, undefined, {}))).statusCode).toBe(303);
      }
      const builds = warn.mock.calls.filter((call) => String(call[0]).includes('Construct identity'));
      expect(builds.length).toBeLessThanOrEqual(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('refuses an unregistered ACS without sending anything there', async () => {
    await signIn('tad0616');
    const sp = nodeSp((await keys.published()).map(certificateBody), 'https://evil.example/acs');
    const response = await get(await sp.getAuthorizeUrlAsync('', undefined, {}));
    expect(response.statusCode).toBe(403);
    expect(response.body).not.toContain('evil.example');
    expect(response.headers.location).toBeUndefined();
  });

  it('refuses an Issuer that is not registered', async () => {
    const sp = new SAML({
      entryPoint: `${BASE}/saml/sso`,
      issuer: 'https://unknown.example/sp',
      callbackUrl: NODE_SP.acs,
      idpCert: 'MIIB',
    });
    const response = await get(await sp.getAuthorizeUrlAsync('', undefined, {}));
    expect(response.statusCode).toBe(403);
  });
});

describe('ForceAuthn and IsPassive', () => {
  const certs = async () => (await keys.published()).map(certificateBody);

  it('ForceAuthn="true" asks for the password again despite a live session, then answers with the new sign-in', async () => {
    cookie = '';
    await signIn('tad0616', 600);
    const sp = nodeSp(await certs(), NODE_SP.acs, { forceAuthn: true });
    const url = await sp.getAuthorizeUrlAsync('', undefined, {});
    expect(decodeURIComponent(url)).not.toBe('');
    const first = await get(url);
    expect(first.statusCode).toBe(303);
    const toLogin = await get(first.headers.location as string);
    expect(toLogin.statusCode).toBe(303);
    expect(toLogin.headers.location).toMatch(/^\/login\?return_to=%2Fsaml%2Fsso%2Fcontinue.*&reauth=1$/);
    expect(toLogin.body).not.toContain('SAMLResponse');
    // The teacher types the password again: the same pending request now gets its answer.
    const before = Date.now();
    await signIn('tad0616');
    const page = await get(first.headers.location as string);
    const response = /name="SAMLResponse" value="([^"]*)"/.exec(page.body)?.[1] as string;
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: response });
    expect(profile?.nameID).toBe('tad0616@mail.edu.tw');
    const xml = Buffer.from(response, 'base64').toString('utf8');
    const instant = Date.parse(/AuthnInstant="([^"]+)"/.exec(xml)?.[1] ?? '');
    expect(instant).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
  });

  it('without ForceAuthn the live session is enough (single sign-on)', async () => {
    cookie = '';
    await signIn('tad0616', 600);
    const form = await ssoForm(await nodeSp(await certs()).getAuthorizeUrlAsync('', undefined, {}));
    expect(form.SAMLResponse).toBeDefined();
  });

  it('IsPassive="true" with nobody signed in answers Responder/NoPassive, signed, and shows no login page', async () => {
    cookie = '';
    const sp = nodeSp(await certs(), NODE_SP.acs, { passive: true });
    const form = await ssoForm(await sp.getAuthorizeUrlAsync('', undefined, {}));
    expect(form.status).toBe(200);
    expect(form.location).toBeUndefined();
    expect(form.action).toBe(NODE_SP.acs);
    const xml = Buffer.from(form.SAMLResponse as string, 'base64').toString('utf8');
    expect(xml).toMatch(
      /<samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:NoPassive"\/>/,
    );
    expect(xml).not.toContain('Assertion');
    // node-saml checks the signature of a NoPassive answer and reports "not signed in".
    const result = await sp.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse as string });
    expect(result.profile).toBeNull();
  });

  it('IsPassive="true" with ForceAuthn="true" cannot ask for the password: NoPassive too', async () => {
    cookie = '';
    await signIn('tad0616', 600);
    const sp = nodeSp(await certs(), NODE_SP.acs, { passive: true, forceAuthn: true });
    const form = await ssoForm(await sp.getAuthorizeUrlAsync('', undefined, {}));
    expect(Buffer.from(form.SAMLResponse as string, 'base64').toString('utf8')).toContain('NoPassive');
  });

  it('IsPassive="true" with a live session signs in without a page of its own', async () => {
    cookie = '';
    await signIn('tad0616', 600);
    const sp = nodeSp(await certs(), NODE_SP.acs, { passive: true });
    const form = await ssoForm(await sp.getAuthorizeUrlAsync('', undefined, {}));
    const { profile } = await sp.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse as string });
    expect(profile?.nameID).toBe('tad0616@mail.edu.tw');
  });
});

describe('Google-style SP (the stand-in) and attacks', () => {
  const domain = 'go.edu.tw';
  const acs = `${GOOGLE}/a/${domain}/acs`;

  async function googleSignIn(relay = '/') {
    const idp = await trustedIdp();
    const url = await startSignIn(spDb.db as never, GOOGLE, domain, idp, relay);
    const form = await ssoForm(url);
    return { idp, form };
  }

  const verify = (idp: TrustedIdp, response: string, relay: string) =>
    verifySignIn(spDb.db as never, GOOGLE, domain, idp, response, relay);

  it('answers with NameID name@go.edu.tw, Destination, Recipient, Audience, InResponseTo and a short validity', async () => {
    await signIn('teacher01');
    const { idp, form } = await googleSignIn();
    expect(form.action).toBe(acs);
    const xml = Buffer.from(form.SAMLResponse as string, 'base64').toString('utf8');
    expect(xml).toContain(`Destination="${acs}"`);
    expect(xml).toContain(`Recipient="${acs}"`);
    expect(xml).toContain('<saml:Audience>google.com/a/go.edu.tw</saml:Audience>');
    const notBefore = Date.parse(/NotBefore="([^"]+)"/.exec(xml)?.[1] ?? '');
    const notOnOrAfter = Date.parse(
      /Conditions NotBefore="[^"]+" NotOnOrAfter="([^"]+)"/.exec(xml)?.[1] ?? '',
    );
    expect(notOnOrAfter - notBefore).toBeLessThanOrEqual(6 * 60_000);
    const verified = await verify(idp, form.SAMLResponse as string, form.RelayState as string);
    expect(verified.nameId).toBe('teacher01@go.edu.tw');
  });

  it('asserts no address the workspace did not provision for this account: a clear page, an audit record, no response', async () => {
    // principal.office@go.edu.tw is a Google user created at Google; a teacher chose the same cloud name.
    await signIn('principal.office');
    audits.length = 0;
    const { form } = await googleSignIn();
    expect(form.status).toBe(403);
    expect(form.SAMLResponse).toBeUndefined();
    expect(form.body).not.toContain('SAMLResponse');
    expect(form.body).toContain('無法以您的教育雲帳號登入 principal.office@go.edu.tw');
    expect(form.body).toContain('http://workspace.test');
    expect(audits).toEqual([
      { action: 'saml.refused_unlinked', details: { domain, address: 'principal.office@go.edu.tw' } },
    ]);
    const english = await app.inject({
      method: 'GET',
      url: (await get(await startSignIn(spDb.db as never, GOOGLE, domain, await trustedIdp(), '/'))).headers
        .location as string,
      headers: { cookie, 'accept-language': 'en' },
    });
    expect(english.statusCode).toBe(403);
    expect(english.body).toContain('You cannot sign in to principal.office@go.edu.tw');
  });

  it('IsPassive for an unlinked account answers Responder/UnknownPrincipal without a page', async () => {
    await signIn('principal.office');
    const sp = nodeSp((await keys.published()).map(certificateBody), NODE_SP.acs, { passive: true });
    await providers.register({ entityId: NODE_SP.issuer, acsUrls: [NODE_SP.acs], nameIdDomain: domain });
    try {
      const form = await ssoForm(await sp.getAuthorizeUrlAsync('', undefined, {}));
      const xml = Buffer.from(form.SAMLResponse as string, 'base64').toString('utf8');
      expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:status:UnknownPrincipal');
      expect(xml).not.toContain('Assertion');
      await expect(
        sp.validatePostResponseAsync({ SAMLResponse: form.SAMLResponse as string }),
      ).rejects.toThrow(/Responder/);
    } finally {
      await providers.register({
        entityId: NODE_SP.issuer,
        acsUrls: [NODE_SP.acs],
        nameIdDomain: null,
        wantAssertionsSigned: true,
      });
    }
  });

  it('when the portal cannot say, refuses with a try-later page (no guess from the name)', async () => {
    await signIn('teacher01');
    portalDown = true;
    try {
      const { form } = await googleSignIn();
      expect(form.status).toBe(503);
      expect(form.SAMLResponse).toBeUndefined();
      expect(form.body).toContain('目前無法向 G Suite 啟用入口確認');
    } finally {
      portalDown = false;
    }
  });

  it('refuses a replayed response', async () => {
    await signIn('teacher01');
    const { idp, form } = await googleSignIn();
    await verify(idp, form.SAMLResponse as string, form.RelayState as string);
    await expect(verify(idp, form.SAMLResponse as string, form.RelayState as string)).rejects.toThrow(
      SamlRefused,
    );
  });

  it('refuses a changed RelayState', async () => {
    await signIn('teacher01');
    const { idp, form } = await googleSignIn();
    await expect(verify(idp, form.SAMLResponse as string, 'other')).rejects.toThrow(/RelayState/);
  });

  it('refuses a response signed by us but for another audience', async () => {
    await signIn('teacher01');
    const idp = await trustedIdp();
    await providers.register({ entityId: 'google.com/a/other.edu.tw', acsUrls: [acs], nameIdDomain: domain });
    const url = await startSignIn(spDb.db as never, GOOGLE, domain, idp, '/');
    // The same AuthnRequest, re-issued under another SP's Issuer: the IdP answers for that audience.
    const request = new URL(url);
    const { inflateRawSync, deflateRawSync } = await import('node:zlib');
    const xml = inflateRawSync(Buffer.from(request.searchParams.get('SAMLRequest') as string, 'base64'))
      .toString()
      .replace('>google.com/a/go.edu.tw<', '>google.com/a/other.edu.tw<');
    request.searchParams.set('SAMLRequest', deflateRawSync(Buffer.from(xml)).toString('base64'));
    const form = await ssoForm(request.toString());
    await expect(verify(idp, form.SAMLResponse as string, form.RelayState as string)).rejects.toThrow(
      /Audience/,
    );
  });

  it('refuses signature wrapping: an extra forged assertion, and the signed response moved inside a forged one', async () => {
    await signIn('teacher01');
    const { idp, form } = await googleSignIn();
    const xml = Buffer.from(form.SAMLResponse as string, 'base64').toString('utf8');
    const assertion = /<saml:Assertion[\s\S]*<\/saml:Assertion>/.exec(xml)?.[0] as string;
    const forged = assertion
      .replace(/<ds:Signature[\s\S]*?<\/ds:Signature>/, '')
      .replace('teacher01@go.edu.tw', 'admin@go.edu.tw')
      .replace(/ID="_[0-9a-f]+"/, 'ID="_forged"');
    const twoAssertions = xml.replace('<saml:Assertion', `${forged}<saml:Assertion`);
    await expect(
      verify(idp, Buffer.from(twoAssertions).toString('base64'), form.RelayState as string),
    ).rejects.toThrow(SamlRefused);

    const signature = /<ds:Signature[\s\S]*?<\/ds:Signature>/.exec(xml)?.[0] as string;
    const original = xml.replace(signature, '');
    const wrapped = xml
      .replace(assertion, forged)
      .replace(/ID="(_[0-9a-f]+)"/, 'ID="_outer"')
      .replace('</samlp:Status>', `</samlp:Status><samlp:Extensions>${original}</samlp:Extensions>`);
    await expect(
      verify(idp, Buffer.from(wrapped).toString('base64'), form.RelayState as string),
    ).rejects.toThrow(SamlRefused);

    const tampered = xml.replace('teacher01@go.edu.tw', 'admin@go.edu.tw');
    await expect(
      verify(idp, Buffer.from(tampered).toString('base64'), form.RelayState as string),
    ).rejects.toThrow(/signature/);
  });

  it('refuses a response signed with a certificate the SP did not register', async () => {
    await signIn('teacher01');
    const { form } = await googleSignIn();
    const stranger = new SigningKeys(
      (await embeddedTestDatabase.open<SamlTables & PlatformTables>(samlMigrations)).db,
      'y'.repeat(40),
      'stranger',
    );
    const strangerIdp = {
      ...(await trustedIdp()),
      certificates: (await stranger.published()).map(certificateBody),
    };
    await expect(verify(strangerIdp, form.SAMLResponse as string, form.RelayState as string)).rejects.toThrow(
      SamlRefused,
    );
  });

  it('after a key rotation, an SP that registered both published certificates still accepts', async () => {
    const before = await trustedIdp();
    await keys.rotate();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await signIn('teacher01');
    const url = await startSignIn(spDb.db as never, GOOGLE, domain, before, '/');
    const form = await ssoForm(url);
    const verified = await verify(before, form.SAMLResponse as string, form.RelayState as string);
    expect(verified.nameId).toBe('teacher01@go.edu.tw');
  });
});
