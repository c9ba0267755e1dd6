// Test support for OIDC issuers: a small issuer over an in-test account list, and a cookie-keeping
// browser that walks the login and consent pages over real HTTP. Used by the core's tests and by
// the roles' provider tests.
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import { createRoleApp, sendPage } from '../http/role-app.ts';
import { DatabaseSessionStore } from '../http/session-store.ts';
import { sessions } from '../http/sessions.ts';
import { createLogger } from '../observability/logger.ts';
import { freePort } from '../testing/ports.ts';
import { html } from '../views/html.ts';
import { page } from '../views/layout.ts';
import { abortInteraction, finishLogin, interactionView, mountInteractions, mountProtocol } from './http.ts';
import { OidcProvider, type OidcProviderOptions } from './provider.ts';
import { mountResources, type ResourceRoute } from './resource.ts';

export interface TestAccount {
  id: string;
  username: string;
  password: string;
  state: 'active' | 'incomplete' | 'suspended';
  claims: Record<string, unknown>;
}

export const TEST_SCOPES: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
  secret: ['secret_number'],
};

export const TEST_CONSENT_LINES = {
  openid: { 'zh-TW': '檢視您的網路認證資料', en: 'Your sign-in identity' },
  profile: { 'zh-TW': '檢視您的個人基本資料', en: 'Your basic profile' },
  email: { 'zh-TW': '檢視您的電子郵件', en: 'Your email address' },
  secret: { 'zh-TW': '檢視您的秘密號碼', en: 'Your secret number' },
};

export interface TestIssuer {
  app: FastifyInstance;
  oidc: OidcProvider<TestAccount>;
  issuer: string;
  origin: string;
  accounts: Map<string, TestAccount>;
  /** Each call of the host port's `prefetch`, as `use:accountId`. */
  prefetches: string[];
  close(): Promise<void>;
}

/**
 * An issuer at `http://127.0.0.1:PORT/t1` with a plain login form (username + password), a
 * `profile` prompt for incomplete accounts and a refusal page for suspended ones.
 */
export async function startTestIssuer(options: {
  db: Kysely<unknown>;
  dbKind?: 'pglite' | 'postgres';
  redis?: Redis | undefined;
  accounts: TestAccount[];
  registrationToken?: string;
  restrictedScopes?: string[];
  ttl?: OidcProviderOptions['ttl'];
  onProvider?: OidcProviderOptions['onProvider'];
  /** Resource APIs under `/t1` (see resource.ts). */
  resources?: ResourceRoute<TestAccount>[];
}): Promise<TestIssuer> {
  const log = createLogger('warn');
  const app = await createRoleApp({
    role: 'test',
    logger: log,
    brand: { name: 'Test issuer', href: '/t1/' },
  });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const accounts = new Map(options.accounts.map((a) => [a.id, a]));
  const prefetches: string[] = [];
  const oidc = await OidcProvider.create({
    tenant: 't1',
    issuer: `${origin}/t1`,
    db: options.db,
    dbKind: options.dbKind,
    redis: options.redis,
    installationSecret: 'test-installation-secret-0123456789',
    registrationToken: options.registrationToken,
    scopes: TEST_SCOPES,
    ...(options.restrictedScopes ? { restrictedScopes: options.restrictedScopes } : {}),
    consentLines: TEST_CONSENT_LINES,
    accounts: {
      async prefetch(id, use) {
        prefetches.push(`${use}:${id}`);
        return accounts.get(id);
      },
      findAccount(account, use) {
        if (use === 'token' && account.state !== 'active') return undefined;
        return { accountId: account.id, claims: async () => ({ ...account.claims }) };
      },
    },
    prompts: [
      {
        name: 'account_state',
        check: ({ account }) =>
          account?.state === 'active' ? undefined : { state: account?.state ?? 'missing' },
      },
    ],
    i18n: app.i18n,
    brand: app.brand,
    secureCookies: false,
    log,
    ttl: options.ttl,
    ...(options.onProvider ? { onProvider: options.onProvider } : {}),
  });
  await mountProtocol(app, oidc);
  if (options.resources) await mountResources(app, oidc, options.resources, '/t1');
  await app.register(
    async (scope) => {
      await scope.register(sessions, {
        store: new DatabaseSessionStore(options.db as never),
        cookieName: 'test_sess',
        cookiePath: '/t1',
        secure: false,
      });
      await mountInteractions(scope, oidc, {
        login: async (request, reply, view) =>
          sendPage(
            reply,
            page(request, {
              title: 'login',
              main: html`<form method="post" action="${view.action}/login">
<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">
<input name="username"><input name="password" type="password"><button>登入</button></form>`,
            }),
          ),
        prompts: {
          account_state: async (request, reply, view) => {
            const state = String(view.details.state);
            if (state === 'incomplete') {
              return sendPage(
                reply,
                page(request, {
                  title: 'profile',
                  main: html`<p>請先完成基本資料</p><a id="continue" href="${view.action}/continue">繼續</a>`,
                }),
              );
            }
            return sendPage(
              reply,
              page(request, { title: 'refused', main: html`<p id="refused">您的帳號已停用，無法登入。</p>` }),
              403,
            );
          },
        },
      });
      scope.post<{ Params: { uid: string }; Body: { username?: string; password?: string } }>(
        '/interaction/:uid/login',
        async (request, reply) => {
          await interactionView(oidc, request, reply);
          const account = [...accounts.values()].find(
            (a) => a.username === request.body.username && a.password === request.body.password,
          );
          if (!account) return abortInteraction(oidc, request, reply, 'access_denied', 'wrong password');
          request.session.regenerate();
          return finishLogin(oidc, request, reply, account.id, { authTime: Math.floor(Date.now() / 1000) });
        },
      );
    },
    { prefix: '/t1' },
  );
  await app.listen({ port, host: '127.0.0.1' });
  return {
    app,
    oidc,
    issuer: oidc.issuer,
    origin,
    accounts,
    prefetches,
    close: () => app.close(),
  };
}
