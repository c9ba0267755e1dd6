// A bench server in a process of its own, on the same Node binary as the bench (`process.execPath`):
// the module at `file`, told what to serve through its environment, prints one line once it serves.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface ServerProcess {
  /** The first line the server printed (what it tells its parent). */
  first: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `file` with `env` added to this process's environment (and `BENCH_NODE_OPTIONS` as its
 * `NODE_OPTIONS`, so that it is profiled as the role processes are, see OPERATIONS "Running the
 * benches"); resolves with its first line, fails when it exits before printing one.
 */
export async function startServerProcess(
  name: string,
  file: string,
  env: Record<string, string>,
): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [file], {
    env: {
      ...process.env,
      ...env,
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await gone;
  };
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the ${name} exited (${code})`)));
    lines.once('line', resolve);
  });
  return { first, pid: child.pid ?? 0, stop };
}
