/**
 * Spaces Directory API calls so one node stays under Google's per-minute quota (2,400 queries/min
 * by default) instead of running into 403 userRateLimitExceeded, and caps how many run at once.
 * With several nodes, give each its share of the quota.
 */
export class RequestPacer {
  readonly #intervalMs: number;
  readonly #maxInFlight: number;
  #next = 0;
  #inFlight = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(perMinute: number, maxInFlight: number) {
    // A little under the quota: the server counts over a rolling minute, the client cannot see its clock.
    this.#intervalMs = 60_000 / Math.max(1, perMinute * 0.98);
    this.#maxInFlight = Math.max(1, maxInFlight);
  }

  async run<T>(call: () => Promise<T>): Promise<T> {
    if (this.#inFlight >= this.#maxInFlight) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    this.#inFlight++;
    try {
      const now = Date.now();
      const slot = Math.max(now, this.#next);
      this.#next = slot + this.#intervalMs;
      if (slot > now) await new Promise((resolve) => setTimeout(resolve, slot - now));
      return await call();
    } finally {
      this.#inFlight--;
      this.#waiting.shift()?.();
    }
  }

  get inFlight(): number {
    return this.#inFlight;
  }
}
