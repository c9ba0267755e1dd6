import type { FastifyReply, FastifyRequest } from 'fastify';
import { OverloadedError } from '../../identity/index.ts';
import { overloaded, rateLimited } from '../../platform/errors/app-error.ts';
import type { Throttle } from '../../platform/security/throttle.ts';
import type { CloudServices } from '../services.ts';
import type { CloudAccount } from './accounts.ts';

/** Strips the cloud mail domain: `tad0616@mail.edu.tw` and `tad0616` name the same account. */
export function accountNameFromLogin(input: string, domain: string): string {
  const value = input.trim().toLowerCase();
  const suffix = `@${domain.toLowerCase()}`;
  return value.endsWith(suffix) ? value.slice(0, -suffix.length) : value;
}

export type CloudPasswordCheck =
  | { ok: true; account: CloudAccount }
  /** Unknown name or wrong password (never says which); whether the next attempt needs the challenge. */
  | { ok: false; reason: 'invalid'; challenge: boolean }
  | { ok: false; reason: 'captcha_required' | 'captcha_wrong' };

/**
 * Checks a cloud password within the sign-in budgets (per account, per device cookie, per client
 * address; see sign-in-guard.ts), taken before the password is hashed, and with the proof-of-work
 * challenge when the policy asks (`solution`; `challenge: false` where a known person is asked for
 * their password again). Unknown names cost the same hashing work as known ones. A spent budget
 * answers 429 with Retry-After; saturated hashing 503.
 */
export async function verifyCloudPassword(
  services: CloudServices,
  request: FastifyRequest,
  name: string,
  password: string,
  options: { solution?: string; challenge?: boolean } = {},
): Promise<CloudPasswordCheck> {
  const guard = services.signInGuard;
  const [admission, account] = await Promise.all([
    guard.admit(
      {
        login: name,
        ip: request.ip,
        device: services.deviceCookies.deviceFor(request, name),
        solution: options.solution ?? '',
      },
      { challenge: options.challenge ?? true },
    ),
    name ? services.accounts.byName(name) : undefined,
  ]);
  if (!admission.ok) {
    if (admission.reason === 'throttled') throw rateLimited(admission.retryAfterSeconds);
    return admission;
  }
  const { pass } = admission;
  try {
    const hash = account ? await services.accounts.passwordHash(account.id) : null;
    const result =
      account && hash
        ? await services.hasher.verify(hash, password)
        : await services.hasher.verifyDummy(password);
    if (!account || !hash || !result.ok) {
      return { ok: false, reason: 'invalid', challenge: guard.challengeAfterFailure(pass) };
    }
    await guard.succeeded(pass);
    if (result.needsRehash)
      await services.accounts.setPasswordHash(account.id, await services.hasher.hash(password));
    return { ok: true, account };
  } catch (error) {
    if (error instanceof OverloadedError) {
      await guard.unchecked(pass);
      throw overloaded(error.retryAfterSeconds);
    }
    throw error;
  }
}

/** A budget of its own that a password check also draws on (e.g. per county identity). */
export interface ExtraBudget {
  throttle: Throttle;
  keys: string[];
}

/**
 * The account when its password is right (no challenge: for a person already known). `extra`: a
 * budget taken as well, before the password is hashed (a spent one answers 429 with Retry-After);
 * an attempt that is not checked gives it back, a right password starts it afresh.
 */
export async function checkCloudPassword(
  services: CloudServices,
  request: FastifyRequest,
  name: string,
  password: string,
  extra?: ExtraBudget,
): Promise<CloudAccount | undefined> {
  if (extra) {
    const wait = await extra.throttle.take(extra.keys);
    if (wait > 0) {
      await extra.throttle.giveBack(extra.keys);
      throw rateLimited(wait);
    }
  }
  let check: CloudPasswordCheck;
  try {
    check = await verifyCloudPassword(services, request, name, password, { challenge: false });
  } catch (error) {
    // Refused by the sign-in budgets or hashing saturated: no password was checked.
    await extra?.throttle.giveBack(extra.keys);
    throw error;
  }
  if (!check.ok) return undefined;
  await extra?.throttle.reset(extra.keys);
  return check.account;
}

/** After a sign-in with the password: this browser keeps a budget of its own for the account. */
export function rememberDevice(
  services: CloudServices,
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
): void {
  services.deviceCookies.issue(request, reply, name);
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
