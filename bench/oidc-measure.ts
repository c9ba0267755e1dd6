/**
 * Measuring helpers shared by the OIDC benchmarks. The baseline and EduGate run in the same
 * process in alternating one-second slices (which side goes first alternates too), so load from
 * other work on the machine weighs on both sides alike instead of on whichever ran second.
 */

/** One loop per simulated client; each call is one operation. */
export type Workers = Array<() => Promise<void>>;

async function slice(workers: Workers, ms: number): Promise<{ done: number; elapsed: number }> {
  const started = performance.now();
  const end = started + ms;
  let done = 0;
  await Promise.all(
    workers.map(async (work) => {
      while (performance.now() < end) {
        await work();
        done++;
      }
    }),
  );
  return { done, elapsed: performance.now() - started };
}

/** Operations per second of `baseline` and `ours`, each measured for `seconds` in total. */
export async function alternatingThroughput(
  seconds: number,
  baseline: Workers,
  ours: Workers,
): Promise<{ baseline: number; ours: number }> {
  const totals = [
    { done: 0, elapsed: 0 },
    { done: 0, elapsed: 0 },
  ];
  const sides = [baseline, ours];
  for (let round = 0; round < Math.max(1, Math.round(seconds)); round++) {
    for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const result = await slice(sides[side] ?? [], 1000);
      const total = totals[side];
      if (!total) continue;
      total.done += result.done;
      total.elapsed += result.elapsed;
    }
  }
  const rate = (side: number) => {
    const total = totals[side];
    return total && total.elapsed > 0 ? total.done / (total.elapsed / 1000) : 0;
  };
  return { baseline: rate(0), ours: rate(1) };
}

/** Latencies (ms) of `runs` sequential operations per side, alternating one by one. */
export async function alternatingLatencies(
  runs: number,
  baseline: () => Promise<void>,
  ours: () => Promise<void>,
): Promise<{ baseline: number[]; ours: number[] }> {
  const samples = { baseline: [] as number[], ours: [] as number[] };
  const time = async (once: () => Promise<void>, into: number[]) => {
    const started = performance.now();
    await once();
    into.push(performance.now() - started);
  };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      await time(baseline, samples.baseline);
      await time(ours, samples.ours);
    } else {
      await time(ours, samples.ours);
      await time(baseline, samples.baseline);
    }
  }
  return samples;
}

export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}
