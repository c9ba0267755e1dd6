import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/**
 * The keys that sign the provider's cookies, in the shape the `cookies` package asks of a key ring
 * (`sign`, `verify`, `index`, as `keygrip` has them) and with the same signatures: HMAC-SHA1 of
 * `name=value`, base64url without padding, so a browser's cookie signed before stays valid.
 *
 * What differs is the work per request. `keygrip` compares a signature by computing two more
 * HMACs under a fresh random key (`tsscmp`), each handing Node a Buffer key that it first tries, by
 * throwing and catching, as a KeyObject and as a CryptoKey: a returning browser's authorization
 * spent more on checking its session cookie than on anything else of EduGate's. Here each key is a
 * KeyObject made once, and the signature is compared in constant time by `timingSafeEqual`.
 */
export class CookieKeys {
  readonly #keys: KeyObject[];

  /** `keys`: the newest first; it signs, the others are still accepted (rotation). */
  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('CookieKeys: at least one key');
    this.#keys = keys.map((key) => createSecretKey(Buffer.from(key, 'utf8')));
  }

  sign(data: string): string {
    return digest(data, this.#keys[0] as KeyObject);
  }

  verify(data: string, signature: string): boolean {
    return this.index(data, signature) > -1;
  }

  /** The position of the key that made `signature`, or -1. */
  index(data: string, signature: string): number {
    if (typeof signature !== 'string') return -1;
    const sent = Buffer.from(signature, 'utf8');
    for (let i = 0; i < this.#keys.length; i++) {
      const expected = Buffer.from(digest(data, this.#keys[i] as KeyObject), 'utf8');
      // The length of a signature is public (27 characters); only its content is compared in constant time.
      if (sent.length === expected.length && timingSafeEqual(sent, expected)) return i;
    }
    return -1;
  }
}

const digest = (data: string, key: KeyObject) => createHmac('sha1', key).update(data).digest('base64url');
