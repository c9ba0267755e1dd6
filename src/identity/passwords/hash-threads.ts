// Threads of their own for password hashing. Each thread holds the hash it is computing and at most
// one more lined up behind it, so a thread starts its next hash the moment the last one ends,
// without waiting for the event loop to hand it over (on a busy server that wait leaves cores idle
// between hashes). Hashing off libuv's shared thread pool also keeps file, DNS and zlib work from
// queueing behind hashes. The bounded queue in front of the threads is `PasswordHasher`'s.
import { Worker } from 'node:worker_threads';

/** The work a hashing thread does (see hash-thread.ts). */
export type ThreadWork =
  | {
      kind: 'argon2-hash';
      password: string;
      params: { memoryCost: number; timeCost: number; parallelism: number; outputLen: number };
    }
  | { kind: 'argon2-verify'; stored: string; password: string }
  | { kind: 'bcrypt-verify'; stored: string; password: string };

/** A job as posted to a thread; `cancel[0]` set to 1 before the thread starts it skips it. */
export interface ThreadJob {
  id: number;
  cancel: Int32Array;
  work: ThreadWork;
}

export type ThreadReply =
  | { id: number; outcome: 'done'; value: string | boolean; ms: number }
  | { id: number; outcome: 'skipped' }
  | { id: number; outcome: 'failed'; name: string; message: string };

/** A thread's job was cancelled before it started. */
export class SkippedError extends Error {
  override name = 'SkippedError';
  constructor() {
    super('the job was cancelled before it started');
  }
}

/** The name of the hashing threads (as the operating system lists a process's threads). */
export const HASH_THREAD_NAME = 'argon2id';

/** Jobs a thread holds at once: the one it computes and the one lined up behind it. */
export const JOBS_PER_THREAD = 2;

interface Pending {
  resolve: (reply: { value: string | boolean; ms: number }) => void;
  reject: (error: Error) => void;
}

class HashThread {
  readonly worker: Worker;
  readonly pending = new Map<number, Pending>();

  constructor(onGone: (thread: HashThread, error: Error) => void) {
    // Named, so that its CPU time can be told apart from the event loop's (`/proc/<pid>/task/*/comm`).
    this.worker = new Worker(new URL('./hash-thread.ts', import.meta.url), { name: HASH_THREAD_NAME });
    this.worker.unref();
    this.worker.on('message', (reply: ThreadReply) => this.#settle(reply));
    this.worker.on('error', (error) => onGone(this, error));
    this.worker.on('exit', (code) => onGone(this, new Error(`hashing thread exited with code ${code}`)));
  }

  post(job: ThreadJob, pending: Pending): void {
    if (this.pending.size === 0) this.worker.ref();
    this.pending.set(job.id, pending);
    this.worker.postMessage(job);
  }

  failAll(error: Error): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }

  #settle(reply: ThreadReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    // An idle thread does not keep the process alive.
    if (this.pending.size === 0) this.worker.unref();
    if (reply.outcome === 'done') pending.resolve({ value: reply.value, ms: reply.ms });
    else if (reply.outcome === 'skipped') pending.reject(new SkippedError());
    else pending.reject(Object.assign(new Error(reply.message), { name: reply.name }));
  }
}

/** Up to `size` hashing threads, started as the work needs them. */
export class HashThreads {
  readonly size: number;
  readonly #threads: HashThread[] = [];
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    this.size = size;
  }

  /** Jobs the threads hold, computing or lined up. */
  held(): number {
    let held = 0;
    for (const thread of this.#threads) held += thread.pending.size;
    return held;
  }

  /** Threads computing a hash now. */
  busy(): number {
    return this.#threads.filter((thread) => thread.pending.size > 0).length;
  }

  /** Whether a thread can take one more job (computing or lined up). */
  hasRoom(): boolean {
    return this.held() < this.size * JOBS_PER_THREAD;
  }

  /**
   * Hands the work to the thread holding the fewest jobs (a new thread while fewer than `size` run
   * and every one is busy). Ends with `SkippedError` when `signal` aborts before the thread starts
   * the job; once started, the job runs to its end. Callers keep to `hasRoom()`.
   */
  run(work: ThreadWork, signal?: AbortSignal): Promise<{ value: string | boolean; ms: number }> {
    if (this.#closed) return Promise.reject(new Error('the hashing threads are closed'));
    const thread = this.#pick();
    const cancel = new Int32Array(new SharedArrayBuffer(4));
    const onAbort = () => Atomics.store(cancel, 0, 1);
    signal?.addEventListener('abort', onAbort, { once: true });
    return new Promise<{ value: string | boolean; ms: number }>((resolve, reject) => {
      thread.post({ id: this.#nextId++, cancel, work }, { resolve, reject });
    }).finally(() => signal?.removeEventListener('abort', onAbort));
  }

  /** Stops the threads; jobs they still hold end with an error. */
  async close(): Promise<void> {
    this.#closed = true;
    const threads = this.#threads.splice(0);
    for (const thread of threads) thread.failAll(new Error('the hashing threads were closed'));
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  #pick(): HashThread {
    let least: HashThread | undefined;
    for (const thread of this.#threads) {
      if (least === undefined || thread.pending.size < least.pending.size) least = thread;
    }
    if (least !== undefined && (least.pending.size === 0 || this.#threads.length >= this.size)) return least;
    const thread = new HashThread((gone, error) => this.#lose(gone, error));
    this.#threads.push(thread);
    return thread;
  }

  /** A thread that failed or exited: its jobs fail, and a new thread takes its place when needed. */
  #lose(thread: HashThread, error: Error): void {
    const index = this.#threads.indexOf(thread);
    if (index >= 0) this.#threads.splice(index, 1);
    thread.failAll(error);
  }
}
