import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A sealed value that this box cannot open: made under another installation secret, or altered. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/**
 * Authenticated encryption (AES-256-GCM, node:crypto) of secrets at rest: OIDC client secrets and
 * signing keys, SAML signing keys, the cloud's county client secrets. The key is derived from the
 * installation secret with HKDF, one per purpose (and tenant), so a leaked database alone reveals
 * none of them. Format: `v1.<iv>.<ciphertext>.<tag>`. Which column uses which purpose is listed in
 * `sealed-columns.ts` (and docs/OPERATIONS.md, "Key hierarchy").
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(installationSecret: string, purpose: string) {
    if (installationSecret.length < 16) throw new Error('installation secret is too short');
    this.#key = Buffer.from(
      hkdfSync('sha256', installationSecret, 'edugate-oidc', `edugate/oidc/${purpose}`, 32),
    );
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      body.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  /** The plaintext; throws `SecretBoxError` when the value was sealed under another key or altered. */
  open(sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || body === undefined || !tag)
      throw new SecretBoxError('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch (error) {
      throw new SecretBoxError('sealed under another installation secret, or altered', { cause: error });
    }
  }
}
