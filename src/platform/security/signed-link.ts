import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { PlatformTx } from '../database/platform-schema.ts';
import { AppError } from '../errors/app-error.ts';

export interface LinkClaims {
  purpose: string;
  subject: string;
  data?: Record<string, string | number | boolean>;
}

/**
 * Signed one-time links (email verification, school approval, password reset): an HS256 JWT with
 * the purpose, subject, expiry and a unique id; using it records the id so it works once.
 */
export class SignedLinks {
  readonly #key: Uint8Array;
  readonly #issuer: string;

  constructor(secret: string, issuer: string) {
    this.#key = new TextEncoder().encode(secret);
    this.#issuer = issuer;
  }

  async sign(claims: LinkClaims, ttlSeconds: number): Promise<string> {
    return new SignJWT({ pur: claims.purpose, dat: claims.data ?? {} })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(this.#issuer)
      .setSubject(claims.subject)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.#key);
  }

  /** Checks a token without using it up (e.g. to show a confirmation page first). */
  async inspect(token: string, purpose: string): Promise<LinkClaims & { jti: string; expiresAt: Date }> {
    try {
      const { payload } = await jwtVerify(token, this.#key, { issuer: this.#issuer, algorithms: ['HS256'] });
      if (payload.pur !== purpose || !payload.sub || !payload.jti || !payload.exp) {
        throw new AppError('link_invalid', 400);
      }
      return {
        purpose,
        subject: payload.sub,
        data: (payload.dat ?? {}) as Record<string, string | number | boolean>,
        jti: payload.jti,
        expiresAt: new Date(payload.exp * 1000),
      };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof errors.JWTExpired) throw new AppError('link_expired', 410);
      throw new AppError('link_invalid', 400);
    }
  }

  /**
   * Verifies and uses up a token, inside the caller's transaction when given one, so the link is
   * spent if and only if the action it authorises is committed.
   */
  async consume(db: PlatformTx, token: string, purpose: string): Promise<LinkClaims> {
    const claims = await this.inspect(token, purpose);
    const inserted = await db
      .insertInto('used_links')
      .values({ jti: claims.jti, purpose, expires_at: claims.expiresAt })
      .onConflict((oc) => oc.column('jti').doNothing())
      .returning('jti')
      .executeTakeFirst();
    if (!inserted) throw new AppError('link_used', 410);
    return claims;
  }

  async isUsed(db: PlatformTx, jti: string): Promise<boolean> {
    const row = await db.selectFrom('used_links').select('jti').where('jti', '=', jti).executeTakeFirst();
    return Boolean(row);
  }
}
