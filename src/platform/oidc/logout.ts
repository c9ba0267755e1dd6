import type { IncomingMessage, ServerResponse } from 'node:http';
import { sql } from 'kysely';
import type Provider from 'oidc-provider';
import { revokeGrant } from './grant-revocation.ts';
import type { OidcProvider } from './provider.ts';

type ProviderSession = InstanceType<Provider['Session']>;

/** What ending a sign-in session of the provider did. */
export interface EndedSession {
  /** The names of the clients the session had signed in to (each got a logout token if it asked for one). */
  clients: string[];
  /** Their back-channel logout URIs (where a host may look for a relying party it knows). */
  backchannelLogoutUris: string[];
}

/**
 * Ends one sign-in session of the provider as its end-session endpoint does when the person
 * confirms: each client that registered a `backchannel_logout_uri` gets a logout token
 * (OpenID Connect Back-Channel Logout 1.0, with the client's `sid`), the grants that do not
 * outlive the session are revoked with their tokens, and the session is destroyed.
 */
export async function endProviderSession(
  oidc: OidcProvider,
  session: ProviderSession,
): Promise<EndedSession> {
  const accountId = session.accountId;
  const log = oidc.options.log;
  const clients: string[] = [];
  const backchannelLogoutUris: string[] = [];
  const notices: Array<Promise<void>> = [];
  for (const [clientId, authorization] of Object.entries(session.authorizations ?? {})) {
    clients.push((await oidc.clients.nameOf(clientId).catch(() => undefined)) ?? clientId);
    const client = (await oidc.provider.Client.find(clientId).catch(() => undefined)) as
      | { backchannelLogoutUri?: string; backchannelLogout(sub: string, sid: string): Promise<void> }
      | undefined;
    if (client?.backchannelLogoutUri) backchannelLogoutUris.push(client.backchannelLogoutUri);
    if (client?.backchannelLogoutUri && accountId) {
      notices.push(
        client.backchannelLogout(accountId, authorization.sid ?? '').then(
          () => log.info({ clientId }, 'back-channel logout delivered'),
          (error: Error) =>
            log.warn(
              { clientId, err: error.message },
              'back-channel logout failed (retried by the job queue)',
            ),
        ),
      );
    }
    if (authorization.grantId && !authorization.persistsLogout) {
      await revokeGrant(oidc, authorization.grantId).catch((error: Error) =>
        log.warn({ clientId, err: error.message }, 'grant revocation at logout failed'),
      );
    }
  }
  await Promise.all(notices);
  await session.destroy();
  return { clients, backchannelLogoutUris };
}

/** Ends the provider's sign-in session of the browser that sent `request`, if it has one. */
export async function endBrowserSession(
  oidc: OidcProvider,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<EndedSession> {
  const session = await oidc.provider.Session.get({ req: request, res: response } as never);
  if (!session.accountId) return { clients: [], backchannelLogoutUris: [] };
  return endProviderSession(oidc, session);
}

/** Ends the provider's sign-in session with this `uid` (as a host recorded it), if it still exists. */
export async function endSessionByUid(oidc: OidcProvider, uid: string): Promise<EndedSession> {
  const session = await oidc.provider.Session.findByUid(uid);
  if (!session?.accountId) return { clients: [], backchannelLogoutUris: [] };
  return endProviderSession(oidc, session);
}

/**
 * Revokes everything the provider holds for an account (after a password reset or change): its
 * sign-in sessions (the relying parties get back-channel logout), and every grant with its access
 * tokens, refresh tokens and codes. Sessions kept in the database are found by account; those in
 * Redis by the `sessionUids` the host recorded for the account's browser sessions. Remembered
 * consents stay (the person is not asked again what they already agreed to).
 */
export async function revokeAccount(
  oidc: OidcProvider,
  accountId: string,
  sessionUids: Iterable<string> = [],
): Promise<{ sessions: number; grants: number }> {
  const { Session } = oidc.provider;
  const sessions = new Map<string, ProviderSession>();
  for (const uid of new Set(sessionUids)) {
    const session = await Session.findByUid(uid);
    if (session?.accountId === accountId) sessions.set(session.jti, session);
  }
  const stored = await oidc.db
    .selectFrom('oidc_payloads')
    .select(['id', 'model'])
    .where('tenant', '=', oidc.tenant)
    .where('model', 'in', ['Session', 'Grant'])
    .where(sql<string>`payload->>'accountId'`, '=', accountId)
    .execute();
  for (const row of stored.filter((r) => r.model === 'Session')) {
    if (sessions.has(row.id)) continue;
    const session = await Session.find(row.id);
    if (session?.accountId === accountId) sessions.set(session.jti, session);
  }
  for (const session of sessions.values()) await endProviderSession(oidc, session);
  // Grants of other sessions, and those that outlive a session (offline access).
  const grants = stored.filter((r) => r.model === 'Grant').map((r) => r.id);
  for (const grantId of grants) await revokeGrant(oidc, grantId);
  return { sessions: sessions.size, grants: grants.length };
}
