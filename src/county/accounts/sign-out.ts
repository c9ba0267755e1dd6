import type { FastifyReply, FastifyRequest } from 'fastify';

/** What a browser's sign-out ended besides the portal: the services' names, their back-channel logout URIs. */
export interface BrowserSignOut {
  names: string[];
  backchannelLogoutUris: string[];
}
type BrowserHook = (tenant: string, request: FastifyRequest, reply: FastifyReply) => Promise<BrowserSignOut>;
type SessionsHook = (tenant: string, accountId: string, oidcSessionUids: string[]) => Promise<void>;
type AccountHook = (tenant: string, accountId: string) => Promise<void>;

/**
 * What else ends with a county sign-in. The portal's own session is ended by `login/session.ts`;
 * the OIDC provider (county/oidc/sign-out.ts) adds its sessions, grants and tokens here, and
 * tells its relying parties (back-channel logout).
 */
export class SignOutHooks {
  readonly #browser: BrowserHook[] = [];
  readonly #sessions: SessionsHook[] = [];
  readonly #account: AccountHook[] = [];

  /** Registers what a browser's sign-out ends, what ending some sessions ends, and what revoking an account ends. */
  register(hooks: { browser: BrowserHook; sessions: SessionsHook; account: AccountHook }): void {
    this.#browser.push(hooks.browser);
    this.#sessions.push(hooks.sessions);
    this.#account.push(hooks.account);
  }

  /** The browser of `request` signs out: returns the services signed out with it. */
  async browser(tenant: string, request: FastifyRequest, reply: FastifyReply): Promise<BrowserSignOut> {
    const ended: BrowserSignOut = { names: [], backchannelLogoutUris: [] };
    for (const hook of this.#browser) {
      const more = await hook(tenant, request, reply);
      ended.names.push(...more.names);
      ended.backchannelLogoutUris.push(...more.backchannelLogoutUris);
    }
    return ended;
  }

  /** Some browser sessions of an account were revoked (「登出」 on the sessions page). */
  async sessions(tenant: string, accountId: string, oidcSessionUids: string[]): Promise<void> {
    for (const hook of this.#sessions) await hook(tenant, accountId, oidcSessionUids);
  }

  /** Every sign-in of the account ends (password reset or change). */
  async account(tenant: string, accountId: string): Promise<void> {
    for (const hook of this.#account) await hook(tenant, accountId);
  }
}
