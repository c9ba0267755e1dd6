/**
 * Collects the calls made during one turn of the event loop and runs them together: one
 * statement for many keys instead of one each (the DataLoader pattern). Under load, the requests
 * whose I/O arrives in the same turn ask for the same kind of row at the same step, so their reads
 * and writes share a round trip, a server wake-up and an executor run; a lone call waits only for
 * the end of the current turn.
 *
 * `run` gets the items in call order and returns one result per item, in the same order. If it
 * fails, every call of that batch fails with the same error. The caller continues in its own async
 * context (request-scoped values stay its own).
 */
export class TurnBatch<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #max: number;
  #items: I[] = [];
  #waiters: Array<{ resolve(value: O): void; reject(error: unknown): void }> = [];
  #scheduled = false;

  constructor(run: (items: I[]) => Promise<O[]>, max = 100) {
    this.#run = run;
    this.#max = max;
  }

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#items.push(item);
      this.#waiters.push({ resolve, reject });
      if (this.#items.length >= this.#max) this.#flush();
      else if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => {
          this.#scheduled = false;
          this.#flush();
        });
      }
    });
  }

  #flush(): void {
    const items = this.#items;
    const waiters = this.#waiters;
    if (items.length === 0) return;
    this.#items = [];
    this.#waiters = [];
    let pending: Promise<O[]>;
    try {
      pending = this.#run(items);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (results) => {
        for (const [index, waiter] of waiters.entries()) waiter.resolve(results[index] as O);
      },
      (error: unknown) => {
        for (const waiter of waiters) waiter.reject(error);
      },
    );
  }
}
