import { type ChildProcess, fork } from 'node:child_process';

export interface Memory {
  rss: number;
  heapUsed: number;
}

/**
 * Drives `soak-server.ts` (the cloud role in a process of its own) over its IPC channel: its URL,
 * its memory after garbage collection or as it is, and closing it.
 */
export class SoakServer {
  readonly #child: ChildProcess;
  #waiting: { resolve: (message: unknown) => void; reject: (error: Error) => void } | undefined;
  /** `kind`: `pglite` or `postgres`; `unthrottled`: no per-address limit on `/saml/sso`. */
  constructor(kind: string, options: { unthrottled?: boolean } = {}) {
    this.#child = fork(
      new URL('./soak-server.ts', import.meta.url),
      [kind, ...(options.unthrottled ? ['unthrottled'] : [])],
      {
        execArgv: ['--expose-gc'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    this.#child.on('message', (message) => this.#waiting?.resolve(message));
    this.#child.on('exit', (code) => this.#waiting?.reject(new Error(`soak server exited with ${code}`)));
  }
  #next<T>(): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve: (message) => resolve(message as T), reject };
    });
  }
  async url(): Promise<string> {
    return (await this.started()).url;
  }
  /** Its URL and OIDC client, once it listens (the first message). */
  started(): Promise<{ url: string; clientId: string; redirectUri: string }> {
    return this.#next();
  }
  /** Its resident memory as it is, without a garbage collection. */
  async rss(): Promise<number> {
    const answer = this.#next<{ rss: number }>();
    this.#child.send('rss');
    return (await answer).rss;
  }
  get pid(): number | undefined {
    return this.#child.pid;
  }
  memory(): Promise<Memory> {
    const answer = this.#next<Memory>();
    this.#child.send('memory');
    return answer;
  }
  async close() {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#child.send('close');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    this.#child.kill();
  }
}
