import { availableParallelism } from 'node:os';
import { hash } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import { postgresBackends, redisProcessId } from '../src/platform/testing/process-cpu.ts';
import { type ProcessStage, postgresAndRedis, processStage } from '../src/platform/testing/process-stage.ts';
import { startArgon2Process } from './argon2-process.ts';
import {
  ARGON2_PARAMETERS,
  BENCH_PASSWORD,
  type CountyUnderTest,
  startCounty,
  teacherUsername,
} from './county-process.ts';
import { type LoadProcess, startHttpLoad } from './http-load.ts';
import { startLoad } from './load-worker.ts';
import { loginCosts } from './login-costs.ts';
import { floorVerifications, type LoginFloor, startLoginFloor } from './login-floor.ts';
import {
  alternatingSlices,
  describeSide,
  loadAverage,
  measuredSeconds,
  type SideFigures,
} from './process-measure.ts';
import { type BenchRedis, startBenchRedis } from './redis-server.ts';
import type { Figure } from './report.ts';

const ACCOUNTS = 1000;
/** Milliseconds per measured slice: a slice of logins holds a few dozen, not a handful. */
const SLICE_MS = 3000;
/**
 * Logins before the measured slices, as on a node that has served for a while: V8 compiles the
 * login's code in its first seconds, on threads whose time would otherwise count (some 0.4 ms per
 * login at first, 0.1 ms once it is done).
 */
const WARM_UP_MS = 5000;

/** CPU milliseconds per operation of all of a side's processes (the load process included). */
const allCpu = (side: SideFigures) => Object.values(side.cpuPerOp).reduce((sum, ms) => sum + ms, 0);

/**
 * County password logins as operators run the portal (`edugate start --role county`, its own
 * process, sessions and sign-in budgets in Redis, accounts and the audit log in PostgreSQL),
 * driven by a load process of its own: each login a POST of the login form (session + CSRF +
 * budgets + audit + argon2id) from a browser that loaded the form, as a ratio to raw argon2id
 * verifications/s (same parameters) in a process of its own, in alternating slices (target ≥ 0.85).
 * The raw verifications run one per core (as the role's hashing threads do) and, in a second
 * process, two per core; the faster is the baseline. Beside it, the ratio the CPU time per
 * operation of all the processes gives: what a machine of the bench's own would measure. In the
 * same slices, the floor (login-floor.ts): a server making a login's round trips to PostgreSQL and
 * Redis and nothing else, its own database and Redis; its ratio is what those round trips leave
 * of raw argon2id on this machine, and EduGate's figure is given as a ratio to it too.
 * Then the home page's p99 latency at half of its measured capacity (budget 100 ms, SPEC §7).
 */
export async function benchCountyLogin(): Promise<Figure[]> {
  if (!(await postgresAndRedis())) return [];
  const seconds = measuredSeconds(18);
  const cores = availableParallelism();
  const argon2 = await startArgon2Process(cores);
  const argon2Twice = await startArgon2Process(cores * 2);
  let county: CountyUnderTest | undefined;
  let ownRedis: BenchRedis | undefined;
  let floor: LoginFloor | undefined;
  let floorStage: ProcessStage | undefined;
  let floorRedis: BenchRedis | undefined;
  const loads: LoadProcess[] = [argon2, argon2Twice];
  try {
    // Redis of its own: its CPU time and commands are the logins' alone.
    ownRedis = await startBenchRedis();
    county = await startCounty({
      accounts: ACCOUNTS,
      redirectUris: ['https://rp.bench.example/cb'],
      ...(ownRedis ? { redisUrl: ownRedis.url } : {}),
    });
    // Each login comes from a browser of its own that loaded the login form: enough for the run.
    const raw = await argon2.run(1000);
    const browsers = Math.ceil(raw.done * 1.5 * (seconds + 2 + WARM_UP_MS / 1000)) + 200;
    const usernames = Array.from({ length: ACCOUNTS }, (_, n) => teacherUsername(n));
    const logins = await startHttpLoad(
      { kind: 'login', url: `${county.node.base}/cyc/login`, browsers, usernames, password: BENCH_PASSWORD },
      // Enough connections to keep the password service's queue from running dry.
      16,
    );
    loads.push(logins);
    await logins.run(WARM_UP_MS);

    floorStage = await processStage('edugate_bench_floor');
    floorRedis = await startBenchRedis();
    const floorRedisUrl = floorRedis?.url ?? floorStage.redisUrl;
    floor = await startLoginFloor({
      databaseUrl: floorStage.databaseUrl,
      redisUrl: floorRedisUrl,
      usernames,
      storedHash: await hash(BENCH_PASSWORD, ARGON2_PARAMETERS),
    });
    const floorLoad = await startHttpLoad(
      { kind: 'login', url: floor.url, browsers, usernames, password: BENCH_PASSWORD },
      16,
    );
    loads.push(floorLoad);
    const floorLogins = floorVerifications(floorLoad, floor.pid);
    await floorLogins.load.run(WARM_UP_MS);
    const floorInfo = new Redis(floorRedisUrl);
    const floorRedisPid = redisProcessId(
      await floorInfo.info('server').finally(() => floorInfo.disconnect()),
    );
    const floorStaged = floorStage;
    const floorPid = floor.pid;
    const floorProcesses = async () => ({
      floor: [floorPid],
      postgresql: await postgresBackends((sql, values) => floorStaged.query(sql, values), floorStaged.name),
      redis: [floorRedisPid],
    });

    const redis = new Redis(county.env.REDIS_URL ?? county.stage.redisUrl);
    const costs = loginCosts(logins, county.node.child.pid ?? 0, county.stage, redis);
    const [ours, once, twice, bareLogins] = await alternatingSlices(
      seconds,
      [
        { load: costs.load, processes: county.processes },
        { load: argon2, processes: async () => ({}) },
        { load: argon2Twice, processes: async () => ({}) },
        { load: floorLogins.load, processes: floorProcesses },
      ],
      SLICE_MS,
      'fixed',
    );
    const costLines = await costs.describe().finally(() => redis.disconnect());
    if (!ours || !once || !twice || !bareLogins) return [];
    const base = once.rate >= twice.rate ? once : twice;
    const rawLine = (side: SideFigures, perCore: number) =>
      `argon2id ${perCore} per core: ${side.rate.toFixed(1)} /s, ${describeSide(side).replace('load', 'argon2id process')}`;
    const cheapest = Math.min(allCpu(once), allCpu(twice));
    const figures: Figure[] = [
      {
        name: 'county password logins (role process, PostgreSQL + Redis)',
        value: ours.rate,
        unit: '/s',
        baseline: base.rate,
        baselineName: `raw argon2id verifications in a process of their own (${base === once ? 'one' : 'two'} per core)`,
        target: 0.85,
        detail: [
          `EduGate ${describeSide(ours)}`,
          ...costLines,
          rawLine(once, 1),
          rawLine(twice, 2),
          `per login, all but argon2id (event loop, other threads, PostgreSQL, Redis, load): ${(allCpu(ours) - costs.argon2Ms()).toFixed(2)} ms CPU`,
          `CPU-bound (a machine of the bench's own): ${cheapest.toFixed(2)} ms per raw verification vs ${allCpu(ours).toFixed(2)} ms per login → ratio ${(cheapest / allCpu(ours)).toFixed(2)}`,
          `floor (the same round trips, nothing else; see below): ${bareLogins.rate.toFixed(1)} /s → ratio ${(bareLogins.rate / base.rate).toFixed(2)} of raw argon2id`,
          `load average ${loadAverage()}`,
        ],
      },
      {
        name: 'county password logins vs the floor',
        value: ours.rate,
        unit: '/s',
        baseline: bareLogins.rate,
        baselineName:
          "a login server making a county login's PostgreSQL and Redis round trips and nothing else",
        detail: [
          `floor ${describeSide(bareLogins)}`,
          `per login, all but argon2id: EduGate ${(allCpu(ours) - costs.argon2Ms()).toFixed(2)} ms CPU, floor ${(allCpu(bareLogins) - floorLogins.argon2Ms()).toFixed(2)} ms; argon2id's threads: EduGate ${costs.argon2Ms().toFixed(2)} ms, floor ${floorLogins.argon2Ms().toFixed(2)} ms, raw ${cheapest.toFixed(2)} ms`,
        ],
      },
    ];

    const load = await startLoad({ base: '', sessions: [], accounts: 0, password: '' });
    try {
      const home = `${county.node.base}/cyc`;
      const capacity = await load.run({ kind: 'get', url: home, connections: 16, seconds: 5 });
      const half = Math.max(1, Math.floor(capacity.requestsPerSecond / 2));
      const steady = await load.run({
        kind: 'get',
        url: home,
        connections: 16,
        seconds: 5,
        overallRate: half,
      });
      figures.push({
        name: 'county home page p99 at half capacity',
        value: steady.p99,
        unit: 'ms',
        baseline: 100,
        baselineName: 'SPEC §7 budget',
        lowerIsBetter: true,
        target: 1,
        detail: [
          `capacity ${capacity.requestsPerSecond.toFixed(0)} req/s; p99 at ${half} req/s`,
          `load average ${loadAverage()}`,
        ],
      });
    } finally {
      await load.stop();
    }
    return figures;
  } finally {
    for (const load of loads) await load.stop();
    await county?.close();
    await ownRedis?.stop();
    await floor?.stop();
    await floorStage?.close();
    await floorRedis?.stop();
  }
}
