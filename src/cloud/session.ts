import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CloudAccount } from './account/accounts.ts';

const ACCOUNT_KEY = 'cloud.accountId';
const AUTH_KEY = 'cloud.auth';
const FRESH_KEY = 'cloud.freshSignIn';

/** How the person proved who they are in this session. */
export interface CloudAuthentication {
  /**
   * When the person authenticated (seconds since the epoch): the cloud password check, or for a
   * county login the county's `auth_time` when its ID token gives one (else when its answer came).
   */
  time: number;
  /** When this session was signed in (milliseconds since the epoch). */
  at?: number;
  /** `pwd` for the cloud password, `fed` for a county login. */
  amr: Array<'pwd' | 'fed'>;
  /** The county of a federated login. */
  county?: string;
}

/**
 * The signed-in, active cloud account of this browser, or undefined (not signed in, or the
 * account was suspended since). Needs the cloud session, i.e. a route on the cloud app.
 */
export async function currentCloudAccount(request: FastifyRequest): Promise<CloudAccount | undefined> {
  const id = request.session?.get<string>(ACCOUNT_KEY);
  if (!id) return undefined;
  const account = await request.server.cloud.accounts.byId(id);
  if (account?.state !== 'active') return undefined;
  return account;
}

/** When and how the current session signed in. */
export function cloudAuthentication(request: FastifyRequest): CloudAuthentication | undefined {
  return request.session?.get<CloudAuthentication>(AUTH_KEY);
}

/** Starts a signed-in session (a fresh session id, so a planted one is worthless). */
export function signIn(
  request: FastifyRequest,
  account: CloudAccount,
  auth: Omit<CloudAuthentication, 'time' | 'at'> & { time?: number | undefined },
) {
  const at = Date.now();
  const time = Math.min(auth.time ?? Math.floor(at / 1000), Math.floor(at / 1000));
  request.session.regenerate();
  request.session.set(ACCOUNT_KEY, account.id);
  request.session.set(AUTH_KEY, { ...auth, time, at } satisfies CloudAuthentication);
}

/**
 * Notes that this browser is being sent to sign in again for `purpose` (an OIDC interaction): a
 * client asked for fresh credentials, so the session's current sign-in does not count.
 */
export function askFreshSignIn(request: FastifyRequest, purpose: string): void {
  request.session.set(FRESH_KEY, { purpose, since: Date.now() });
}

/** Whether the session signed in again after `askFreshSignIn(purpose)`. */
export function signedInAgainFor(request: FastifyRequest, purpose: string): boolean {
  const asked = request.session?.get<{ purpose: string; since: number }>(FRESH_KEY);
  const at = cloudAuthentication(request)?.at;
  return asked?.purpose === purpose && at !== undefined && at >= asked.since;
}

export function signOut(request: FastifyRequest): void {
  request.session.destroy();
}

/**
 * Where to send an unauthenticated browser so that it comes back to `returnTo` (a path of the
 * cloud; anything else gives `/account`, see `safeReturnTo` in platform/http) after signing in.
 */
export function cloudLoginUrl(returnTo: string): string {
  return `/login?return_to=${encodeURIComponent(returnTo)}`;
}

/**
 * The signed-in account, or a redirect to the cloud login that comes back to this page.
 * Returns undefined after sending the redirect.
 */
export async function requireCloudAccount(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<CloudAccount | undefined> {
  const account = await currentCloudAccount(request);
  if (account) return account;
  await reply.redirect(cloudLoginUrl(request.url), 303);
  return undefined;
}
