// Password hashing with argon2id and bounded concurrency (SPEC §7): hashing is the login ceiling,
// so it runs on threads of its own, one per CPU (hash-threads.ts); work beyond what they hold waits
// in a queue as long as the threads can work off in `maxWaitMs` at their measured speed, and beyond
// that the caller is told at once to retry later (503 + Retry-After) instead of piling up memory and
// latency.
//
// Verification also accepts the legacy formats of imported accounts and reports `needsRehash` so
// the caller can replace them with the current argon2id parameters after a successful login.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { HashThreads, JOBS_PER_THREAD, SkippedError, type ThreadWork } from './hash-threads.ts';

export type Argon2Params = {
  /** KiB */
  memoryCost: number;
  timeCost: number;
  parallelism: number;
  /** bytes of hash output */
  outputLen: number;
};

export const DEFAULT_ARGON2_PARAMS: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
  outputLen: 32,
});

export type PasswordHasherOptions = {
  params?: Partial<Argon2Params>;
  /** Hashes computed at once (hashing threads); defaults to the CPU count. */
  maxConcurrency?: number;
  /**
   * Longest a request may be expected to wait for its hash to start; defaults to 2,000 ms. Requests
   * that would wait longer, at the throughput of the last hashes (threads / their average duration),
   * get `OverloadedError` at once.
   */
  maxWaitMs?: number;
  /**
   * Requests allowed to wait at most, whatever the throughput, counting those lined up on a thread
   * behind the hash it computes; defaults to 256.
   */
  maxQueue?: number;
};

export type VerifyResult = { ok: boolean; needsRehash: boolean };

/** `active`: hashes being computed; `queued`: requests waiting for one (lined up on a thread or not). */
export type HasherStats = { active: number; queued: number; rejected: number };

export class OverloadedError extends Error {
  override name = 'OverloadedError';
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(`password hashing is overloaded; retry after ${retryAfterSeconds}s`);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The caller went away (e.g. the browser closed the connection) before its turn came: nothing was
 * hashed or checked, so an overloaded server spends no work on answers nobody waits for.
 */
export class AbandonedError extends Error {
  override name = 'AbandonedError';
  constructor() {
    super('the caller went away before its turn');
  }
}

/** `signal`: when it aborts while the call waits for a hashing slot, the call ends with `AbandonedError`. */
export type HashCallOptions = { signal?: AbortSignal | undefined };

export class UnsupportedHashError extends Error {
  override name = 'UnsupportedHashError';
}

const ARGON2_PHC =
  /^\$(argon2(?:id|i|d))\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const SHA256 = /^sha256\$([^$]*)\$([0-9a-fA-F]{64})$/;
const MD5 = /^md5\$([0-9a-fA-F]{32})$/;
const ARGON2_VERSION = 19;

type ParsedArgon2 = { algorithm: string; version: number; params: Argon2Params };

function parseArgon2(stored: string): ParsedArgon2 | undefined {
  const match = ARGON2_PHC.exec(stored);
  if (match === null) return undefined;
  const [, algorithm = '', version, m, t, p, , digest = ''] = match;
  return {
    algorithm,
    version: Number(version),
    params: {
      memoryCost: Number(m),
      timeCost: Number(t),
      parallelism: Number(p),
      outputLen: Math.floor((digest.length * 3) / 4),
    },
  };
}

function hexEquals(expectedHex: string, actual: Buffer): boolean {
  const expected = Buffer.from(expectedHex, 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

export class PasswordHasher {
  readonly params: Readonly<Argon2Params>;
  readonly maxConcurrency: number;
  readonly maxQueue: number;
  readonly maxWaitMs: number;
  readonly #threads: HashThreads;
  /** Requests admitted and not yet answered: on a thread or waiting for room on one. */
  #admitted = 0;
  /** Admitted requests given room on a thread (at most `JOBS_PER_THREAD` per thread). */
  #onThreads = 0;
  #rejected = 0;
  readonly #waiting: Array<() => void> = [];
  // Moving average of the duration of the last hashes (about the last twenty), for the wait estimates.
  #averageMs = 50;
  #dummyHash: Promise<string> | undefined;

  constructor(options: PasswordHasherOptions = {}) {
    this.params = Object.freeze({ ...DEFAULT_ARGON2_PARAMS, ...options.params });
    for (const [name, value] of Object.entries(this.params)) positiveInteger(value, name);
    this.maxConcurrency = positiveInteger(options.maxConcurrency ?? availableParallelism(), 'maxConcurrency');
    this.maxQueue = options.maxQueue ?? 256;
    if (!Number.isInteger(this.maxQueue) || this.maxQueue < 0) {
      throw new RangeError('maxQueue must be a non-negative integer');
    }
    this.maxWaitMs = options.maxWaitMs ?? 2_000;
    if (!Number.isFinite(this.maxWaitMs) || this.maxWaitMs < 0) {
      throw new RangeError('maxWaitMs must be a non-negative number');
    }
    this.#threads = new HashThreads(this.maxConcurrency);
  }

  /**
   * Requests that may wait beside those being computed: as many as the threads work off in
   * `maxWaitMs` at the measured throughput, at most `maxQueue`.
   */
  queueLimit(): number {
    const throughputPerMs = this.maxConcurrency / this.#averageMs;
    return Math.min(this.maxQueue, Math.floor(this.maxWaitMs * throughputPerMs));
  }

  stats(): HasherStats {
    const busy = this.#threads.busy();
    return { active: busy, queued: this.#admitted - busy, rejected: this.#rejected };
  }

  /** Stops the hashing threads: requests still on them, and any made later, fail. */
  async close(): Promise<void> {
    await this.#threads.close();
  }

  /** argon2id PHC string with the current parameters. */
  async hash(password: string, options: HashCallOptions = {}): Promise<string> {
    const hashed = await this.#limited(
      { kind: 'argon2-hash', password, params: { ...this.params } },
      options.signal,
    );
    return String(hashed);
  }

  async verify(stored: string, password: string, options: HashCallOptions = {}): Promise<VerifyResult> {
    const ok = await this.#check(stored, password, options.signal);
    // Rehashing needs the plaintext, so it is only ever suggested after a successful check.
    return { ok, needsRehash: ok && this.needsRehash(stored) };
  }

  /**
   * Spends the same work as a real verification for accounts that do not exist, so response time
   * does not reveal whether a username is registered. Always fails.
   */
  async verifyDummy(password: string, options: HashCallOptions = {}): Promise<VerifyResult> {
    if (options.signal?.aborted) throw new AbandonedError();
    this.#dummyHash ??= this.hash(randomBytes(16).toString('base64url'));
    let dummy: string;
    try {
      dummy = await this.#dummyHash;
    } catch (error) {
      // Do not cache a refusal (e.g. overload) as the dummy hash.
      this.#dummyHash = undefined;
      throw error;
    }
    await this.verify(dummy, password, options);
    return { ok: false, needsRehash: false };
  }

  /** True for legacy formats and for argon2 hashes made with other parameters than the current ones. */
  needsRehash(stored: string): boolean {
    const parsed = parseArgon2(stored);
    if (parsed === undefined) return true;
    const { params } = this;
    return (
      parsed.algorithm !== 'argon2id' ||
      parsed.version !== ARGON2_VERSION ||
      parsed.params.memoryCost !== params.memoryCost ||
      parsed.params.timeCost !== params.timeCost ||
      parsed.params.parallelism !== params.parallelism ||
      parsed.params.outputLen !== params.outputLen
    );
  }

  async #check(stored: string, password: string, signal: AbortSignal | undefined): Promise<boolean> {
    if (stored.startsWith('$argon2')) {
      return (await this.#limited({ kind: 'argon2-verify', stored, password }, signal)) === true;
    }
    if (BCRYPT.test(stored)) {
      return (await this.#limited({ kind: 'bcrypt-verify', stored, password }, signal)) === true;
    }
    // The unsalted and salted digests of older portals take microseconds: no thread needed.
    if (signal?.aborted) throw new AbandonedError();
    const sha = SHA256.exec(stored);
    if (sha !== null) {
      const [, salt = '', digest = ''] = sha;
      return hexEquals(
        digest,
        createHash('sha256')
          .update(salt + password, 'utf8')
          .digest(),
      );
    }
    const md5 = MD5.exec(stored);
    if (md5 !== null) return hexEquals(md5[1] ?? '', createHash('md5').update(password, 'utf8').digest());
    throw new UnsupportedHashError('unrecognised password hash format');
  }

  /**
   * Admits the work (or refuses it when it would wait longer than `maxWaitMs`), waits for room on a hashing thread and
   * runs it there. A caller whose signal aborts before its hash starts gets `AbandonedError`.
   */
  async #limited(work: ThreadWork, signal: AbortSignal | undefined): Promise<string | boolean> {
    if (signal?.aborted) throw new AbandonedError();
    if (this.#admitted >= this.maxConcurrency + this.queueLimit()) {
      this.#rejected++;
      throw new OverloadedError(this.#retryAfterSeconds());
    }
    this.#admitted++;
    if (this.#onThreads < this.maxConcurrency * JOBS_PER_THREAD) this.#onThreads++;
    // Room on a thread passes straight from a finished request to the longest waiting one.
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      if (signal?.aborted) throw new AbandonedError();
      const { value, ms } = await this.#threads.run(work, signal);
      this.#averageMs = this.#averageMs * 0.9 + ms * 0.1;
      return value;
    } catch (error) {
      throw error instanceof SkippedError ? new AbandonedError() : error;
    } finally {
      this.#admitted--;
      const next = this.#waiting.shift();
      if (next === undefined) this.#onThreads--;
      else next();
    }
  }

  #retryAfterSeconds(): number {
    const pending = this.#admitted;
    return Math.max(1, Math.ceil((pending / this.maxConcurrency) * (this.#averageMs / 1000)));
  }
}
