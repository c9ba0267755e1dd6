import * as client from 'openid-client';
import { splitPersonalName } from '../../identity/index.ts';
import { DEMO_CLIENTS, demoClientSecret } from '../../platform/federation/clients.ts';
import { ENDED_BY_USER } from '../../platform/oidc/index.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import type { CloudProfile } from './accounts.ts';

export const CALLBACK_PATH = '/auth/callback';

/**
 * The activation portal as an OpenID Connect relying party of the education cloud (authorization
 * code + PKCE). A browser with a live cloud session goes through without signing in again.
 */
export class CloudLogin {
  readonly #ctx: RoleContext<unknown>;
  #config: Promise<client.Configuration> | undefined;

  constructor(ctx: RoleContext<unknown>) {
    this.#ctx = ctx;
  }

  get redirectUri(): string {
    return `${this.#ctx.urls.workspace}${CALLBACK_PATH}`;
  }

  #configuration(): Promise<client.Configuration> {
    const ctx = this.#ctx;
    const clientId = ctx.config.workspaceClientId ?? DEMO_CLIENTS.workspaceAtCloud.clientId;
    const secret =
      ctx.config.workspaceClientSecret ?? demoClientSecret(ctx.secrets.secret, 'workspace-at-cloud');
    const issuer = new URL(ctx.urls.cloud);
    this.#config ??= client
      .discovery(
        issuer,
        clientId,
        secret,
        undefined,
        issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {},
      )
      .catch((error: unknown) => {
        this.#config = undefined;
        throw error;
      });
    return this.#config;
  }

  /** The cloud's sign-out URL: it signs the browser out of the cloud and of the whole chain. */
  get signOutUrl(): string {
    return `${this.#ctx.urls.cloud.replace(/\/+$/, '')}/logout`;
  }

  /** Where to send the browser, and what to keep in the session to check the answer. */
  async start() {
    const config = await this.#configuration();
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: DEMO_CLIENTS.workspaceAtCloud.scope,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.toString(), check: { verifier, state, nonce } };
  }

  /** Completes the login: the tokens, then the person's profile and school from the cloud's APIs. */
  async finish(
    currentUrl: URL,
    check: { verifier: string; state: string; nonce: string },
  ): Promise<CloudProfile & { sid: string | null }> {
    const config = await this.#configuration();
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      pkceCodeVerifier: check.verifier,
      expectedState: check.state,
      expectedNonce: check.nonce,
    });
    const claims = tokens.claims();
    if (!claims) throw new Error('no ID token');
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    const str = (v: unknown) => (typeof v === 'string' ? v : '');
    let schoolCode: string | null = null;
    let county: string | null = null;
    try {
      const response = await client.fetchProtectedResource(
        config,
        tokens.access_token,
        new URL(`${this.#ctx.urls.cloud}/moeresource/api/v2/oidc/relation`),
        'GET',
      );
      const body = (await response.json()) as { relation?: Array<{ county?: string; schoolid?: string }> };
      const main = body.relation?.find((r) => r.schoolid) ?? body.relation?.[0];
      schoolCode = main?.schoolid || null;
      county = main?.county || null;
    } catch (error) {
      this.#ctx.log.warn({ err: error }, 'cloud relation API unavailable; org unit from the school list');
    }
    const email = str(info.email) || str(claims.email);
    const username =
      str(info.preferred_username) || str(claims.preferred_username) || email.split('@')[0] || '';
    const name = str(info.name) || username;
    return {
      sid: typeof claims.sid === 'string' ? claims.sid : null,
      sub: claims.sub,
      username,
      email,
      name,
      ...googleNameParts(name, str(info.family_name), str(info.given_name)),
      schoolCode,
      county,
      state: 'active',
    };
  }
}

/**
 * The given and family name for Google, which needs both: the cloud's, or derived from the full
 * name when the cloud has none (never the full name in both, which Google would show twice). A
 * name that cannot be split is the given name, with `-` as the family name.
 */
export function googleNameParts(
  name: string,
  familyName: string,
  givenName: string,
): { givenName: string; familyName: string } {
  if (familyName && givenName) return { givenName, familyName };
  const parts = splitPersonalName(name);
  if (parts) return { givenName: givenName || parts.given, familyName: familyName || parts.family };
  return { givenName: givenName || name, familyName: familyName || '-' };
}

const ENDED = new Set<string>(Object.values(ENDED_BY_USER));

/** Whether the cloud's answer is the person's own cancel (not a refusal, not a failure). */
export function cancelledByUser(error: unknown): boolean {
  return (
    error instanceof client.AuthorizationResponseError &&
    error.error === 'access_denied' &&
    ENDED.has(error.error_description ?? '')
  );
}
