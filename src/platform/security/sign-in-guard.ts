// What stands between a password form and the password hash: budgets of failed attempts per
// account, per device cookie and per client address, taken before any hash is computed, and the
// proof-of-work challenge when the policy asks for one. The county portals and the cloud login
// share it (see docs/OPERATIONS.md, "Sign-in budgets").
import type { Challenge, ProofOfWork } from './proof-of-work.ts';
import { type Counter, secondsUntil, type ThrottleStore } from './throttle.ts';

/** `EDUGATE_CAPTCHA`: when the challenge is asked. */
export type ChallengePolicy = 'always' | 'after-failures' | 'off';

export interface SignInBudgets {
  /** Failed attempts per account from browsers without its device cookie, within the window. */
  account: number;
  /** Failed attempts per account from one browser holding its device cookie. */
  device: number;
  /** Failed attempts per client address (a school's NAT address carries many people's typos). */
  address: number;
  /** With `after-failures`: failures from one address before its attempts need the challenge. */
  addressChallengeAfter: number;
  windowSeconds: number;
}

/**
 * The budgets of the county portals and the cloud login. 50 per account stays well under the
 * 100 consecutive failures NIST SP 800-63B allows before stronger measures; the account's owner
 * keeps a budget of their own on every browser they signed in with; a school behind one address
 * can make 100 typos an hour before anyone there sees a challenge.
 */
export const SIGN_IN_BUDGETS: SignInBudgets = {
  account: 50,
  device: 20,
  address: 1000,
  addressChallengeAfter: 100,
  windowSeconds: 3600,
};

export interface SignInGuardOptions {
  store: ThrottleStore;
  proofOfWork: ProofOfWork;
  /** What a challenge is for (a solution for another purpose does not pass). */
  purpose: string;
  policy: ChallengePolicy;
  /** With `after-failures`: failures of an account (or device) before the challenge is asked. */
  challengeAfter: number;
  budgets?: SignInBudgets;
}

export interface Attempt {
  /** The login name, normalized (a key: the same person types it differently). */
  login: string;
  ip: string;
  /** The device id of the browser's device cookie for this login, when it has a genuine one. */
  device?: string | undefined;
  /** The proof-of-work solution the form carried ('' = none). */
  solution: string;
}

/** An attempt let through: its counters, for the outcome to settle (see `succeeded`, `unchecked`). */
export interface Pass {
  keys: [budget: string, address: string];
  /** The failures counted with this attempt, should it fail. */
  counts: [budget: number, address: number];
  trusted: boolean;
}

export type Admission =
  | { ok: true; pass: Pass }
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }
  | { ok: false; reason: 'captcha_required' | 'captcha_wrong' };

export class SignInGuard {
  readonly #options: SignInGuardOptions;
  readonly #budgets: SignInBudgets;

  constructor(options: SignInGuardOptions) {
    this.#options = options;
    this.#budgets = options.budgets ?? SIGN_IN_BUDGETS;
  }

  get policy(): ChallengePolicy {
    return this.#options.policy;
  }

  /** A fresh challenge for the form. */
  challenge(): Promise<Challenge> {
    return this.#options.proofOfWork.challenge(this.#options.purpose);
  }

  #keys(attempt: { login: string; ip: string; device?: string | undefined }): [string, string] {
    const budget = attempt.device ? `dev:${attempt.login}:${attempt.device}` : `acct:${attempt.login}`;
    return [budget, `ip:${attempt.ip}`];
  }

  /** Whether `failures` (of the budget, of the address) ask for the challenge on the next attempt. */
  #asks(failures: [number, number], trusted: boolean): boolean {
    const policy = this.#options.policy;
    if (policy !== 'after-failures') return policy === 'always';
    return (
      (!trusted && failures[0] >= this.#options.challengeAfter) ||
      failures[1] >= this.#budgets.addressChallengeAfter
    );
  }

  /** Whether the next attempt for this login (when known) from this address needs the challenge. */
  async challengeNeeded(input: { login?: string | undefined; ip: string; device?: string | undefined }) {
    const policy = this.#options.policy;
    if (policy !== 'after-failures') return policy === 'always';
    const [budget, address] = this.#keys({ login: input.login ?? '', ip: input.ip, device: input.device });
    const keys = input.login ? [budget, address] : [address];
    const counters = await this.#options.store.countsOf(keys);
    const counts = counters.map((c) => c.count);
    return this.#asks(
      input.login ? [counts[0] ?? 0, counts[1] ?? 0] : [0, counts[0] ?? 0],
      input.device !== undefined,
    );
  }

  /** Whether the attempt after this failed one needs the challenge. */
  challengeAfterFailure(pass: Pass): boolean {
    return this.#asks(pass.counts, pass.trusted);
  }

  /**
   * Takes the attempt from its budgets before the password is checked: of any number of
   * concurrent attempts, only as many as the budgets have left get through. `challenge: false`
   * for a password asked again of someone already known (a signed-in account page, the link of a
   * federated identity): the budgets apply, the challenge does not.
   */
  async admit(attempt: Attempt, options: { challenge?: boolean } = {}): Promise<Admission> {
    const { store, proofOfWork, purpose } = this.#options;
    const policy = options.challenge === false ? 'off' : this.#options.policy;
    if (policy === 'always') {
      const solved = await proofOfWork.check(attempt.solution, purpose);
      if (solved !== 'passed') return { ok: false, reason: solved ? 'captcha_wrong' : 'captcha_required' };
    }
    const trusted = attempt.device !== undefined;
    const keys = this.#keys(attempt);
    const [budget, address] = (await store.take(keys, this.#budgets.windowSeconds)) as [Counter, Counter];
    const over = [
      budget.count > (trusted ? this.#budgets.device : this.#budgets.account) ? budget : undefined,
      address.count > this.#budgets.address ? address : undefined,
    ].filter((c) => c !== undefined);
    if (over.length > 0) {
      return {
        ok: false,
        reason: 'throttled',
        retryAfterSeconds: Math.max(...over.map((c) => secondsUntil(c))),
      };
    }
    if (policy === 'after-failures' && this.#asks([budget.count - 1, address.count - 1], trusted)) {
      const solved = await proofOfWork.check(attempt.solution, purpose);
      if (solved !== 'passed') {
        // Not an attempt at the password: it costs the account and the address nothing.
        await store.giveBack(keys);
        return { ok: false, reason: solved ? 'captcha_wrong' : 'captcha_required' };
      }
    }
    return { ok: true, pass: { keys, counts: [budget.count, address.count], trusted } };
  }

  /** The password was right: the budget used starts afresh, and the address gets its count back. */
  async succeeded(pass: Pass): Promise<void> {
    await this.#options.store.settle([pass.keys[0]], [pass.keys[1]]);
  }

  /** Nothing was checked after all (the client left, hashing was saturated): both counts back. */
  async unchecked(pass: Pass): Promise<void> {
    await this.#options.store.giveBack(pass.keys);
  }
}
