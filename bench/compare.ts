// Before and after, in one run: the county role of this checkout against the county role of another
// revision (default HEAD, i.e. the uncommitted change), both as operators run them (a process each,
// PostgreSQL + Redis), each driven by a load process of its own in alternating slices. A refactor
// must not make these slower: each figure is the CPU time the role spends per operation, the other
// revision's as a ratio to this checkout's (below 1: this checkout is slower).
//
//   npm run bench -- compare                      # the working tree against HEAD
//   BENCH_COMPARE_REV=main~3 npm run bench -- compare
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { postgresAndRedis } from '../src/platform/testing/process-stage.ts';
import {
  BENCH_PASSWORD,
  type CountyUnderTest,
  countyIssuer,
  startCounty,
  teacherUsername,
} from './county-process.ts';
import { type LoadProcess, startHttpLoad } from './http-load.ts';
import { type LoginCosts, loginCosts } from './login-costs.ts';
import { CONNECTIONS, REDIRECT, scenarios } from './oidc-scenarios.ts';
import {
  alternatingSlices,
  describeSide,
  loadAverage,
  measuredSeconds,
  type Side,
} from './process-measure.ts';
import { type BenchRedis, startBenchRedis } from './redis-server.ts';
import type { Figure } from './report.ts';

const ROOT = new URL('../', import.meta.url).pathname;
/** Slower than this is a regression; closer than that is the noise of two identical processes. */
const TARGET = 0.95;

/** A checkout of `rev` beside this one, sharing its node_modules; removed by `remove()`. */
function checkout(rev: string): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'edugate-compare-'));
  rmSync(root, { recursive: true });
  execFileSync('git', ['worktree', 'add', '--detach', root, rev], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  return {
    root,
    remove() {
      execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: ROOT, stdio: 'ignore' });
      if (existsSync(root)) rmSync(root, { recursive: true, force: true });
    },
  };
}

export async function benchCompare(): Promise<Figure[]> {
  if (!process.argv.slice(2).includes('compare')) {
    console.log('before and after: `npm run bench -- compare` (BENCH_COMPARE_REV, default HEAD)');
    return [];
  }
  if (!(await postgresAndRedis())) return [];
  const rev = process.env.BENCH_COMPARE_REV ?? 'HEAD';
  const commit = execFileSync('git', ['rev-parse', '--short', rev], { cwd: ROOT }).toString().trim();
  const seconds = measuredSeconds(8);
  const before = checkout(rev);
  const counties: CountyUnderTest[] = [];
  const loads: LoadProcess[] = [];
  const redises: BenchRedis[] = [];
  // Each role on a Redis of its own: its commands and CPU time are its own.
  const ownRedis = async () => {
    const redis = await startBenchRedis();
    if (redis) redises.push(redis);
    return redis ? { redisUrl: redis.url } : {};
  };
  try {
    const now = await startCounty({ accounts: 1000, redirectUris: [REDIRECT], ...(await ownRedis()) });
    counties.push(now);
    const then = await startCounty({
      accounts: 1000,
      redirectUris: [REDIRECT],
      root: before.root,
      ...(await ownRedis()),
    });
    counties.push(then);
    const measured = await scenarios(await countyIssuer(now));
    const baseline = await scenarios(await countyIssuer(then));
    const figures: Figure[] = [];
    for (const [name, scenario] of Object.entries(measured)) {
      const base = baseline[name];
      if (!base) continue;
      const nowLoad = await startHttpLoad(scenario, CONNECTIONS);
      const thenLoad = await startHttpLoad(base, CONNECTIONS);
      loads.push(nowLoad, thenLoad);
      const sides: Side[] = [
        { load: nowLoad, processes: now.processes },
        { load: thenLoad, processes: then.processes },
      ];
      const [after, earlier] = await alternatingSlices(seconds, sides);
      await nowLoad.stop();
      await thenLoad.stop();
      if (!after || !earlier) continue;
      // The role's CPU time per operation: what a change to its code moves, whatever else the
      // machine does meanwhile (the rates below swing with that).
      figures.push({
        name: `county ${name}: EduGate CPU per operation, this checkout`,
        value: after.cpuPerOp.edugate ?? 0,
        unit: 'ms',
        baseline: earlier.cpuPerOp.edugate ?? 0,
        baselineName: `${rev} (${commit})`,
        target: TARGET,
        lowerIsBetter: true,
        detail: [
          `now    ${after.rate.toFixed(0)} /s, ${describeSide(after)}`,
          `before ${earlier.rate.toFixed(0)} /s, ${describeSide(earlier)}`,
          `load average ${loadAverage()}`,
        ],
      });
    }
    figures.push(await compareLogins(now, then, `${rev} (${commit})`, seconds, loads));
    return figures;
  } finally {
    for (const load of loads) await load.stop();
    for (const county of counties) await county.close();
    for (const redis of redises) await redis.stop();
    before.remove();
  }
}

/**
 * Password logins on both (form POSTs, see county-login.ts). The figure is the role's CPU time
 * per login outside its argon2id threads: the part a change to EduGate's code moves, beside
 * some 9 ms of hashing that it does not.
 */
async function compareLogins(
  now: CountyUnderTest,
  then: CountyUnderTest,
  label: string,
  seconds: number,
  loads: LoadProcess[],
): Promise<Figure> {
  const usernames = Array.from({ length: 1000 }, (_, n) => teacherUsername(n));
  const sides: Side[] = [];
  const costs: LoginCosts[] = [];
  const clients: Redis[] = [];
  for (const county of [now, then]) {
    const load = await startHttpLoad(
      {
        kind: 'login',
        url: `${county.node.base}/cyc/login`,
        // Up to some 200 logins/s, for the warm-up and the slices.
        browsers: Math.ceil(200 * (seconds + 8)),
        usernames,
        password: BENCH_PASSWORD,
      },
      CONNECTIONS,
    );
    loads.push(load);
    await load.run(5000);
    const redis = new Redis(county.env.REDIS_URL ?? county.stage.redisUrl);
    clients.push(redis);
    const measured = loginCosts(load, county.node.child.pid ?? 0, county.stage, redis);
    costs.push(measured);
    sides.push({ load: measured.load, processes: county.processes });
  }
  try {
    const [after, earlier] = await alternatingSlices(seconds, sides, 2000, 'fixed');
    const [nowCosts, thenCosts] = costs as [LoginCosts, LoginCosts];
    const nowLines = await nowCosts.describe();
    const thenLines = await thenCosts.describe();
    const outside = (side: typeof after, measured: LoginCosts) =>
      (side?.cpuPerOp.edugate ?? 0) - measured.argon2Ms();
    return {
      name: 'county password login: EduGate CPU per login outside argon2id, this checkout',
      value: outside(after, nowCosts),
      unit: 'ms',
      baseline: outside(earlier, thenCosts),
      baselineName: label,
      target: TARGET,
      lowerIsBetter: true,
      detail: [
        `now    ${after?.rate.toFixed(0)} /s, ${after ? describeSide(after) : ''}`,
        ...nowLines.map((line) => `  ${line}`),
        `before ${earlier?.rate.toFixed(0)} /s, ${earlier ? describeSide(earlier) : ''}`,
        ...thenLines.map((line) => `  ${line}`),
        `load average ${loadAverage()}`,
      ],
    };
  } finally {
    for (const redis of clients) redis.disconnect();
  }
}
