import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../../platform/database/platform-schema.ts';
import type { GoogleTables } from './schema.ts';

type Db = Kysely<GoogleTables & PlatformTables>;

export interface StandInCredential {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * OAuth 2.0 access tokens of the stand-in. Real Google issues them to a service account (JWT
 * bearer grant, domain-wide delegation) at a fixed token URL; the stand-in issues them at `/token`
 * for one static credential (refresh-token grant), which `google-auth-library`'s OAuth2Client
 * uses when its token endpoint is pointed here.
 */
export class AccessTokens {
  readonly #db: Db;
  readonly #credential: StandInCredential;
  readonly #cache = new Map<string, number>();

  constructor(db: Db, credential: StandInCredential) {
    this.#db = db;
    this.#credential = credential;
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

  routes(app: FastifyInstance): void {
    app.post('/token', { config: { csrf: false } }, async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, string | undefined>;
      const credential = this.#credential;
      if (
        body.grant_type !== 'refresh_token' ||
        !same(body.client_id ?? '', credential.clientId) ||
        !same(body.client_secret ?? '', credential.clientSecret) ||
        !same(body.refresh_token ?? '', credential.refreshToken)
      ) {
        return reply
          .code(400)
          .send({ error: 'invalid_grant', error_description: 'Bad client or refresh token.' });
      }
      const scopes =
        'https://www.googleapis.com/auth/admin.directory.user https://www.googleapis.com/auth/admin.directory.orgunit';
      const issued = await this.issue(credential.clientId, scopes);
      return reply.header('cache-control', 'no-store').send({
        access_token: issued.token,
        expires_in: issued.expiresIn,
        token_type: 'Bearer',
        scope: scopes,
      });
    });
  }
}
