import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.ts';

/** Debian's HAProxy (`apt-get install haproxy`). */
export const HAPROXY = '/usr/sbin/haproxy';

export function haproxyAvailable(): boolean {
  return existsSync(HAPROXY);
}

/**
 * A real HAProxy in front of role nodes, as docs/OPERATIONS.md configures it: HTTP health checks
 * on `/readyz` every 300 ms (down after 2 failures), a connection refused by a dead node retried
 * on another one, and `X-Served-By` naming the node that answered. `balance` `first` sends
 * everything to the first node that is up (a test knows which node a flow starts on).
 */
export class HaproxyFront {
  readonly url: string;
  readonly #statsUrl: string;
  readonly #process: ChildProcess;
  readonly #dir: string;
  #output = '';

  private constructor(port: number, statsPort: number, child: ChildProcess, dir: string) {
    this.url = `http://127.0.0.1:${port}`;
    this.#statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
    this.#process = child;
    this.#dir = dir;
    const collect = (chunk: Buffer) => {
      this.#output += chunk.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  /** HAProxy on a free port, listening on `port` (or a free one), with `nodes` (name → `host:port`). */
  static async start(
    nodes: Record<string, string>,
    options: { balance?: 'first' | 'roundrobin'; port?: number } = {},
  ): Promise<HaproxyFront> {
    const port = options.port ?? (await freePort());
    const statsPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'edugate-haproxy-'));
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(
      config,
      `global
  maxconn 512

defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  retries 2
  option redispatch 1

frontend edugate
  bind 127.0.0.1:${port}
  default_backend nodes

backend nodes
  balance ${options.balance ?? 'roundrobin'}
  option httpchk GET /readyz
  http-check expect status 200
  http-response set-header X-Served-By %s
  default-server inter 300ms fall 2 rise 2
${Object.entries(nodes)
  .map(([name, address]) => `  server ${name} ${address} check`)
  .join('\n')}

listen stats
  bind 127.0.0.1:${statsPort}
  stats enable
  stats uri /stats
`,
    );
    const child = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const front = new HaproxyFront(port, statsPort, child, dir);
    await front.#reachable();
    return front;
  }

  get output(): string {
    return this.#output;
  }

  /** The state HAProxy shows for each node (`UP`, `DOWN`, `UP 1/2`…). */
  async states(): Promise<Record<string, string>> {
    const csv = await (await fetch(this.#statsUrl)).text();
    const [header = '', ...rows] = csv.trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const status = columns.indexOf('status');
    const states: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(',');
      if (cells[0] === 'nodes' && cells[1] !== 'BACKEND') states[cells[1] ?? ''] = cells[status] ?? '';
    }
    return states;
  }

  /** Waits until `node` shows `state` (within `ms`). */
  async until(node: string, state: string, ms = 15_000): Promise<void> {
    const started = Date.now();
    for (;;) {
      const states = await this.states();
      if (states[node] === state) return;
      if (Date.now() - started > ms) {
        throw new Error(`HAProxy shows ${node} ${states[node]}, not ${state}:\n${this.#output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async close(): Promise<void> {
    if (this.#process.exitCode === null && this.#process.signalCode === null) {
      const exit = new Promise((resolve) => this.#process.once('exit', resolve));
      this.#process.kill('SIGTERM');
      await exit;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #reachable(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      if (this.#process.exitCode !== null) throw new Error(`HAProxy exited:\n${this.#output}`);
      try {
        await fetch(this.#statsUrl);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`HAProxy did not start:\n${this.#output}`);
  }
}
