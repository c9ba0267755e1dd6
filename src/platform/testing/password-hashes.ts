import { vi } from 'vitest';
import type { PasswordHasher } from '../../identity/passwords/hasher.ts';

/**
 * How many password hashes `hasher` checked while `run` ran, a real account's or the dummy one
 * that makes an unknown name cost the same: a login that answers without hashing says too much.
 */
export async function hashesCheckedDuring(
  hasher: PasswordHasher,
  run: () => Promise<unknown>,
): Promise<number> {
  const verify = vi.spyOn(hasher, 'verify');
  const dummy = vi.spyOn(hasher, 'verifyDummy');
  try {
    await run();
    return verify.mock.calls.length + dummy.mock.calls.length;
  } finally {
    verify.mockRestore();
    dummy.mockRestore();
  }
}
