import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { PasswordHasher } from '../src/identity/index.ts';
import type { Figure } from './report.ts';

const PARAMS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };
const ALGORITHM_ARGON2ID = 2;

async function throughput(
  seconds: number,
  concurrency: number,
  verifyOnce: () => Promise<unknown>,
): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        await verifyOnce();
        done++;
      }
    }),
  );
  return done / seconds;
}

/**
 * argon2id (m=19 MiB, t=2, p=1) verifications/s through EduGate's password service (bounded
 * concurrency + queue) vs raw @node-rs/argon2 on the same thread pool, same concurrency.
 */
export async function benchPassword(seconds = 5): Promise<Figure[]> {
  const cores = availableParallelism();
  const stored = await hash('EduGate-demo-2026', { ...PARAMS, algorithm: ALGORITHM_ARGON2ID });
  const raw = await throughput(seconds, cores * 2, () => verify(stored, 'EduGate-demo-2026'));
  const hasher = new PasswordHasher({ maxConcurrency: cores, maxQueue: 1024 });
  const ours = await throughput(seconds, cores * 2, () => hasher.verify(stored, 'EduGate-demo-2026'));
  return [
    {
      name: 'password service argon2id verifications',
      value: ours,
      unit: '/s',
      baseline: raw,
      baselineName: 'raw @node-rs/argon2',
      target: 0.95,
    },
  ];
}
