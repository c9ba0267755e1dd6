export interface TurnBatchOptions {
  /** Most items in one run (default 100). */
  max?: number;
  /** Runs at once (default 1): later calls gather while these are on their way. */
  inFlight?: number;
}

/**
 * Gathers calls and runs them together: one statement for many keys instead of one each (the
 * DataLoader pattern, with group commit's timing). A call waits for the end of the current turn
 * of the event loop, so the calls made in the same turn go together; while `inFlight` runs are on
 * their way, further calls gather for the next one. At low load a call therefore goes out at the
 * end of its turn, alone; under load, the requests that reach the same step while the database
 * answers the previous run share a round trip, a server wake-up and an executor run.
 *
 * `run` gets the items in call order and returns one result per item, in the same order. If it
 * fails, every call of that run fails with the same error. The caller continues in its own async
 * context (request-scoped values stay its own).
 */
export class TurnBatch<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #max: number;
  readonly #inFlight: number;
  #items: I[] = [];
  #waiters: Array<{ resolve(value: O): void; reject(error: unknown): void }> = [];
  #scheduled = false;
  #running = 0;

  constructor(run: (items: I[]) => Promise<O[]>, options: TurnBatchOptions = {}) {
    this.#run = run;
    this.#max = options.max ?? 100;
    this.#inFlight = options.inFlight ?? 1;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#items.push(item);
      this.#waiters.push({ resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#drain();
        });
      }
    });
  }

  /** Starts runs while there is room for them. */
  #drain(): void {
    while (this.#items.length > 0 && this.#running < this.#inFlight) {
      const items = this.#items.splice(0, this.#max);
      const waiters = this.#waiters.splice(0, items.length);
      this.#running++;
      let pending: Promise<O[]>;
      try {
        pending = this.#run(items);
      } catch (error) {
        pending = Promise.reject(error);
      }
      pending
        .then(
          (results) => {
            for (const [index, waiter] of waiters.entries()) waiter.resolve(results[index] as O);
          },
          (error: unknown) => {
            for (const waiter of waiters) waiter.reject(error);
          },
        )
        .finally(() => {
          this.#running--;
          this.#drain();
        });
    }
  }
}
