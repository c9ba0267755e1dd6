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
import { postgresAndRedis } from '../src/platform/testing/process-stage.ts';
import { COUNTY_SCOPE, type CountyUnderTest, startCounty, teacherUsername } from './county-process.ts';
import { type LoadProcess, startHttpLoad } from './http-load.ts';
import { CONNECTIONS, type Issuer, REDIRECT, scenarios } from './oidc-scenarios.ts';
import {
  alternatingSlices,
  describeSide,
  loadAverage,
  measuredSeconds,
  type Side,
} from './process-measure.ts';
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

async function issuerOf(county: CountyUnderTest): Promise<Issuer> {
  return {
    issuer: county.issuer,
    clientId: county.clientId,
    clientSecret: county.clientSecret,
    scope: COUNTY_SCOPE,
    resource: `${county.issuer}/cncresource/api/v1/eduinfo`,
    cookie: await county.signIn(teacherUsername(1), REDIRECT),
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
  try {
    const now = await startCounty({ accounts: 1000, redirectUris: [REDIRECT] });
    counties.push(now);
    const then = await startCounty({ accounts: 1000, redirectUris: [REDIRECT], root: before.root });
    counties.push(then);
    const measured = await scenarios(await issuerOf(now));
    const baseline = await scenarios(await issuerOf(then));
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
    return figures;
  } finally {
    for (const load of loads) await load.stop();
    for (const county of counties) await county.close();
    before.remove();
  }
}
