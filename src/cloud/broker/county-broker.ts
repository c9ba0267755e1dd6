import * as client from 'openid-client';
import type { Logger } from 'pino';
import { AppError } from '../../platform/errors/app-error.ts';
import { ENDED_BY_USER } from '../../platform/oidc/index.ts';
import type { CountyConnection, CountyRegistry } from './counties.ts';
import { type CountyClaims, readCountyClaims } from './county-claims.ts';

export const COUNTY_SCOPE = 'openid exchangedata';

/** What the cloud remembers between sending the browser to a county and its coming back. */
export interface PendingCountyLogin {
  county: string;
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  createdAt: number;
  /** The county was asked for fresh credentials (`prompt=login`, `max_age=0`). */
  forceLogin?: boolean;
}

export interface CountyLoginResult extends CountyClaims {
  connection: CountyConnection;
  issuer: string;
  /** When the person authenticated at the county (its ID token's `auth_time`), when it says. */
  authTime: number | undefined;
  /** The county's ID token: the `id_token_hint` of its RP-initiated logout. */
  idToken: string;
  /** The county's session id (`sid`), which its back-channel logout names. */
  sid: string | null;
}

export interface BrokerOptions {
  /** `${cloud}/cncreturnpage`, registered at every county. */
  callbackUrl: string;
  log: Logger;
  /** Seconds a county may take to answer before it counts as unavailable. */
  timeoutSeconds?: number;
  /** How long discovered metadata is reused. */
  cacheSeconds?: number;
}

const LOOPBACK = /^(localhost|127(?:\.\d+){3}|\[::1\])$/;

/** Plain HTTP is accepted for loopback issuers only (the demo and tests); real counties use HTTPS. */
function allowsHttp(issuer: URL): boolean {
  return issuer.protocol === 'http:' && LOOPBACK.test(issuer.hostname);
}

/**
 * The cloud as an OpenID Connect relying party of every county portal (openid-client): discovery
 * per county (cached, with a timeout, so one county that is down never slows the others), PKCE,
 * state and nonce, then the code exchange and userinfo.
 */
export class CountyBroker {
  readonly #registry: CountyRegistry;
  readonly #options: BrokerOptions;
  /**
   * Discovery per county, with what it was built from: the issuer, the client id and secret as the
   * registry has them now. A change of a county on any node (a new secret, another issuer) is in
   * the registry's next read, and a copy built from other values is not used.
   */
  readonly #configs = new Map<string, { config: client.Configuration; expires: number; from: string }>();

  constructor(registry: CountyRegistry, options: BrokerOptions) {
    this.#registry = registry;
    this.#options = options;
  }

  async #configuration(
    code: string,
  ): Promise<{ connection: CountyConnection; config: client.Configuration }> {
    const found = await this.#registry.credentials(code);
    if (!found) throw new AppError('cloud.county_unknown', 404);
    const { connection, clientSecret } = found;
    if (!connection.enabled) throw new AppError('cloud.county_disabled', 503, { county: connection.name });
    const from = JSON.stringify([connection.issuer, connection.clientId, clientSecret]);
    const cached = this.#configs.get(code);
    if (cached && cached.expires > Date.now() && cached.from === from)
      return { connection, config: cached.config };
    const issuer = new URL(connection.issuer);
    const timeout = this.#options.timeoutSeconds ?? 5;
    try {
      const config = await client.discovery(
        issuer,
        connection.clientId,
        { client_secret: clientSecret },
        client.ClientSecretBasic(clientSecret),
        { timeout, ...(allowsHttp(issuer) ? { execute: [client.allowInsecureRequests] } : {}) },
      );
      config.timeout = timeout;
      this.#configs.set(code, {
        config,
        expires: Date.now() + (this.#options.cacheSeconds ?? 300) * 1000,
        from,
      });
      return { connection, config };
    } catch (error) {
      this.#options.log.warn({ county: code, err: (error as Error).message }, 'county discovery failed');
      throw new AppError('cloud.county_unavailable', 502, { county: connection.name });
    }
  }

  /** The county's authorization URL for a new login, and what to keep in the session. */
  async start(
    code: string,
    returnTo: string,
    options: { forceLogin?: boolean } = {},
  ): Promise<{ url: string; pending: PendingCountyLogin }> {
    const { config } = await this.#configuration(code);
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.#options.callbackUrl,
      scope: COUNTY_SCOPE,
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      // A client asked the cloud for fresh credentials (ForceAuthn, prompt=login): a live county
      // session must not stand in for them, and the ID token must say when the county asked.
      ...(options.forceLogin ? { prompt: 'login', max_age: '0' } : {}),
    });
    const pending: PendingCountyLogin = {
      county: code,
      state,
      nonce,
      verifier,
      returnTo,
      createdAt: Date.now(),
    };
    if (options.forceLogin) pending.forceLogin = true;
    return { url: url.href, pending };
  }

  /**
   * Completes a login from the county's answer at `/cncreturnpage` (`query` is its search string).
   * Refusals by the county (a suspended or departed account, a denied consent) and failures of the
   * exchange become coded errors the person can read.
   */
  async finish(pending: PendingCountyLogin, query: string): Promise<CountyLoginResult> {
    const { connection, config } = await this.#configuration(pending.county);
    const callback = new URL(this.#options.callbackUrl);
    callback.search = query;
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(
        config,
        callback,
        {
          pkceCodeVerifier: pending.verifier,
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          idTokenExpected: true,
        },
        { redirect_uri: this.#options.callbackUrl },
      );
    } catch (error) {
      throw this.#explain(error, connection);
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new AppError('cloud.county_login_failed', 502, { county: connection.name });
    const authTime = typeof idClaims.auth_time === 'number' ? idClaims.auth_time : undefined;
    // Asked for fresh credentials: the county must have authenticated the person after the ask.
    if (pending.forceLogin && (authTime === undefined || authTime < Math.floor(pending.createdAt / 1000))) {
      throw new AppError('cloud.county_not_reauthenticated', 403, { county: connection.name });
    }
    let userinfo: Record<string, unknown> = {};
    try {
      userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
    } catch (error) {
      throw this.#explain(error, connection);
    }
    try {
      const claims = readCountyClaims({ ...idClaims, ...userinfo });
      return {
        ...claims,
        connection,
        issuer: config.serverMetadata().issuer,
        authTime,
        idToken: tokens.id_token ?? '',
        sid: typeof idClaims.sid === 'string' ? idClaims.sid : null,
      };
    } catch {
      throw new AppError('cloud.county_login_failed', 502, { county: connection.name });
    }
  }

  /** Where the county publishes its signing keys (from its discovery document). */
  async jwksUri(code: string): Promise<string | undefined> {
    try {
      return (await this.#configuration(code)).config.serverMetadata().jwks_uri;
    } catch {
      return undefined;
    }
  }

  /**
   * The county's end-session URL (RP-initiated logout) for a county login of this browser, coming
   * back to `postLogoutRedirectUri` (registered at the county); undefined when the county is
   * unknown, unreachable or publishes no end-session endpoint.
   */
  async endSessionUrl(code: string, idToken: string, postLogoutRedirectUri: string, state: string) {
    try {
      const { config } = await this.#configuration(code);
      if (!config.serverMetadata().end_session_endpoint) return undefined;
      return client.buildEndSessionUrl(config, {
        id_token_hint: idToken,
        post_logout_redirect_uri: postLogoutRedirectUri,
        state,
      }).href;
    } catch (error) {
      this.#options.log.warn({ county: code, err: (error as Error).message }, 'county logout unavailable');
      return undefined;
    }
  }

  #explain(error: unknown, connection: CountyConnection): AppError {
    if (error instanceof AppError) return error;
    if (error instanceof client.AuthorizationResponseError) {
      const description = error.error_description ?? '';
      // The person's own cancel (at the county's sign-in or consent page) is no refusal.
      if (error.error === 'access_denied' && CANCELLED.has(description)) {
        return new AppError('cloud.county_cancelled', 400, { county: connection.name });
      }
      if (
        error.error === 'access_denied' ||
        error.error === 'login_required' ||
        error.error === 'consent_required'
      ) {
        return countyRefusal(connection, description);
      }
      return new AppError('cloud.county_login_failed', 502, { county: connection.name });
    }
    const e = error as { code?: string; name?: string; message?: string; cause?: unknown };
    this.#options.log.warn({ county: connection.code, code: e.code, err: e.message }, 'county login failed');
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.name === 'TypeError') {
      return new AppError('cloud.county_unavailable', 502, { county: connection.name });
    }
    if (error instanceof client.ResponseBodyError) {
      // The county refused the code or the token (e.g. the account was suspended meanwhile).
      return countyRefusal(connection, error.error_description ?? '');
    }
    return new AppError('cloud.county_login_failed', 502, { county: connection.name });
  }
}

const CANCELLED = new Set<string>(Object.values(ENDED_BY_USER));

/**
 * The county's refusal of the account, in the person's language: the county's own words
 * (protocol English such as `account suspended`) are read for the reason, never shown.
 */
function countyRefusal(connection: CountyConnection, description: string): AppError {
  const reason = /suspend/i.test(description)
    ? 'cloud.county_refused_suspended'
    : /depart|left|retire/i.test(description)
      ? 'cloud.county_refused_departed'
      : 'cloud.county_refused';
  return new AppError(reason, 403, { county: connection.name });
}
