// What the cloud's tests do as a school application and as the browser in front of it: submit a
// page's form, walk an authorization through the cloud's password and consent pages, listen for
// the cloud's back-channel logout tokens.
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { createLogger } from '../../platform/observability/logger.ts';
import {
  BackchannelLogoutReceiver,
  type LogoutRequest,
  mountBackchannelLogout,
} from '../../platform/oidc/index.ts';
import { type CookieBrowser, formOn, type PageResult } from '../../platform/testing/cookie-browser.ts';

/** Where the test applications' redirect URIs point: nothing listens, the browser stops before it. */
export const APP_ORIGIN = 'http://127.0.0.1:9/';

/** Submits the form of `page` whose action contains `action`, with `form` over its fields (up to the application). */
export async function submitForm(
  browser: CookieBrowser,
  page: PageResult,
  action: string,
  form: Record<string, string> = {},
): Promise<PageResult> {
  const { action: url, fields } = formOn(page, action);
  return browser.follow(url, { form: { ...fields, ...form }, stopBefore: APP_ORIGIN });
}

/**
 * Follows an authorization request in `browser`: signs in with the cloud password where asked
 * (`onPassword` is told just before) and allows consent; returns the redirect to the application.
 */
export async function authorizeAtCloud(
  browser: CookieBrowser,
  url: URL,
  signIn: { name: string; password: string },
  onPassword?: () => void,
): Promise<URL> {
  let page = await browser.follow(url, { stopBefore: APP_ORIGIN });
  for (let step = 0; step < 4 && !page.url.href.startsWith(APP_ORIGIN); step++) {
    if (page.url.pathname === '/login') {
      onPassword?.();
      page = await submitForm(browser, page, '/login', signIn);
    } else if (page.text.includes('/consent')) {
      page = await submitForm(browser, page, '/consent', { decision: 'allow' });
    } else throw new Error(`unexpected page ${page.url.href}: ${page.text.slice(0, 300)}`);
  }
  return page.url;
}

/**
 * A school application's back-channel logout endpoint (`/logout`) for the cloud's client
 * `clientId`: the logout tokens it accepts go to `received`. Not listening yet.
 */
export async function logoutReceiverApp<DB>(
  db: Kysely<DB>,
  cloudUrl: string,
  clientId: string,
  received: LogoutRequest[],
): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(formbody);
  await mountBackchannelLogout(
    app,
    '/logout',
    new BackchannelLogoutReceiver({
      db,
      log: createLogger('silent'),
      issuer: async (iss) =>
        iss === cloudUrl
          ? { issuer: cloudUrl, audience: clientId, jwksUri: `${cloudUrl}/oidc/v1/jwksets` }
          : undefined,
      async handle(_tx, logout) {
        received.push(logout);
        return undefined;
      },
    }),
  );
  return app;
}
