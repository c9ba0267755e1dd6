import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CloudAccount } from './account/accounts.ts';

const ACCOUNT_KEY = 'cloud.accountId';
const AUTH_KEY = 'cloud.auth';
const FRESH_KEY = 'cloud.freshSignIn';
const SESSION_KEY = 'cloud.sessionId';
const COUNTY_KEY = 'cloud.countyLogin';

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
 * The county login of this browser, kept in the cloud session: its ID token (the `id_token_hint`
 * of the county's RP-initiated logout when the person signs out of the cloud) and its session id.
 */
export interface CountyLogin {
  code: string;
  idToken: string;
  sid: string | null;
  sub: string;
}

const loaded = new WeakMap<FastifyRequest, Promise<CloudAccount | undefined>>();

/**
 * The signed-in, active cloud account of this browser, or undefined (not signed in, signed out
 * elsewhere — the session's row revoked —, or the account was suspended since). Needs the cloud
 * session, i.e. a route on the cloud app.
 */
export function currentCloudAccount(request: FastifyRequest): Promise<CloudAccount | undefined> {
  let found = loaded.get(request);
  if (!found) {
    found = loadCurrent(request);
    loaded.set(request, found);
  }
  return found;
}

async function loadCurrent(request: FastifyRequest): Promise<CloudAccount | undefined> {
  const id = request.session?.get<string>(ACCOUNT_KEY);
  const sid = request.session?.get<string>(SESSION_KEY);
  if (!id || !sid) return undefined;
  // The row and its account in one read: a revoked row or a suspended account signs the browser out.
  const account = await request.server.cloud.sessions.liveAccount(sid, id);
  if (account?.state !== 'active') return undefined;
  return account;
}

/** The account and row a stored cloud session names (read outside the session plugin). */
export function signedInOf(
  data: Record<string, unknown> | undefined,
): { accountId: string; sessionId: string } | undefined {
  const accountId = data?.[ACCOUNT_KEY];
  const sessionId = data?.[SESSION_KEY];
  if (typeof accountId !== 'string' || typeof sessionId !== 'string') return undefined;
  return { accountId, sessionId };
}

/** The county login a stored cloud session rested on (read outside the session plugin). */
export function countyLoginOf(data: Record<string, unknown> | undefined): CountyLogin | undefined {
  const login = data?.[COUNTY_KEY] as CountyLogin | undefined;
  return login && typeof login.code === 'string' && typeof login.idToken === 'string' ? login : undefined;
}

/** The row of the current sign-in (to mark "this device" and keep it when signing out the others). */
export function currentSessionId(request: FastifyRequest): string | undefined {
  return request.session?.get<string>(SESSION_KEY);
}

/** When and how the current session signed in. */
export function cloudAuthentication(request: FastifyRequest): CloudAuthentication | undefined {
  return request.session?.get<CloudAuthentication>(AUTH_KEY);
}

/** Keeps the county login that just came back (before the cloud session starts or links it). */
export function rememberCountyLogin(request: FastifyRequest, login: CountyLogin): void {
  request.session.set(COUNTY_KEY, login);
}

/** Starts a signed-in session (a fresh session id, so a planted one is worthless) and its row. */
export async function signIn(
  request: FastifyRequest,
  account: CloudAccount,
  auth: Omit<CloudAuthentication, 'time' | 'at'> & { time?: number | undefined },
): Promise<void> {
  const county = request.session.get<CountyLogin>(COUNTY_KEY);
  const fromCounty = auth.county !== undefined && county?.code === auth.county ? county : undefined;
  const sid = await request.server.cloud.sessions.start(account.id, {
    ip: request.ip,
    userAgent: request.headers['user-agent'],
    county: fromCounty ? { code: fromCounty.code, sid: fromCounty.sid, sub: fromCounty.sub } : undefined,
  });
  const at = Date.now();
  const time = Math.min(auth.time ?? Math.floor(at / 1000), Math.floor(at / 1000));
  request.session.regenerate();
  request.session.set(ACCOUNT_KEY, account.id);
  request.session.set(SESSION_KEY, sid);
  request.session.set(COUNTY_KEY, fromCounty);
  request.session.set(AUTH_KEY, { ...auth, time, at } satisfies CloudAuthentication);
  loaded.delete(request);
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

/**
 * Ends the browser's cloud session and revokes its row; returns the county login it rested on
 * (for the county's RP-initiated logout), if any.
 */
export async function signOut(request: FastifyRequest): Promise<CountyLogin | undefined> {
  const id = request.session.get<string>(ACCOUNT_KEY);
  const sid = request.session.get<string>(SESSION_KEY);
  const county = request.session.get<CountyLogin>(COUNTY_KEY);
  if (id && sid) await request.server.cloud.sessions.revoke(id, sid);
  request.session.destroy();
  loaded.delete(request);
  return county;
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
