/**
 * Alternating slices over load processes (see http-load.ts): each side is a server under test
 * with a load process of its own; sides take turns slice by slice (which goes first alternates
 * too), after a warm-up of each, so load from elsewhere on the machine weighs on all alike. Each
 * side's rate is the median of its slices; latencies are pooled over its slices; CPU time is read
 * per process (the server, PostgreSQL backends, Redis, the load generator) around each slice.
 */
import { loadavg } from 'node:os';
import { measureCpu, measureWrites, type ProcessGroups } from '../src/platform/testing/process-cpu.ts';
import type { LoadProcess, SliceResult } from './http-load.ts';
import { percentile } from './oidc-measure.ts';
import type { Figure } from './report.ts';

const WARM_UP_MS = 1500;
/** Longest a side warms up until its rate stops climbing (see `warmUp`). */
const SETTLE_MAX_MS = 12_000;

/**
 * Warms a side up: `WARM_UP_MS`, then (`steady`) one-second runs until its rate has not climbed by
 * more than 5% twice in a row, at most `SETTLE_MAX_MS`. A process just started runs its first
 * seconds at a fraction of its speed while V8 compiles what it runs (an EduGate role measured
 * 2,100 userinfo calls in its first second, 7,000 from its tenth; the bare provider 5,800 and
 * 11,600): measured from there, the first figure of a run was the warm-up's, not the server's.
 */
async function warmUp(load: LoadProcess, steady: boolean): Promise<void> {
  await load.run(WARM_UP_MS);
  if (!steady) return;
  const until = Date.now() + SETTLE_MAX_MS;
  let best = 0;
  let flat = 0;
  while (flat < 2 && Date.now() < until) {
    const slice = await load.run(1000);
    const rate = slice.done / (slice.elapsed / 1000);
    flat = rate <= best * 1.05 ? flat + 1 : 0;
    best = Math.max(best, rate);
  }
}

/** Seconds of measured slices per side: `BENCH_SECONDS`, else `fallback`. */
export function measuredSeconds(fallback: number): number {
  const configured = Number(process.env.BENCH_SECONDS);
  return configured > 0 ? configured : fallback;
}

export interface Side {
  load: LoadProcess;
  /** The server's processes (without the load process, added here). */
  processes(): Promise<ProcessGroups>;
}

export interface SideFigures {
  /** Operations per second: median of the slices. */
  rate: number;
  p50: number;
  p99: number;
  /** CPU milliseconds per operation, per process group. */
  cpuPerOp: Record<string, number>;
  /**
   * Write system calls per operation of the server's own processes (the first group: EduGate's
   * role processes, or the bare provider): its answers and the round trips it starts.
   */
  writesPerOp: Record<string, number>;
  failed: number;
  failure?: string;
}

/** A side's server processes: the first of its groups (EduGate's role processes, or the bare provider). */
const serverGroup = (groups: ProcessGroups): [string, readonly number[]] =>
  Object.entries(groups)[0] ?? ['server', []];

export async function alternatingSlices(
  seconds: number,
  sides: Side[],
  sliceMs = 1000,
  /** `fixed` where each operation uses up something prepared (the logins' browsers). */
  warm: 'steady' | 'fixed' = 'steady',
): Promise<SideFigures[]> {
  for (const side of sides) await warmUp(side.load, warm === 'steady');
  const tallies = sides.map(() => ({
    rates: [] as number[],
    latencies: [] as number[],
    cpu: {} as Record<string, number>,
    writes: {} as Record<string, number>,
    done: 0,
    failed: 0,
    failure: undefined as string | undefined,
  }));
  const rounds = Math.max(1, Math.round((seconds * 1000) / sliceMs));
  for (let round = 0; round < rounds; round++) {
    const order = sides.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const side = sides[i] as Side;
      const tally = tallies[i] as (typeof tallies)[number];
      const groups = await side.processes();
      const [server, serverPids] = serverGroup(groups);
      const used = measureCpu({ ...groups, load: [side.load.pid] });
      const written = measureWrites({ [server]: serverPids });
      const result = await side.load.run(sliceMs);
      for (const [group, cpuSeconds] of Object.entries(used()))
        tally.cpu[group] = (tally.cpu[group] ?? 0) + cpuSeconds;
      for (const [group, calls] of Object.entries(written()))
        tally.writes[group] = (tally.writes[group] ?? 0) + calls;
      tally.rates.push(result.done / (result.elapsed / 1000));
      for (const latency of result.latencies) tally.latencies.push(latency);
      tally.done += result.done;
      tally.failed += result.failed;
      tally.failure ??= result.failure;
    }
  }
  return tallies.map((tally) => ({
    rate: percentile(tally.rates, 50),
    p50: percentile(tally.latencies, 50),
    p99: percentile(tally.latencies, 99),
    cpuPerOp: Object.fromEntries(
      Object.entries(tally.cpu).map(([group, cpuSeconds]) => [
        group,
        (cpuSeconds * 1000) / Math.max(1, tally.done),
      ]),
    ),
    writesPerOp: Object.fromEntries(
      Object.entries(tally.writes).map(([group, calls]) => [group, calls / Math.max(1, tally.done)]),
    ),
    failed: tally.failed,
    ...(tally.failure ? { failure: tally.failure } : {}),
  }));
}

/**
 * `p50 … / p99 … ms; CPU ms/op: edugate …, … (all …); writes/op: edugate …` for a figure's detail
 * line. On a machine whose cores all the processes share, throughput follows the CPU per operation
 * of all of them together (`all`), the load generator included.
 */
export function describeSide(side: SideFigures): string {
  const cpu = Object.entries(side.cpuPerOp)
    .map(([group, ms]) => `${group} ${ms.toFixed(3)}`)
    .join(', ');
  const all = Object.values(side.cpuPerOp).reduce((sum, ms) => sum + ms, 0);
  const writes = Object.entries(side.writesPerOp)
    .map(([group, calls]) => `${group} ${calls.toFixed(2)}`)
    .join(', ');
  const failed = side.failed ? `; ${side.failed} failed (${side.failure})` : '';
  return `p50 ${side.p50.toFixed(1)} / p99 ${side.p99.toFixed(1)} ms; CPU ms/op: ${cpu} (all ${all.toFixed(2)}); writes/op: ${writes}${failed}`;
}

/** The 1-minute load average, for the record beside each figure. */
export const loadAverage = () => loadavg()[0]?.toFixed(2) ?? '?';

/** The latency budget of the OIDC endpoints at half of their capacity. */
export const HALF_CAPACITY_P99_MS = 50;

/** What a half-capacity figure measures beside EduGate's paced latencies. */
export interface HalfCapacityBeside {
  /**
   * The bare provider's load: paced at the same rate in slices alternating with EduGate's, its
   * p99s printed beside, what the machine itself did to a tail in those seconds.
   */
  bare?: LoadProcess;
  /**
   * EduGate's side as its full-load slices measured it: the CPU its server processes (the first
   * group) spend in the paced slices is printed beside the CPU per operation at full load. Paced
   * requests come one at a time, so each pays its own wake-ups: "half capacity" may keep a core
   * busier than half.
   */
  measured?: { processes(): Promise<ProcessGroups>; cpuPerOp: number };
}

/** `name`'s p99 at half of `rate` (see `halfCapacity`) as a figure against the 50 ms budget. */
export async function halfCapacityFigure(
  name: string,
  load: LoadProcess,
  rate: number,
  seconds: number,
  beside: HalfCapacityBeside = {},
): Promise<Figure> {
  const half = await halfCapacity(load, rate, seconds, beside);
  const { measured } = beside;
  const slices = (p99s: number[]) => p99s.map((p99) => p99.toFixed(1)).join(', ');
  return {
    name: `${name}: p99 at half capacity`,
    value: half.p99,
    unit: 'ms',
    baseline: HALF_CAPACITY_P99_MS,
    baselineName: 'budget',
    target: 1,
    lowerIsBetter: true,
    detail: [
      `paced at ${half.rate.toFixed(0)} /s (half of ${rate.toFixed(0)} /s): p50 ${half.p50.toFixed(1)} ms; p99 of each slice ${slices(half.p99s)} ms${half.failed ? `, ${half.failed} failed` : ''}`,
      ...(measured && half.cpuPerOp !== undefined
        ? [
            `EduGate's processes paced: ${half.cpuPerOp.toFixed(3)} CPU ms/op (${measured.cpuPerOp.toFixed(3)} at full load), ${((half.cpuPerOp * half.rate) / 10).toFixed(0)} % of a core`,
          ]
        : []),
      ...(half.bare
        ? [
            `bare provider paced at the same rate, in the slices between: p50 ${half.bare.p50.toFixed(1)} ms; p99 ${half.bare.p99.toFixed(1)} ms (each slice ${slices(half.bare.p99s)} ms)`,
          ]
        : []),
      `load average ${loadAverage()}`,
    ],
  };
}

/**
 * Paced slices of a half-capacity figure. Its p99 is their median, and every slice's p99 is
 * printed beside it: on the 2-vCPU virtual machines the benches run on, one slice in a few carries
 * stalls of 100–500 ms (county eduinfo: the p99 of ten four-second slices in a row 2–7 ms in most,
 * 60–230 ms in two or three). Seen under the scheduler's trace: a second of V8's background compiler
 * taking half a core beside a role already at 60–80 % of one, and a vCPU reported idle for 18 ms while
 * Redis waited to run on it; the bare provider's slices, run between EduGate's, show what the machine
 * did to both.
 */
const HALF_CAPACITY_SLICES = 3;

interface PacedFigures {
  rate: number;
  p50: number;
  /** The median of the slices' p99s. */
  p99: number;
  p99s: number[];
  failed: number;
}

const pacedFigures = (rate: number, slices: SliceResult[]): PacedFigures => {
  const p99s = slices.map((slice) => percentile(slice.latencies, 99));
  return {
    rate,
    p50: percentile(
      slices.flatMap((slice) => slice.latencies),
      50,
    ),
    p99: percentile(p99s, 50),
    p99s,
    failed: slices.reduce((sum, slice) => sum + slice.failed, 0),
  };
};

/**
 * p50/p99 of `load` paced at half of `rate` (its measured capacity), in `HALF_CAPACITY_SLICES`
 * slices of `seconds`: the latency a relying party sees on a server that is busy but not saturated.
 * With `beside.bare`, a slice of it at the same rate follows each of them (its figures in `bare`);
 * with `beside.measured`, EduGate's server CPU per operation over its slices (`cpuPerOp`).
 */
export async function halfCapacity(
  load: LoadProcess,
  rate: number,
  seconds: number,
  { bare, measured }: HalfCapacityBeside = {},
): Promise<PacedFigures & { bare?: PacedFigures; cpuPerOp?: number }> {
  const half = Math.max(1, rate / 2);
  const ours: SliceResult[] = [];
  const theirs: SliceResult[] = [];
  let cpuSeconds = 0;
  for (let n = 0; n < HALF_CAPACITY_SLICES; n++) {
    const groups = measured ? await measured.processes() : {};
    const [server, pids] = serverGroup(groups);
    const used = measureCpu({ [server]: pids });
    ours.push(await load.run(seconds * 1000, half));
    cpuSeconds += used()[server] ?? 0;
    if (bare) theirs.push(await bare.run(seconds * 1000, half));
  }
  const done = ours.reduce((sum, slice) => sum + slice.done, 0);
  return {
    ...pacedFigures(half, ours),
    ...(bare ? { bare: pacedFigures(half, theirs) } : {}),
    ...(measured ? { cpuPerOp: (cpuSeconds * 1000) / Math.max(1, done) } : {}),
  };
}

/**
 * The throughput of EduGate's side against a baseline measured in the same slices (a bare
 * oidc-provider): the rates, and each side's latencies and CPU split beside the load average.
 */
export function rateAgainstBaseline(
  name: string,
  sides: SideFigures[],
  baselineName: string,
  target?: number,
): Figure {
  const [edugate, base] = sides;
  return {
    name,
    value: edugate?.rate ?? 0,
    unit: '/s',
    baseline: base?.rate ?? 0,
    baselineName,
    ...(target ? { target } : {}),
    detail: [
      `EduGate ${edugate ? describeSide(edugate) : ''}`,
      `bare    ${base ? describeSide(base) : ''}`,
      `load average ${loadAverage()}`,
    ],
  };
}
