import type { FastifyRequest } from 'fastify';
import type { AccountRow, Db } from '../provisioning/provision-account.ts';
import { accountBySub } from './repository.ts';
import { sessionLive } from './sessions.ts';

/** What the portal keeps in the browser's session: who signed in, and the row of that sign-in. */
const SUB_KEY = 'ws.sub';
const SESSION_KEY = 'ws.session';
/** The PKCE verifier, state and nonce of a sign-in at the cloud under way. */
const LOGIN_KEY = 'ws.login';

type LoginCheck = { verifier: string; state: string; nonce: string };

/** The account signed in at the portal, unless signed out here or by the cloud (back-channel logout). */
export async function currentAccount(db: Db, request: FastifyRequest): Promise<AccountRow | undefined> {
  const sub = request.session.get<string>(SUB_KEY);
  const id = request.session.get<string>(SESSION_KEY);
  if (!sub || !id) return undefined;
  if (!(await sessionLive(db, id, sub))) return undefined;
  return accountBySub(db, sub);
}

/** A new session for the browser that signed in as `sub` (its row `sessionId`). */
export function enterPortal(request: FastifyRequest, sub: string, sessionId: string): void {
  request.session.regenerate();
  request.session.set(SUB_KEY, sub);
  request.session.set(SESSION_KEY, sessionId);
}

/** The row of the browser's sign-in, if any. */
export function portalSessionId(request: FastifyRequest): string | undefined {
  return request.session.get<string>(SESSION_KEY);
}

export function keepLoginCheck(request: FastifyRequest, check: LoginCheck): void {
  request.session.set(LOGIN_KEY, check);
}

/** The check of the sign-in under way, used once. */
export function takeLoginCheck(request: FastifyRequest): LoginCheck | undefined {
  const check = request.session.get<LoginCheck>(LOGIN_KEY);
  if (check) request.session.delete(LOGIN_KEY);
  return check;
}
