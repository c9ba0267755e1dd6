// The SAML linking rule across the whole demo over HTTP: the education cloud asserts a Google
// address only when the workspace portal provisioned or adopted that Google user for the cloud
// account, and a new cloud name that is someone else's Google address is refused at first login.
// `principal.office@go.edu.tw` is made at Google (its Admin console), not by EduGate.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GOOGLE_LOOKUP_PATH, GOOGLE_LOOKUP_TYP } from '../../platform/federation/google-lookup.ts';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import { adminOrigin } from '../../platform/runtime/roles.ts';
import { oidcIssuerSigningKeys } from '../../platform/security-events/index.ts';
import { CookieBrowser, formOn, type PageResult } from '../../platform/testing/cookie-browser.ts';
import { startTestDemo, type TestDemo } from '../../platform/testing/demo-harness.ts';
import { cloudIssuer } from '../account/lifecycle.ts';
import { hashPassword } from '../account/password-check.ts';
import { CLOUD_TENANT } from '../oidc/provider.ts';
import type { CloudServices } from '../services.ts';

const PRINCIPAL = 'principal.office@go.edu.tw';
type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

let demo: TestDemo;
const ctxOf = (role: 'cloud' | 'workspace' | 'google') => {
  const running = demo.roles.get(role);
  if (!running) throw new Error(`${role} is not running`);
  return running.ctx as RoleContext<unknown>;
};
const dbOf = (role: 'cloud' | 'workspace') => ctxOf(role).db as unknown as AnyDb;
const cloudServices = () => {
  const running = demo.roles.get('cloud');
  if (!running) throw new Error('cloud is not running');
  return (running.app as unknown as { cloud: CloudServices }).cloud;
};

async function post(browser: CookieBrowser, page: PageResult, action: string, fields = {}) {
  const form = formOn(page, action);
  return browser.follow(form.action, { form: { ...form.fields, ...fields } });
}

async function googleAdmin(method: 'GET' | 'POST', path: string, body?: unknown) {
  const response = await fetch(`${adminOrigin(demo.config, 'google')}/admin/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ctxOf('google').secrets.adminToken}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function googleUser(email: string) {
  const { body } = await googleAdmin('GET', '/users');
  return (body.users as Array<{ primaryEmail: string; externalIds: unknown[] }>).find(
    (u) => u.primaryEmail === email,
  );
}

async function cloudSignIn(name: string, password = DEMO_PASSWORD): Promise<CookieBrowser> {
  const browser = new CookieBrowser();
  const login = await browser.follow(`${demo.urls.cloud}/login`);
  const home = await post(browser, login, '/login', { name, password });
  expect(home.url.pathname).toBe('/account');
  return browser;
}

/** Google's sign-in page → the cloud's SSO endpoint → what the cloud answers. */
async function googleSignIn(browser: CookieBrowser, email: string): Promise<PageResult> {
  const start = await browser.follow(`${demo.urls.google}/`);
  return post(browser, start, '/signin', { identifier: email });
}

async function audits(action: string) {
  return dbOf('cloud').selectFrom('audit_log').selectAll().where('action', '=', action).execute();
}

beforeAll(async () => {
  demo = await startTestDemo({ captcha: 'off' });
  // An address made directly at Google, before and outside EduGate.
  const made = await googleAdmin('POST', '/users', {
    primaryEmail: PRINCIPAL,
    name: { givenName: '校長室', familyName: '公務' },
    password: 'principal-office-password',
  });
  expect(made.status).toBe(200);
}, 300_000);

afterAll(async () => {
  await demo?.close();
});

describe('the SAML linking rule (demo over HTTP)', () => {
  it('a first login cannot take a cloud name whose Google address belongs to someone else', async () => {
    const browser = new CookieBrowser();
    const cloudLogin = await browser.follow(`${demo.urls.cloud}/login/county/cyc?return_to=/account`);
    const afterCounty = await post(browser, cloudLogin, '/login', {
      username: 'teacher01',
      password: DEMO_PASSWORD,
    });
    const noAccount = afterCounty.text.includes('/consent')
      ? await post(browser, afterCounty, '/consent', { decision: 'allow' })
      : afterCounty;
    expect(noAccount.text).toContain('很抱歉，您沒有教育雲端帳號！');
    const suggested = await post(browser, noAccount, '/first-login/create');
    const flow = suggested.url.searchParams.get('flow') ?? '';
    const check = async (name: string) => {
      const response = await browser.request(
        `${demo.urls.cloud}/first-login/name-check?flow=${flow}&name=${encodeURIComponent(name)}`,
        { accept: 'application/json' },
      );
      return (await response.json()) as { available: boolean; problems: string[]; message: string };
    };
    const taken = await check('principal.office');
    expect(taken.available).toBe(false);
    expect(taken.problems).toEqual(['account_name.google_taken']);
    expect(taken.message).toContain('Google');
    expect(await check('teacher.wang')).toMatchObject({ available: true });

    const choose = await browser.follow(`${demo.urls.cloud}/first-login/choose?flow=${flow}`);
    const refused = await post(browser, choose, '/first-login/name', { name: 'principal.office' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('這個帳號名稱對應的 G Suite for Education（Google）帳號已經有人使用了');
    const accepted = await post(browser, choose, '/first-login/name', { name: 'teacher.wang' });
    expect(accepted.status).toBe(200);
    expect(accepted.text).not.toContain('已經有人使用了');
  });

  it("a cloud account named like someone else's Google user gets no assertion: a clear page and an audit record", async () => {
    // A name taken before first logins were checked: the teacher chose `principal.office`.
    const cloud = cloudServices();
    await cloud.accounts.create({
      name: 'principal.office',
      displayName: '林老師',
      passwordHash: await hashPassword(cloud, 'Teacher-Pass-2024'),
    });
    const browser = await cloudSignIn('principal.office', 'Teacher-Pass-2024');

    // The activation portal refuses to adopt the Google user (it lacks this account's external id).
    let portal = await browser.follow(`${demo.urls.workspace}/auth/login`);
    if (portal.text.includes('/consent"'))
      portal = await post(browser, portal, '/consent', { decision: 'allow' });
    await post(browser, portal, '/activate');
    for (let i = 0; i < 100; i++) {
      const row = await dbOf('workspace')
        .selectFrom('workspace_accounts')
        .select('state')
        .where('cloud_username', '=', 'principal.office')
        .executeTakeFirst();
      if (row?.state === 'conflict') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await browser.follow(`${demo.urls.workspace}/`)).text).toContain('已被其他人使用');
    expect((await googleUser(PRINCIPAL))?.externalIds).toEqual([]);

    const answer = await googleSignIn(browser, PRINCIPAL);
    expect(answer.url.origin).toBe(new URL(demo.urls.cloud).origin);
    expect(answer.status).toBe(403);
    expect(answer.text).not.toContain('SAMLResponse');
    expect(answer.text).toContain('無法以您的教育雲帳號登入 principal.office@go.edu.tw');
    const [record] = await audits('saml.refused_unlinked');
    expect(record).toMatchObject({ actor: 'principal.office', target: 'google.com/a/go.edu.tw' });
    // Google never signed anyone in.
    expect((await browser.follow(`${demo.urls.google}/`)).text).not.toContain('id="signed-in"');
  });

  it('an account the portal provisioned signs in to Google as the address the portal recorded', async () => {
    const browser = await cloudSignIn('teacher02');
    let portal = await browser.follow(`${demo.urls.workspace}/auth/login`);
    if (portal.text.includes('/consent"'))
      portal = await post(browser, portal, '/consent', { decision: 'allow' });
    // Before activation there is nothing to assert.
    expect((await googleSignIn(browser, 'teacher02@go.edu.tw')).status).toBe(403);
    await post(browser, portal, '/activate');
    for (let i = 0; i < 100 && !(await googleUser('teacher02@go.edu.tw')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const answer = await googleSignIn(browser, 'teacher02@go.edu.tw');
    expect(answer.status).toBe(200);
    const signedIn = await post(browser, answer, '/acs');
    expect(signedIn.text).toContain('teacher02@go.edu.tw');
    expect(signedIn.text).toContain('id="signed-in"');
    const link = await dbOf('cloud')
      .selectFrom('saml_google_links')
      .selectAll()
      .where('google_email', '=', 'teacher02@go.edu.tw')
      .executeTakeFirst();
    expect(link?.domain).toBe('go.edu.tw');
  });

  it("the portal answers lookups only to the cloud's lookup tokens", async () => {
    const url = `${demo.urls.workspace}${GOOGLE_LOOKUP_PATH}`;
    const cloud = ctxOf('cloud');
    const key = await oidcIssuerSigningKeys(cloud.db, cloud.secrets.secret)(CLOUD_TENANT);
    if (!key) throw new Error('the cloud has no signing key');
    const token = (claims: Record<string, string>, typ = GOOGLE_LOOKUP_TYP, audience = 'k12cc-workspace') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ })
        .setIssuer(cloudIssuer(cloud))
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime('60s')
        .setJti(randomUUID())
        .sign(key.key);
    const ask = async (bearer?: string) => {
      const response = await fetch(url, bearer ? { headers: { authorization: `Bearer ${bearer}` } } : {});
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    const teacher02 = (await cloudServices().accounts.byName('teacher02'))?.id ?? '';
    const principal = (await cloudServices().accounts.byName('principal.office'))?.id ?? '';
    expect(await ask(await token({ sub: teacher02 }))).toEqual({
      status: 200,
      body: { sub: teacher02, googleEmail: 'teacher02@go.edu.tw' },
    });
    // The account whose activation ended in a conflict has no address.
    expect((await ask(await token({ sub: principal }))).body).toEqual({ sub: principal, googleEmail: null });
    expect((await ask(await token({ google_email: PRINCIPAL }))).body).toEqual({
      googleEmail: PRINCIPAL,
      available: false,
    });
    expect((await ask(await token({ google_email: 'nobody.yet@go.edu.tw' }))).body).toEqual({
      googleEmail: 'nobody.yet@go.edu.tw',
      available: true,
    });
    // No token, an ID-token-like JWT of the same issuer and audience, another audience, a forgery.
    expect((await ask()).status).toBe(401);
    expect((await ask(await token({ sub: teacher02 }, 'JWT'))).status).toBe(401);
    expect((await ask(await token({ sub: teacher02 }, GOOGLE_LOOKUP_TYP, 'school-app'))).status).toBe(401);
    const forged = `${(await token({ sub: teacher02 })).split('.').slice(0, 2).join('.')}.c2lnbmF0dXJl`;
    expect((await ask(forged)).status).toBe(401);
  });
});
