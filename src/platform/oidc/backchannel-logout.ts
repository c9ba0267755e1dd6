import type { FastifyInstance } from 'fastify';
import { decodeJwt, type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { RemoteKeySets } from '../security/remote-keys.ts';
import { securityEventView } from '../security-events/schema.ts';

/** The `events` member that makes a JWT a logout token (OpenID Connect Back-Channel Logout 1.0 §2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** A provider whose logout tokens this relying party accepts. */
export interface LogoutTokenIssuer {
  issuer: string;
  /** This relying party's client id at that provider. */
  audience: string;
  jwksUri: string;
}

/** A verified logout token: end the sessions of `sid` (the provider's session) or else of `sub`. */
export interface LogoutRequest {
  issuer: string;
  sub: string | undefined;
  sid: string | undefined;
  jti: string;
}

export interface BackchannelLogoutOptions<DB> {
  /** The role database: the `security_event_jtis` table of `securityEventMigrations` keeps used `jti`s. */
  db: Kysely<DB>;
  log: Logger;
  /** The trusted provider whose issuer is `iss`, or undefined. */
  issuer(iss: string): Promise<LogoutTokenIssuer | undefined>;
  /**
   * Ends the matching sessions, inside the transaction that records the token's `jti`; may return
   * what to do once it committed (e.g. end provider sessions over other connections).
   */
  handle(tx: Transaction<DB>, logout: LogoutRequest): Promise<(() => Promise<void>) | undefined>;
  /** How old a logout token may be (`iat`); default 120 seconds. */
  maxAgeSeconds?: number;
  clockToleranceSeconds?: number;
  /** The key set of a JWKS URI (default: `remoteKeySet`, one kept per URI). */
  keys?: (jwksUri: string) => JWTVerifyGetKey;
}

class LogoutRefused extends Error {}

/**
 * The relying party's back-channel logout endpoint (OpenID Connect Back-Channel Logout 1.0 §2.6):
 * verifies the logout token (signature by the provider's published keys, `iss`, `aud`, `iat`,
 * the `events` claim, `sid` or `sub`, no `nonce`), accepts each `jti` once, then ends the
 * sessions it names.
 */
export class BackchannelLogoutReceiver<DB> {
  readonly #options: BackchannelLogoutOptions<DB>;
  readonly #keys: RemoteKeySets;

  constructor(options: BackchannelLogoutOptions<DB>) {
    this.#options = options;
    this.#keys = new RemoteKeySets(options.keys);
  }

  /** Handles one `logout_token`; refused tokens give the reason (logged, and sent to the provider). */
  async receive(token: unknown): Promise<{ ok: true } | { ok: false; description: string }> {
    try {
      await this.#receive(token);
      return { ok: true };
    } catch (error) {
      if (!(error instanceof LogoutRefused)) throw error;
      this.#options.log.warn({ reason: error.message }, 'logout token refused');
      return { ok: false, description: error.message };
    }
  }

  async #receive(token: unknown): Promise<void> {
    if (typeof token !== 'string' || token === '') throw new LogoutRefused('no logout_token');
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new LogoutRefused('the logout_token is not a JWT');
    }
    const trusted = typeof iss === 'string' ? await this.#options.issuer(iss) : undefined;
    if (!trusted) throw new LogoutRefused('unknown issuer');
    const tolerance = this.#options.clockToleranceSeconds ?? 60;
    let claims: Record<string, unknown>;
    try {
      ({ payload: claims } = await jwtVerify(token, this.#keys.of(trusted.jwksUri), {
        issuer: trusted.issuer,
        audience: trusted.audience,
        maxTokenAge: this.#options.maxAgeSeconds ?? 120,
        clockTolerance: tolerance,
        requiredClaims: ['iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof joseErrors.JOSEError)
        throw new LogoutRefused(`invalid logout_token: ${error.code}`);
      throw error;
    }
    const events = claims.events as Record<string, unknown> | undefined;
    const event = events && typeof events === 'object' ? events[BACKCHANNEL_LOGOUT_EVENT] : undefined;
    if (!event || typeof event !== 'object') throw new LogoutRefused('not a logout token (events)');
    if ('nonce' in claims) throw new LogoutRefused('a logout token carries no nonce');
    const sub = typeof claims.sub === 'string' && claims.sub !== '' ? claims.sub : undefined;
    const sid = typeof claims.sid === 'string' && claims.sid !== '' ? claims.sid : undefined;
    if (!sub && !sid) throw new LogoutRefused('the logout token names neither sid nor sub');
    const jti = String(claims.jti);
    const issuedAt = Number(claims.iat);
    const keepUntil = new Date((issuedAt + (this.#options.maxAgeSeconds ?? 120) + 2 * tolerance) * 1000);
    const after = await this.#options.db.transaction().execute(async (tx) => {
      const own = securityEventView(tx);
      await own.deleteFrom('security_event_jtis').where('expires_at', '<', sql<Date>`now()`).execute();
      const fresh = await own
        .insertInto('security_event_jtis')
        .values({ issuer: trusted.issuer, jti: `logout:${jti}`, expires_at: keepUntil })
        .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
        .returning('jti')
        .executeTakeFirst();
      if (!fresh) throw new LogoutRefused('this logout token was already received');
      return this.#options.handle(tx, { issuer: trusted.issuer, sub, sid, jti });
    });
    await after?.();
  }
}

/**
 * Mounts the receiver at `path` (POST, `application/x-www-form-urlencoded` with `logout_token`):
 * 200 when the sessions ended, 400 `invalid_request` otherwise (§2.8), never cached. Called by the
 * provider's server: no browser session, no form token.
 */
export async function mountBackchannelLogout<DB>(
  app: FastifyInstance,
  path: string,
  receiver: BackchannelLogoutReceiver<DB>,
): Promise<void> {
  app.post(path, { config: { csrf: false } }, async (request, reply) => {
    const body = request.body as Record<string, unknown> | undefined;
    const result = await receiver.receive(body?.logout_token);
    reply.header('cache-control', 'no-store');
    if (result.ok) return reply.code(200).send();
    return reply.code(400).send({ error: 'invalid_request', error_description: result.description });
  });
}
