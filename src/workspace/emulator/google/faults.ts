/**
 * Fault injection and quota accounting of the Google stand-in, so that the provisioning engine can
 * be tested against every failure Google documents: rate limits, quota, 429, 5xx, the window after
 * a create during which the new user is not visible yet, and a response lost after the commit.
 */
export const FAULT_KINDS = [
  'userRateLimitExceeded',
  'quotaExceeded',
  'rateLimitExceeded429',
  'backendError500',
  'serviceUnavailable503',
  'loseResponse',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultRule {
  kind: FaultKind;
  /** `users.insert`, `users.get`, `orgunits.insert`, … or `*` for every Directory call. */
  method: string;
  /** How many matching calls fail; the rule is dropped when it reaches 0. */
  count: number;
  /** Sent as Retry-After on 429 and 503. */
  retryAfterSeconds?: number;
}

export interface FaultSettings {
  rules: FaultRule[];
  /** After users.insert, the user is invisible (get 404, update 412) for this long. */
  creationLagMs: number;
  /** Directory queries accepted per rolling minute (Google's default is 2,400). */
  quotaPerMinute: number;
}

export const DEFAULT_QUOTA_PER_MINUTE = 2400;

export class FaultInjector {
  #rules: FaultRule[] = [];
  creationLagMs = 0;

  settings(quotaPerMinute: number): FaultSettings {
    return { rules: this.#rules.map((r) => ({ ...r })), creationLagMs: this.creationLagMs, quotaPerMinute };
  }

  add(rule: FaultRule): void {
    if (rule.count > 0) this.#rules.push({ ...rule });
  }

  clear(): void {
    this.#rules = [];
    this.creationLagMs = 0;
  }

  /** The fault to apply to this call, if any (consumes one count of the first matching rule). */
  take(method: string, phase: 'before' | 'after'): FaultRule | undefined {
    const index = this.#rules.findIndex(
      (r) => (r.method === '*' || r.method === method) && (r.kind === 'loseResponse') === (phase === 'after'),
    );
    if (index < 0) return undefined;
    const rule = this.#rules[index] as FaultRule;
    rule.count -= 1;
    if (rule.count <= 0) this.#rules.splice(index, 1);
    return rule;
  }
}

/** A rolling one-minute window of accepted queries, counted per second. */
export class QuotaWindow {
  readonly #buckets = new Map<number, number>();
  limit: number;
  #used = 0;
  #rejected = 0;

  constructor(limit = DEFAULT_QUOTA_PER_MINUTE) {
    this.limit = limit;
  }

  /** Counts one query; false when the minute's quota is already used up. */
  consume(now = Date.now()): boolean {
    const second = Math.floor(now / 1000);
    let inWindow = 0;
    for (const [s, n] of this.#buckets) {
      if (s <= second - 60) this.#buckets.delete(s);
      else inWindow += n;
    }
    if (inWindow >= this.limit) {
      this.#rejected++;
      return false;
    }
    this.#buckets.set(second, (this.#buckets.get(second) ?? 0) + 1);
    this.#used++;
    return true;
  }

  stats(now = Date.now()) {
    const second = Math.floor(now / 1000);
    let lastMinute = 0;
    for (const [s, n] of this.#buckets) if (s > second - 60) lastMinute += n;
    return { limit: this.limit, lastMinute, accepted: this.#used, rejected: this.#rejected };
  }

  reset(): void {
    this.#buckets.clear();
    this.#used = 0;
    this.#rejected = 0;
  }
}
