import type { FastifyRequest } from 'fastify';
import { rateLimited } from '../errors/app-error.ts';

export interface RateLimitPolicy {
  /** Requests one key may make per minute (also the burst it may make at once); 0 = no limit. */
  perMinute: number;
  /** Keys remembered at most; beyond that the least recently seen are forgotten (they start afresh). */
  maxKeys?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (a client address) held in this node's memory, for endpoints that anyone
 * may call without credentials and that cost work per call (parsing and checking a SAML message).
 * Unlike `Throttle`, whose budgets live in the shared store, it counts every request and writes
 * nothing: flooding it costs the attacker more than the node. Its memory is bounded by `maxKeys`.
 */
export class RateLimit {
  readonly #perMinute: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  constructor(policy: RateLimitPolicy) {
    this.#perMinute = policy.perMinute;
    this.#maxKeys = policy.maxKeys ?? 50_000;
  }

  /** Takes one request of `key`'s budget: 0 when allowed, else the seconds until one is. */
  take(key: string, now = Date.now()): number {
    if (this.#perMinute <= 0) return 0;
    const perMs = this.#perMinute / 60_000;
    const bucket = this.#buckets.get(key);
    let tokens = this.#perMinute;
    if (bucket) {
      tokens = Math.min(this.#perMinute, bucket.tokens + (now - bucket.at) * perMs);
      this.#buckets.delete(key); // re-inserted below: the map stays in order of last use
    } else if (this.#buckets.size >= this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest !== undefined) this.#buckets.delete(oldest);
    }
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    return 0;
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.#buckets.size;
  }

  /** A Fastify `onRequest` hook: 429 with Retry-After once the client address's budget is spent. */
  readonly perAddress = async (request: FastifyRequest): Promise<void> => {
    const wait = this.take(request.ip);
    if (wait > 0) throw rateLimited(wait);
  };
}
