import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateKey, NationalIdVault, NationalIdVaultError, nationalIdGuid, parseKeyRing } from './vault.ts';

const k1 = generateKey();
const k2 = generateKey();
const blindIndexKey = generateKey();

function vault(current: string, keys: Record<string, string>, blind = blindIndexKey): NationalIdVault {
  return new NationalIdVault({ keyRing: { current, keys }, blindIndexKey: blind });
}

describe('NationalIdVault encryption', () => {
  it('round-trips the normalized number without exposing it', async () => {
    const v = vault('k1', { k1 });
    const ciphertext = await v.encrypt(' a123456789 ');
    expect(ciphertext).not.toContain('A123456789');
    expect(ciphertext.split('.')).toHaveLength(5);
    expect(await v.decrypt(ciphertext)).toBe('A123456789');
  });

  it('uses a fresh nonce each time', async () => {
    const v = vault('k1', { k1 });
    expect(await v.encrypt('A123456789')).not.toBe(await v.encrypt('A123456789'));
  });

  it('names the key in the protected header', async () => {
    const v = vault('k1', { k1 });
    const header = JSON.parse(
      Buffer.from((await v.encrypt('A123456789')).split('.')[0] ?? '', 'base64url').toString(),
    );
    expect(header).toEqual({ alg: 'dir', enc: 'A256GCM', kid: 'k1' });
  });

  it('keeps old ciphertexts readable after rotation and flags them for re-encryption', async () => {
    const before = vault('k1', { k1 });
    const old = await before.encrypt('A123456789');
    const after = vault('k2', { k2, k1 });
    expect(await after.decrypt(old)).toBe('A123456789');
    expect(after.needsReencryption(old)).toBe(true);
    const fresh = await after.encrypt('A123456789');
    expect(after.needsReencryption(fresh)).toBe(false);
    expect(after.keyIdOf(fresh)).toBe('k2');
    // A ring that dropped the old key can no longer read it.
    await expect(vault('k2', { k2 }).decrypt(old)).rejects.toBeInstanceOf(NationalIdVaultError);
  });

  it('keeps sealing values that any vault with the same keys opens, after its keys were first used', async () => {
    const v = vault('k1', { k1 });
    const numbers = Array.from({ length: 50 }, (_, i) => `A1${String(23456789 + i).slice(0, 8)}`);
    // Many at once, as an import does: the first use of the key and the ones after it.
    const sealed = await Promise.all(numbers.map((n) => v.encrypt(n)));
    expect(await Promise.all(sealed.map((c) => vault('k1', { k1 }).decrypt(c)))).toEqual(numbers);
    expect(await Promise.all(sealed.map((c) => vault('k2', { k2, k1 }).decrypt(c)))).toEqual(numbers);
    await expect(vault('k2', { k2 }).decrypt(sealed[0] ?? '')).rejects.toThrow(NationalIdVaultError);
    expect(await v.decrypt(await vault('k1', { k1 }).encrypt('B123456780'))).toBe('B123456780');
  });

  it('refuses tampered ciphertexts', async () => {
    const v = vault('k1', { k1 });
    const parts = (await v.encrypt('A123456789')).split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64url');
    await expect(v.decrypt(parts.join('.'))).rejects.toBeInstanceOf(NationalIdVaultError);
    await expect(v.decrypt('not.a.jwe.at.all')).rejects.toBeInstanceOf(NationalIdVaultError);
  });

  it('refuses a ciphertext from a different key that claims a known key id', async () => {
    const other = vault('k1', { k1: k2 });
    const forged = await other.encrypt('A123456789');
    await expect(vault('k1', { k1 }).decrypt(forged)).rejects.toBeInstanceOf(NationalIdVaultError);
  });

  it('validates its configuration', () => {
    expect(() => vault('k3', { k1 })).toThrow(/current key/);
    expect(() => vault('k1', { k1: 'c2hvcnQ' })).toThrow(/32 bytes/);
    expect(() => vault('k1', { k1 }, k1)).toThrow(/differ/);
    expect(() => vault('k1', { k1 }, 'c2hvcnQ')).toThrow(/at least 32 bytes/);
  });
});

describe('blind index and guid', () => {
  it('is stable, normalized and never the raw number', () => {
    const v = vault('k1', { k1 });
    const index = v.blindIndex('A123456789');
    expect(index).toMatch(/^[0-9a-f]{64}$/);
    expect(v.blindIndex(' a123456789')).toBe(index);
    expect(vault('k2', { k2 }).blindIndex('A123456789')).toBe(index);
    expect(index).not.toContain('A123456789');
    expect(v.blindIndex('B123456780')).not.toBe(index);
  });

  it('is the HMAC-SHA256 of the normalized number under the blind index key, for every value', () => {
    const v = vault('k1', { k1 });
    for (const n of ['A123456789', ' f131104093 ', 'A123456789']) {
      expect(v.blindIndex(n)).toBe(
        createHmac('sha256', Buffer.from(blindIndexKey, 'base64url'))
          .update(n.trim().toUpperCase())
          .digest('hex'),
      );
    }
  });

  it('depends on the blind index key', () => {
    const a = vault('k1', { k1 }, blindIndexKey);
    const b = vault('k1', { k1 }, generateKey());
    expect(a.blindIndex('A123456789')).not.toBe(b.blindIndex('A123456789'));
  });

  it('guid is the plain SHA-256 hex of the normalized number', () => {
    const expected = createHash('sha256').update('A123456789').digest('hex');
    expect(nationalIdGuid('a123456789 ')).toBe(expected);
    expect(vault('k1', { k1 }).guid('A123456789')).toBe(expected);
    expect(vault('k1', { k1 }).blindIndex('A123456789')).not.toBe(expected);
  });
});

describe('parseKeyRing', () => {
  it('takes the first entry as current', () => {
    expect(parseKeyRing(`k2:${k2}, k1:${k1}`)).toEqual({ current: 'k2', keys: { k2, k1 } });
  });

  it('refuses malformed rings', () => {
    expect(() => parseKeyRing('')).toThrow(/empty/);
    expect(() => parseKeyRing(k1)).toThrow(/kid:base64url/);
    expect(() => parseKeyRing(`k1:${k1},k1:${k2}`)).toThrow(/duplicate/);
    expect(() => parseKeyRing('k1:c2hvcnQ')).toThrow(/32 bytes/);
    expect(() => parseKeyRing(`k 1:${k1}`)).toThrow(/key id/);
    expect(() => parseKeyRing('k1:not base64!')).toThrow(/base64url/);
  });

  it('generateKey makes distinct 32-byte keys', () => {
    expect(Buffer.from(k1, 'base64url')).toHaveLength(32);
    expect(k1).not.toBe(k2);
  });
});
