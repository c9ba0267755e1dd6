// A Redis server of the bench's own (Debian's redis-server, no persistence), so that the Redis
// CPU time and commands a bench counts are its own and not those of everything else using the
// shared Redis of the machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort } from '../src/platform/testing/ports.ts';

export interface BenchRedis {
  url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` on a free port; undefined when it is not installed. */
export async function startBenchRedis(): Promise<BenchRedis | undefined> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const failed = await new Promise<boolean>((resolve) => {
    child.once('error', () => resolve(true));
    child.once('spawn', () => resolve(false));
  });
  if (failed) return undefined;
  const url = `redis://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await gone;
  };
  for (let tries = 0; ; tries++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // not listening yet: tried again below
    try {
      await probe.connect();
      await probe.ping();
      return { url, stop };
    } catch (error) {
      if (tries > 50) {
        await stop();
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      probe.disconnect();
    }
  }
}
