import { AbandonedError, OverloadedError, UnsupportedHashError } from '../../identity/index.ts';
import type { Attempt, Pass, SignInGuard } from '../../platform/security/sign-in-guard.ts';
import type { County } from '../services.ts';
import type { Account } from './repository.ts';

/**
 * What a password check found, before anyone decides what it means for a web login or a RADIUS
 * request. `guard` carries the budgets' and challenge's own refusals unchanged.
 */
export type PasswordCheck<A extends PasswordHolder = Account> =
  | { kind: 'guard'; reason: 'throttled'; retryAfterSeconds: number }
  | { kind: 'guard'; reason: 'captcha_required' | 'captcha_wrong' }
  /** The client went away while the attempt waited for a hashing slot: nothing was checked. */
  | { kind: 'abandoned' }
  /** Password hashing is saturated: nothing was checked, the attempt is not counted. */
  | { kind: 'overloaded'; retryAfterSeconds: number }
  /** Unknown name, wrong password or a hash nobody can check: never says which to the client. */
  | { kind: 'wrong'; account: A | undefined; challengeNext: boolean }
  /**
   * The right password for `account` (whatever its state); `needsRehash`: older parameters. The
   * caller settles `pass` with the budgets (`SignInGuard.succeeded`) beside what it writes.
   */
  | { kind: 'right'; account: A; needsRehash: boolean; pass: Pass };

/** What a password check reads of an account: its hash (callers may read only what they need besides). */
export type PasswordHolder = Pick<Account, 'password_hash'>;

/**
 * One password check, the same for the web login and RADIUS: the attempt is taken from the sign-in
 * budgets before the hash is computed (so concurrent guesses never get more hashes than the budgets
 * allow), and an unknown name costs the same hash as a known one (the timing tells nothing). A
 * wrong password stays counted; a right one is settled by the caller (`right.pass`), with what it
 * writes: a web sign-in settles it in the same round trip as its session. Writes nothing else:
 * what a right or wrong password means is the caller's decision.
 */
export async function checkPassword<A extends PasswordHolder = Account>(
  county: County,
  guard: SignInGuard,
  input: {
    attempt: Attempt;
    /**
     * The live account with the name tried, read by the caller (with what else it needs); a
     * promise is read while the budgets are asked.
     */
    account: A | undefined | Promise<A | undefined>;
    password: string;
    /** Ask the proof-of-work challenge when the policy says so (web forms; not RADIUS). */
    challenge?: boolean;
    signal?: AbortSignal | undefined;
  },
): Promise<PasswordCheck<A>> {
  const [admission, account] = await Promise.all([
    guard.admit(input.attempt, { challenge: input.challenge ?? true }),
    input.account,
  ]);
  if (!admission.ok) return { kind: 'guard', ...admission };
  const { pass } = admission;
  let verified: { ok: boolean; needsRehash: boolean };
  try {
    verified = account
      ? await county.hasher.verify(account.password_hash, input.password, { signal: input.signal })
      : await county.hasher.verifyDummy(input.password, { signal: input.signal });
  } catch (error) {
    if (error instanceof AbandonedError) {
      await guard.unchecked(pass);
      return { kind: 'abandoned' };
    }
    if (error instanceof OverloadedError) {
      await guard.unchecked(pass);
      return { kind: 'overloaded', retryAfterSeconds: error.retryAfterSeconds };
    }
    if (!(error instanceof UnsupportedHashError)) throw error;
    verified = { ok: false, needsRehash: false };
  }
  if (!account || !verified.ok)
    return { kind: 'wrong', account, challengeNext: guard.challengeAfterFailure(pass) };
  return { kind: 'right', account, needsRehash: verified.needsRehash, pass };
}
