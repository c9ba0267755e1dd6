import { type ChildProcess, spawn } from 'node:child_process';
import { collectOutput } from './child-output.ts';
import { freeAdminPortBase, freePort } from './ports.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;

/**
 * `node bin/edugate.js start --role <role>` in a process of its own, as operators run it, on free
 * ports (public and admin), with only the environment given (plus PATH).
 */
export class RoleProcess {
  readonly child: ChildProcess;
  /** The public listener (`http://127.0.0.1:port`). */
  readonly base: string;
  /** The admin listener. */
  readonly adminBase: string;
  readonly #output: { readonly text: string };

  private constructor(child: ChildProcess, port: number, adminPort: number) {
    this.child = child;
    this.base = `http://127.0.0.1:${port}`;
    this.adminBase = `http://127.0.0.1:${adminPort}`;
    this.#output = collectOutput(child);
  }

  /**
   * `again`: the ports of a process that ended (a node restarted in place). `root`: the checkout
   * to run (default this one; another revision for a before-and-after bench).
   */
  static async start(
    role: string,
    env: Record<string, string>,
    again?: RoleProcess,
    root = ROOT,
  ): Promise<RoleProcess> {
    const offset = { county: 1, cloud: 2, workspace: 3, google: 4 }[role] ?? 1;
    const port = again ? Number(new URL(again.base).port) : await freePort();
    // Admin listeners sit at EDUGATE_ADMIN_PORT + 1 (county) … + 4 (google): a free base for them.
    const adminBase = again ? Number(new URL(again.adminBase).port) - offset : await freeAdminPortBase();
    const portVariable = `EDUGATE_${role.toUpperCase()}_PORT`;
    const child = spawn(process.execPath, ['bin/edugate.js', 'start', '--role', role], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        EDUGATE_HOST: '127.0.0.1',
        EDUGATE_ADMIN_HOST: '127.0.0.1',
        EDUGATE_ADMIN_PORT: String(adminBase),
        LOG_LEVEL: 'info',
        ...env,
        [portVariable]: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new RoleProcess(child, port, adminBase + offset);
  }

  /** Everything the process printed so far. */
  get output(): string {
    return this.#output.text;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** The status of `path` on the public listener (or `on`), 0 when nothing answers. */
  async status(path: string, on: string = this.base): Promise<number> {
    try {
      const response = await fetch(`${on}${path}`, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      return response.status;
    } catch {
      return 0;
    }
  }

  /** Milliseconds until `path` answers `expected`; throws (with the output) on exit or timeout. */
  async until(expected: number, path: string, within = 10_000, on: string = this.base): Promise<number> {
    const started = performance.now();
    for (;;) {
      if (this.exited) throw new Error(`the process exited (${this.child.exitCode}):\n${this.#output.text}`);
      const got = await this.status(path, on);
      if (got === expected) return performance.now() - started;
      if (performance.now() - started > within)
        throw new Error(`${path} still ${got}:\n${this.#output.text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends `signal` and resolves to the exit code (null after a signal that killed it). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.exited) return this.child.exitCode;
    const exit = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exit;
  }
}
