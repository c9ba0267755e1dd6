// A challenge a script cannot read off the page: the browser has to find, by trying numbers, the
// one whose SHA-256 (with a salt) the server gave (ALTCHA, through `altcha-lib`). A person does
// nothing but wait a moment; a guessing script pays the same work for every attempt. The challenge
// is signed (HMAC keyed from the installation secret) and carries its purpose and expiry, so the
// server keeps no state until a solution comes back, and then only that it was used (once).
import { createHmac } from 'node:crypto';
import { createChallenge, extractParams, verifySolution } from 'altcha-lib/v1';
import type { Challenge } from 'altcha-lib/v1/types';
import type { ThrottleStore } from './throttle.ts';

export type { Challenge } from 'altcha-lib/v1/types';

/** The form field that carries the solution (ALTCHA's own name for it). */
export const SOLUTION_FIELD = 'altcha';

export interface ProofOfWorkOptions {
  /** Numbers the browser may have to try: 100 000 takes a phone about a second, a desktop less. */
  maxNumber?: number;
  /** How long a challenge may be solved and used. */
  ttlSeconds?: number;
}

/** Issues and checks proof-of-work challenges for one purpose (e.g. a tenant's login). */
export class ProofOfWork {
  readonly #key: string;
  readonly #used: ThrottleStore;
  readonly #maxNumber: number;
  readonly #ttl: number;

  /** `used` remembers solutions already spent (one count each, for as long as they are valid). */
  constructor(secret: string, used: ThrottleStore, options: ProofOfWorkOptions = {}) {
    this.#key = createHmac('sha256', secret).update('edugate proof of work').digest('base64url');
    this.#used = used;
    this.#maxNumber = options.maxNumber ?? 100_000;
    this.#ttl = options.ttlSeconds ?? 10 * 60;
  }

  challenge(purpose: string): Promise<Challenge> {
    return createChallenge({
      algorithm: 'SHA-256',
      hmacKey: this.#key,
      maxNumber: this.#maxNumber,
      expires: new Date(Date.now() + this.#ttl * 1000),
      params: { purpose },
    });
  }

  /**
   * Checks a solution sent with a form for `purpose` and spends it: a solution passes once.
   * Undefined when none was sent.
   */
  async check(solution: string, purpose: string): Promise<'passed' | 'failed' | undefined> {
    if (solution === '') return undefined;
    let payload: { algorithm?: unknown; signature?: unknown; salt?: unknown };
    try {
      payload = JSON.parse(Buffer.from(solution, 'base64').toString('utf8'));
    } catch {
      return 'failed';
    }
    if (payload === null || typeof payload !== 'object' || payload.algorithm !== 'SHA-256') return 'failed';
    if (typeof payload.signature !== 'string' || typeof payload.salt !== 'string') return 'failed';
    let params: Record<string, string>;
    try {
      params = extractParams(solution);
    } catch {
      return 'failed';
    }
    if (params.purpose !== purpose || !params.expires) return 'failed';
    if (!(await verifySolution(solution, this.#key, true).catch(() => false))) return 'failed';
    const [spent] = await this.#used.take([`pow:${payload.signature}`], this.#ttl);
    return spent && spent.count === 1 ? 'passed' : 'failed';
  }
}
