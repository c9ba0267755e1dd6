// The baseline of the login bench: raw argon2id verifications (the county's parameters) in a
// process of its own, a given number at once on libuv's thread pool, measured in the same slices
// as the logins it is compared with. Two per core used to be taken for the machine's ceiling; on 2
// cores sharing one L3 cache, each 19 MiB verification beside three others costs some 10 % more
// CPU time than beside one, so the login bench measures one and two per core and takes the faster.
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { hash, verify } from '@node-rs/argon2';
import { ARGON2_PARAMETERS, BENCH_PASSWORD } from './county-process.ts';
import type { LoadProcess, SliceResult } from './http-load.ts';

const CHILD_FLAG = 'EDUGATE_BENCH_ARGON2';

async function verifications(stored: string, ms: number, concurrency: number): Promise<SliceResult> {
  const started = performance.now();
  const end = started + ms;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const at = performance.now();
        if (!(await verify(stored, BENCH_PASSWORD))) throw new Error('argon2id verification failed');
        latencies.push(performance.now() - at);
      }
    }),
  );
  return { done: latencies.length, failed: 0, elapsed: performance.now() - started, latencies };
}

if (process.env[CHILD_FLAG] && process.send) {
  const reply = process.send.bind(process);
  const stored = await hash(BENCH_PASSWORD, ARGON2_PARAMETERS);
  const concurrency = Number(process.env[CHILD_FLAG]);
  process.on('message', async (message: { ms: number }) =>
    reply(await verifications(stored, message.ms, concurrency)),
  );
  reply({ ready: true });
}

/**
 * Starts the verifying process, `concurrency` verifications at once (default two per core, on as
 * many of libuv's threads as that needs); `run(ms)` verifies for `ms` and gives the count and
 * latencies.
 */
export async function startArgon2Process(concurrency = availableParallelism() * 2): Promise<LoadProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    env: {
      ...process.env,
      [CHILD_FLAG]: String(concurrency),
      UV_THREADPOOL_SIZE: String(Math.max(4, concurrency)),
    },
    serialization: 'advanced',
  });
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const failed = (code: number | null) => reject(new Error(`the argon2id process ended (${code})`));
      child.once('exit', failed);
      child.once('message', (message: T) => {
        child.off('exit', failed);
        resolve(message);
      });
    });
  await next<{ ready: true }>();
  return {
    pid: child.pid ?? 0,
    run(ms) {
      const result = next<SliceResult>();
      child.send({ ms });
      return result;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill();
      await gone;
    },
  };
}
