// Encryption at rest for national ID numbers (SPEC §5): the number is stored as a compact JWE
// (dir + A256GCM) whose protected `kid` header names the key, so keys can be rotated without a
// flag day, plus a keyed blind index for uniqueness checks and cross-county linking.
import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from 'jose';
import { normalizeNationalId } from './national-id.ts';

/** `keys` maps a key id to a base64url-encoded 32-byte key; `current` encrypts new values. */
export type KeyRing = { current: string; keys: Record<string, string> };

export type NationalIdVaultOptions = {
  keyRing: KeyRing;
  /** base64url, at least 32 bytes; must not be one of the encryption keys. */
  blindIndexKey: string;
};

export class NationalIdVaultError extends Error {
  override name = 'NationalIdVaultError';
}

const ALG = 'dir';
const ENC = 'A256GCM';
const KID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const TEXT = new TextEncoder();

function decodeKey(encoded: string, what: string, minBytes: number, exactBytes?: number): Uint8Array {
  const text = encoded.trim().replace(/=+$/, '');
  if (!BASE64URL.test(text)) throw new NationalIdVaultError(`${what} is not base64url`);
  const bytes = new Uint8Array(Buffer.from(text, 'base64url'));
  if (exactBytes !== undefined && bytes.length !== exactBytes) {
    throw new NationalIdVaultError(`${what} must be ${exactBytes} bytes, got ${bytes.length}`);
  }
  if (bytes.length < minBytes) throw new NationalIdVaultError(`${what} must be at least ${minBytes} bytes`);
  return bytes;
}

/** A fresh random 32-byte key, base64url-encoded (usable for the key ring and the blind index). */
export function generateKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Parses `k2:BASE64URL,k1:BASE64URL` (whitespace allowed); the first entry is the current key. */
export function parseKeyRing(text: string): KeyRing {
  const keys: Record<string, string> = {};
  let current: string | undefined;
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const colon = trimmed.indexOf(':');
    if (colon < 0) throw new NationalIdVaultError('key ring entries must look like kid:base64url');
    const kid = trimmed.slice(0, colon).trim();
    const key = trimmed.slice(colon + 1).trim();
    if (!KID.test(kid)) throw new NationalIdVaultError(`invalid key id "${kid}"`);
    if (Object.hasOwn(keys, kid)) throw new NationalIdVaultError(`duplicate key id "${kid}"`);
    decodeKey(key, `key "${kid}"`, 32, 32);
    keys[kid] = key;
    current ??= kid;
  }
  if (current === undefined) throw new NationalIdVaultError('key ring is empty');
  return { current, keys };
}

export class NationalIdVault {
  readonly #current: string;
  readonly #keys = new Map<string, Uint8Array>();
  readonly #blindIndexKey: Uint8Array;
  /** The WebCrypto key of each key id, imported once (the first time it is used) for every later value. */
  readonly #cryptoKeys = new Map<string, Promise<CryptoKey>>();
  readonly #blindIndexKeyObject: KeyObject;

  constructor(options: NationalIdVaultOptions) {
    const { keyRing } = options;
    for (const [kid, key] of Object.entries(keyRing.keys)) {
      if (!KID.test(kid)) throw new NationalIdVaultError(`invalid key id "${kid}"`);
      this.#keys.set(kid, decodeKey(key, `key "${kid}"`, 32, 32));
    }
    if (!this.#keys.has(keyRing.current)) {
      throw new NationalIdVaultError(`current key "${keyRing.current}" is not in the key ring`);
    }
    this.#current = keyRing.current;
    this.#blindIndexKey = decodeKey(options.blindIndexKey, 'blind index key', 32);
    this.#blindIndexKeyObject = createSecretKey(this.#blindIndexKey);
    const blind = Buffer.from(this.#blindIndexKey);
    for (const key of this.#keys.values()) {
      if (blind.equals(key))
        throw new NationalIdVaultError('the blind index key must differ from the encryption keys');
    }
  }

  get currentKeyId(): string {
    return this.#current;
  }

  /** The AES-GCM key of `kid` for WebCrypto, imported on first use and kept for every later value. */
  #cryptoKey(kid: string | undefined): Promise<CryptoKey> | undefined {
    if (kid === undefined) return undefined;
    let imported = this.#cryptoKeys.get(kid);
    if (imported === undefined) {
      const raw = this.#keys.get(kid);
      if (raw === undefined) return undefined;
      imported = crypto.subtle.importKey('raw', new Uint8Array(raw), 'AES-GCM', false, [
        'encrypt',
        'decrypt',
      ]);
      this.#cryptoKeys.set(kid, imported);
    }
    return imported;
  }

  /** Encrypts the normalized number with the current key. Validation is the caller's job. */
  async encrypt(nationalId: string): Promise<string> {
    const key = await this.#cryptoKey(this.#current);
    if (key === undefined) throw new NationalIdVaultError('current key missing');
    return new CompactEncrypt(TEXT.encode(normalizeNationalId(nationalId)))
      .setProtectedHeader({ alg: ALG, enc: ENC, kid: this.#current })
      .encrypt(key);
  }

  /** Decrypts with whichever key of the ring the ciphertext names; throws when it was tampered with. */
  async decrypt(ciphertext: string): Promise<string> {
    try {
      const { plaintext } = await compactDecrypt(
        ciphertext,
        async (header) => {
          const key = await this.#cryptoKey(header.kid);
          if (key === undefined) throw new NationalIdVaultError('unknown key id');
          return key;
        },
        { keyManagementAlgorithms: [ALG], contentEncryptionAlgorithms: [ENC] },
      );
      return new TextDecoder().decode(plaintext);
    } catch (error) {
      throw new NationalIdVaultError('cannot decrypt national ID', { cause: error });
    }
  }

  /** True when the ciphertext was made with a key other than the current one. */
  needsReencryption(ciphertext: string): boolean {
    return this.keyIdOf(ciphertext) !== this.#current;
  }

  keyIdOf(ciphertext: string): string {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(ciphertext).kid;
    } catch (error) {
      throw new NationalIdVaultError('not a national ID ciphertext', { cause: error });
    }
    if (typeof kid !== 'string') throw new NationalIdVaultError('ciphertext has no key id');
    return kid;
  }

  /** Keyed hash (HMAC-SHA256, hex) for uniqueness and linking; useless without the key. */
  blindIndex(nationalId: string): string {
    return createHmac('sha256', this.#blindIndexKeyObject)
      .update(normalizeNationalId(nationalId))
      .digest('hex');
  }

  /** The legacy county `guid` claim (SPEC §4). */
  guid(nationalId: string): string {
    return nationalIdGuid(nationalId);
  }
}

/** Plain SHA-256 hex of the normalized number: the value legacy county OpenID sent as `person/guid`. */
export function nationalIdGuid(nationalId: string): string {
  return createHash('sha256').update(normalizeNationalId(nationalId)).digest('hex');
}
