import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { measureThreads } from './process-cpu.ts';

const byRole = ({ main }: { name: string; main: boolean }) => (main ? 'main' : 'other');

describe('measureThreads', () => {
  it("splits a thread's CPU time into all of it and the part spent in the kernel", () => {
    const all = measureThreads(process.pid, byRole);
    const kernel = measureThreads(process.pid, byRole, 'system');
    // System calls for at least 0.4 s of CPU (reading a /proc file is nearly all kernel work), then
    // 0.4 s of arithmetic, all in user mode.
    const started = process.cpuUsage();
    while (process.cpuUsage(started).system < 400_000) readFileSync('/proc/self/stat');
    const computing = process.cpuUsage();
    let x = 0;
    while (process.cpuUsage(computing).user < 400_000)
      for (let i = 0; i < 100_000; i++) x = (x * 31 + i) % 1_000_003;
    expect(x).toBeGreaterThanOrEqual(0);
    const used = all().main ?? 0;
    const inKernel = kernel().main ?? 0;
    expect(inKernel).toBeGreaterThan(0.2);
    expect(used - inKernel).toBeGreaterThan(0.2);
  });
});
