import { OverloadedError } from '../../identity/index.ts';
import { audit } from '../db.ts';
import type { AccountState } from '../schema.ts';
import type { County } from '../services.ts';
import { checkPassword } from './password-check.ts';
import { type Account, findAccountByUsername } from './repository.ts';

export interface Credentials {
  tenant: string;
  username: string;
  password: string;
  /** Client address (throttling and audit). */
  ip: string;
  /** The proof-of-work solution the form carried ('' or undefined = none). */
  solution?: string | undefined;
  /** The device id of the browser's genuine device cookie for this username, if it has one. */
  device?: string | undefined;
  /** Aborts when nobody waits for the answer any more (see `AbandonedError`). */
  signal?: AbortSignal | undefined;
}

export type AuthFailure =
  /** The CAPTCHA policy asks for one and none was answered. */
  | { ok: false; reason: 'captcha_required' }
  | { ok: false; reason: 'captcha_wrong' }
  /** Unknown username or wrong password: never says which. */
  | { ok: false; reason: 'invalid_credentials'; captchaRequired: boolean }
  /** The budget of this account (on this device) or of this address is spent: try again later. */
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }
  /** The client went away while the attempt waited for a hashing slot: nothing was checked. */
  | { ok: false; reason: 'abandoned' }
  /** Password hashing is saturated: 503 + Retry-After. */
  | { ok: false; reason: 'overloaded'; retryAfterSeconds: number }
  /** Right password, but the account cannot sign in (pending, rejected, suspended, departed). */
  | { ok: false; reason: 'inactive'; state: AccountState; account: Account };

/**
 * May sign in: the account, and its password hash upgraded to current parameters when the stored
 * one uses a legacy format or older ones (for the sign-in's write to store; see login/sign-in.ts).
 */
export type AuthResult = { ok: true; account: Account; newHash: string | undefined } | AuthFailure;

/** The login name as the sign-in budgets key it (see sign-in-guard.ts). */
export const loginKey = (tenant: string, username: string) => `${tenant}:${username.trim().toLowerCase()}`;

/** Whether the CAPTCHA policy asks for the challenge on the next attempt for this account and address. */
export async function captchaRequired(
  county: County,
  input: { tenant: string; username?: string; ip: string; device?: string | undefined },
): Promise<boolean> {
  const username = input.username?.trim() ?? '';
  return county.signInGuard(input.tenant).challengeNeeded({
    login: username ? loginKey(input.tenant, username) : undefined,
    ip: input.ip,
    device: input.device,
  });
}

/**
 * Decides whether a username and password may sign in to the tenant, within the CAPTCHA policy and
 * the sign-in budgets (see password-check.ts), and records a refused attempt in the audit log. It
 * writes no sign-in: that is login/sign-in.ts, which asks the session's and the list of sessions'
 * owners for their parts.
 */
export async function authenticate(county: County, input: Credentials): Promise<AuthResult> {
  const { tenant, ip } = input;
  const username = input.username.trim();
  const actor = username.slice(0, 64) || 'anonymous';
  const check = await checkPassword(county, county.signInGuard(tenant), {
    attempt: { login: loginKey(tenant, username), ip, device: input.device, solution: input.solution ?? '' },
    account: username ? findAccountByUsername(county.db, tenant, username) : undefined,
    password: input.password,
    signal: input.signal,
  });
  switch (check.kind) {
    case 'guard':
      if (check.reason === 'throttled') {
        const wait = check.retryAfterSeconds;
        await audit(county.db, { tenant, actor, action: 'login.throttled', ip, details: { wait } });
        return { ok: false, reason: 'throttled', retryAfterSeconds: wait };
      }
      if (check.reason === 'captcha_wrong') {
        await audit(county.db, { tenant, actor, action: 'login.captcha_failed', ip });
      }
      return { ok: false, reason: check.reason };
    case 'abandoned':
      return { ok: false, reason: 'abandoned' };
    case 'overloaded':
      return { ok: false, reason: 'overloaded', retryAfterSeconds: check.retryAfterSeconds };
    case 'wrong':
      await audit(county.db, {
        tenant,
        actor,
        action: 'login.failed',
        target: check.account?.id ?? null,
        ip,
        details: { reason: check.account ? 'wrong_password' : 'unknown_user' },
      });
      return { ok: false, reason: 'invalid_credentials', captchaRequired: check.challengeNext };
    case 'right': {
      const { account } = check;
      if (account.state !== 'active') {
        await audit(county.db, {
          tenant,
          actor: account.username,
          action: 'login.refused',
          target: account.id,
          ip,
          details: { status: account.state },
        });
        return { ok: false, reason: 'inactive', state: account.state, account };
      }
      const newHash = check.needsRehash ? await rehash(county, input.password) : undefined;
      return { ok: true, account, newHash };
    }
  }
}

async function rehash(county: County, password: string): Promise<string | undefined> {
  try {
    return await county.hasher.hash(password);
  } catch (error) {
    // Upgrading the hash can wait for the next login when hashing is saturated.
    if (error instanceof OverloadedError) return undefined;
    throw error;
  }
}
