import type { FastifyRequest } from 'fastify';
import { OverloadedError } from '../../identity/index.ts';
import { overloaded, rateLimited } from '../../platform/errors/app-error.ts';
import type { CloudServices } from '../services.ts';
import type { CloudAccount } from './accounts.ts';

/** Strips the cloud mail domain: `tad0616@mail.edu.tw` and `tad0616` name the same account. */
export function accountNameFromLogin(input: string, domain: string): string {
  const value = input.trim().toLowerCase();
  const suffix = `@${domain.toLowerCase()}`;
  return value.endsWith(suffix) ? value.slice(0, -suffix.length) : value;
}

/**
 * Checks a cloud password with throttling per account name and per client address (and per
 * `extraKeys`, e.g. the county identity that asks to be linked). Unknown names cost the same
 * hashing work as known ones. Returns the account when the password is right.
 */
export async function checkCloudPassword(
  services: CloudServices,
  request: FastifyRequest,
  name: string,
  password: string,
  extraKeys: string[] = [],
): Promise<CloudAccount | undefined> {
  const keys = [`name:${name}`, `ip:${request.ip}`, ...extraKeys];
  const wait = await services.loginThrottle.waitSeconds(keys);
  if (wait > 0) throw rateLimited(wait);
  try {
    const account = name ? await services.accounts.byName(name) : undefined;
    const hash = account ? await services.accounts.passwordHash(account.id) : null;
    if (!account || !hash) {
      await services.hasher.verifyDummy(password);
      await services.loginThrottle.fail(keys);
      return undefined;
    }
    const result = await services.hasher.verify(hash, password);
    if (!result.ok) {
      await services.loginThrottle.fail(keys);
      return undefined;
    }
    await services.loginThrottle.succeed([`name:${name}`]);
    if (result.needsRehash)
      await services.accounts.setPasswordHash(account.id, await services.hasher.hash(password));
    return account;
  } catch (error) {
    if (error instanceof OverloadedError) throw overloaded(error.retryAfterSeconds);
    throw error;
  }
}

/** Hashes a new password, turning hashing overload into a 503 with Retry-After. */
export async function hashPassword(services: CloudServices, password: string): Promise<string> {
  try {
    return await services.hasher.hash(password);
  } catch (error) {
    if (error instanceof OverloadedError) throw overloaded(error.retryAfterSeconds);
    throw error;
  }
}
