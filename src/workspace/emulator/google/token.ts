import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import {
  decodeJwt,
  decodeProtectedHeader,
  importSPKI,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../../platform/database/platform-schema.ts';
import type { GoogleTables } from './schema.ts';
import { delegatedScopes, GOOGLE_TOKEN_URI, serviceAccountKeys } from './service-accounts.ts';

type Db = Kysely<GoogleTables & PlatformTables>;

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google refuses assertions valid for longer than an hour. */
const MAX_ASSERTION_SECONDS = 3600;
const CLOCK_SKEW_SECONDS = 30;

/** A refused grant, answered as Google's token endpoint does (RFC 6749 §5.2). */
class GrantRefused extends Error {
  readonly error: string;
  readonly status: number;
  constructor(error: string, description: string, status = 400) {
    super(description);
    this.error = error;
    this.status = status;
  }
}

/**
 * OAuth 2.0 access tokens of the stand-in, issued at `/token` as Google issues them to a service
 * account: the JWT bearer grant (RFC 7523) with an assertion signed by one of the account's keys,
 * for Google's token URI (or the stand-in's own), with `scope` and `sub`, the user it acts as,
 * whose domain the stand-in hosts, and every scope delegated domain-wide to the account's client
 * ID. `google-auth-library`'s JWT client (the service account key file of production) gets its
 * tokens here when its token requests are sent to the stand-in (see provisioning/google-auth.ts).
 */
export class AccessTokens {
  readonly #db: Db;
  readonly #tokenUrl: string;
  readonly #cache = new Map<string, number>();

  /** `baseUrl`: the stand-in's public URL (its own token URL is an accepted audience too). */
  constructor(db: Db, baseUrl: string) {
    this.#db = db;
    this.#tokenUrl = `${baseUrl.replace(/\/+$/, '')}/token`;
  }

  async issue(clientId: string, scopes: string): Promise<{ token: string; expiresIn: number }> {
    const token = `ya29.standin.${randomBytes(32).toString('base64url')}`;
    const expiresIn = 3600;
    await this.#db
      .insertInto('google_access_tokens')
      .values({
        token_hash: hash(token),
        client_id: clientId,
        scopes,
        expires_at: new Date(Date.now() + expiresIn * 1000),
      })
      .execute();
    return { token, expiresIn };
  }

  async verify(token: string): Promise<boolean> {
    const key = hash(token);
    const cached = this.#cache.get(key);
    if (cached && cached > Date.now()) return true;
    const row = await this.#db
      .selectFrom('google_access_tokens')
      .select('expires_at')
      .where('token_hash', '=', key)
      .executeTakeFirst();
    if (!row || row.expires_at.getTime() <= Date.now()) return false;
    this.#cache.set(key, row.expires_at.getTime());
    return true;
  }

  /** The client ID and scopes a JWT bearer assertion earns, or a `GrantRefused`. */
  async #grant(assertion: string): Promise<{ clientId: string; scopes: string[] }> {
    let issuer: unknown;
    try {
      if (decodeProtectedHeader(assertion).alg !== 'RS256') throw new Error('alg');
      issuer = decodeJwt(assertion).iss;
    } catch {
      throw new GrantRefused('invalid_grant', 'Invalid JWT: malformed assertion (an RS256 JWT is expected).');
    }
    const keys = typeof issuer === 'string' ? await serviceAccountKeys(this.#db, issuer) : [];
    let verified: { payload: JWTPayload; clientId: string } | undefined;
    for (const key of keys) {
      try {
        const { payload } = await jwtVerify(assertion, await importSPKI(key.public_key_pem, 'RS256'), {
          algorithms: ['RS256'],
          audience: [GOOGLE_TOKEN_URI, this.#tokenUrl],
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['iat', 'exp'],
        });
        verified = { payload, clientId: key.client_id };
        break;
      } catch (error) {
        if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
        throw new GrantRefused('invalid_grant', `Invalid JWT: ${(error as Error).message}`);
      }
    }
    if (!verified) throw new GrantRefused('invalid_grant', 'Invalid JWT Signature.');
    const { payload, clientId } = verified;
    const iat = payload.iat ?? 0;
    if ((payload.exp ?? 0) - iat > MAX_ASSERTION_SECONDS || iat > Date.now() / 1000 + CLOCK_SKEW_SECONDS) {
      throw new GrantRefused(
        'invalid_grant',
        'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.',
      );
    }
    const sub = typeof payload.sub === 'string' ? payload.sub : '';
    const domain = sub.split('@')[1]?.toLowerCase() ?? '';
    const hosted =
      domain &&
      (await this.#db
        .selectFrom('google_domains')
        .select('domain')
        .where('domain', '=', domain)
        .executeTakeFirst());
    if (!hosted) throw new GrantRefused('invalid_grant', 'Invalid email or User ID');
    const scopes = (typeof payload.scope === 'string' ? payload.scope : '').split(/\s+/).filter(Boolean);
    const delegated = await delegatedScopes(this.#db, clientId);
    if (scopes.length === 0 || scopes.some((scope) => !delegated.has(scope))) {
      throw new GrantRefused(
        'unauthorized_client',
        'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.',
        401,
      );
    }
    return { clientId, scopes };
  }

  routes(app: FastifyInstance): void {
    app.post('/token', { config: { csrf: false } }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, string | undefined>;
      reply.header('cache-control', 'no-store');
      if (body.grant_type !== JWT_BEARER || !body.assertion) {
        return reply.code(400).send({
          error: 'unsupported_grant_type',
          error_description: `Only the JWT bearer grant (${JWT_BEARER}) of a service account is accepted.`,
        });
      }
      try {
        const { clientId, scopes } = await this.#grant(body.assertion);
        const issued = await this.issue(clientId, scopes.join(' '));
        return reply.send({
          access_token: issued.token,
          expires_in: issued.expiresIn,
          token_type: 'Bearer',
          scope: scopes.join(' '),
        });
      } catch (error) {
        if (!(error instanceof GrantRefused)) throw error;
        return reply.code(error.status).send({ error: error.error, error_description: error.message });
      }
    });
  }
}
