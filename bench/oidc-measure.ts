/**
 * Measuring helpers shared by the OIDC benchmarks. The baseline and EduGate run in the same
 * process in alternating one-second slices (which side goes first alternates too), so load from
 * other work on the machine weighs on both sides alike instead of on whichever ran second. Both
 * sides are warmed up first (JIT, connection pools, caches), and each side's figure is the median
 * of its slices: a burst of load from elsewhere on a shared machine spoils one slice, not the figure.
 */

/** How long each side runs before the measured slices. */
const WARM_UP_MS = 1500;

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

/** Operations per second of `baseline` and `ours`: the median of `seconds` one-second slices each. */
export async function alternatingThroughput(
  seconds: number,
  baseline: Workers,
  ours: Workers,
): Promise<{ baseline: number; ours: number }> {
  const sides = [baseline, ours];
  for (const side of sides) await slice(side, WARM_UP_MS);
  const rates: number[][] = [[], []];
  for (let round = 0; round < Math.max(1, Math.round(seconds)); round++) {
    for (const side of round % 2 === 0 ? [0, 1] : [1, 0]) {
      const result = await slice(sides[side] ?? [], 1000);
      rates[side]?.push(result.done / (result.elapsed / 1000));
    }
  }
  return { baseline: percentile(rates[0] ?? [], 50), ours: percentile(rates[1] ?? [], 50) };
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
