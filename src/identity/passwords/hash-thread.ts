// A hashing thread (see hash-threads.ts): computes the jobs posted to it one after the other.
import { parentPort } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';
import bcrypt from 'bcryptjs';
import type { ThreadJob, ThreadReply, ThreadWork } from './hash-threads.ts';

function compute(work: ThreadWork): string | boolean {
  switch (work.kind) {
    case 'argon2-hash':
      return hashSync(work.password, work.params);
    case 'argon2-verify':
      return verifySync(work.stored, work.password);
    case 'bcrypt-verify':
      return bcrypt.compareSync(work.password, work.stored);
  }
}

function reply(job: ThreadJob): ThreadReply {
  if (Atomics.load(job.cancel, 0) === 1) return { id: job.id, outcome: 'skipped' };
  const started = performance.now();
  try {
    return { id: job.id, outcome: 'done', value: compute(job.work), ms: performance.now() - started };
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    return { id: job.id, outcome: 'failed', name, message };
  }
}

parentPort?.on('message', (job: ThreadJob) => parentPort?.postMessage(reply(job)));
