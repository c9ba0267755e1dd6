import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Redis } from 'ioredis';
import { insertAccount } from '../src/county/accounts/repository.ts';
import { radiusPeersInstalled } from '../src/county/radius/peers.ts';
import { addNas, CountyStage, RadiusFront } from '../src/county/radius/testing.ts';
import { type ProcessGroups, postgresBackends, redisProcessId } from '../src/platform/testing/process-cpu.ts';
import { postgresAvailable, redisAvailable, TEST_REDIS_URL } from '../src/platform/testing/services.ts';
import { loadAverage } from './process-measure.ts';
import type { LoadJob, LoadResult } from './radius-load.ts';
import type { Figure } from './report.ts';

const PASSWORD = 'bench radius password 2026';
const ACCOUNTS = 16;
/** Seconds of each measured slice and paired rounds (BENCH_RADIUS_SECONDS, BENCH_RADIUS_ROUNDS: longer runs on a busy machine). */
const SLICE_S = Number(process.env.BENCH_RADIUS_SECONDS) || 4;
const ROUNDS = Number(process.env.BENCH_RADIUS_ROUNDS) || 3;
const LOAD = new URL('./radius-load.ts', import.meta.url).pathname;

/** One slice of load from a process of its own (bench/radius-load.ts). */
function load(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LOAD, JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult);
      else reject(new Error(`radius-load ${job.mode} exited ${code}: ${out}`));
    });
  });
}

const ms = (seconds: number, n: number) => `${((seconds * 1000) / Math.max(1, n)).toFixed(1)} ms`;

/** The server side: the county role, FreeRADIUS, PostgreSQL and Redis. */
const SERVER = ['county', 'freeradius', 'postgresql', 'redis'];
const serverCpu = (r: LoadResult) => SERVER.reduce((sum, name) => sum + (r.cpu[name] ?? 0), 0);

/**
 * Wi-Fi and VPN authentications through FreeRADIUS (Debian, configured by `edugate radius config`)
 * and the county role in a process of its own on PostgreSQL + Redis: PAP (as a VPN concentrator asks,
 * UDP with Message-Authenticator) and EAP-TTLS/PAP (a full TLS handshake per authentication, as a
 * laptop joining the Wi-Fi; eapol_test processes re-authenticating), driven from a load process, as a
 * ratio to raw argon2id verifications/s measured in the same run in a process of its own (target ≥
 * 0.8), with the p99 latency under that load. The CPU of each process over each measured window
 * gives the server-side figure too: authentications per CPU-second of the server side (county,
 * FreeRADIUS, PostgreSQL, Redis) against argon2id verifications per CPU-second.
 */
export async function benchRadius(): Promise<Figure[]> {
  if (!radiusPeersInstalled() || !(await postgresAvailable()) || !(await redisAvailable(TEST_REDIS_URL))) {
    console.warn('[skipped] the RADIUS bench needs FreeRADIUS, radclient, eapol_test, PostgreSQL and Redis');
    return [];
  }
  let stored = '';
  // The accounts, written to the database before the county process starts, as an import would.
  const county = await CountyStage.start('edugate_bench_radius', {
    seed: async (c) => {
      stored = await c.hasher.hash(PASSWORD);
      for (let i = 0; i < ACCOUNTS; i++) {
        await insertAccount(c.db, {
          tenant: 'cyc',
          username: `radius${i}`,
          passwordHash: stored,
          email: `radius${i}@example.org`,
          emailVerified: true,
          role: 'teacher',
          state: 'active',
          unitCode: '454503',
          realName: '測試老師',
          nationalIdEncrypted: await c.vault.encrypt('A123456789'),
          unitConfirmed: true,
        });
      }
    },
  });
  let front: RadiusFront | undefined;
  const redis = new Redis(county.stage.redisUrl, { lazyConnect: true });
  try {
    const secret = await addNas(county.config, 'bench', '127.0.0.1');
    front = await RadiusFront.start(county.config);
    await redis.connect();
    const redisPid = redisProcessId(await redis.info('server'));
    const processes = async (): Promise<ProcessGroups> => ({
      county: [county.node.child.pid ?? 0],
      freeradius: [front?.freeradius.pid ?? 0],
      postgresql: await postgresBackends((sql, values) => county.stage.query(sql, values), county.stage.name),
      redis: [redisPid],
    });

    const users = Array.from({ length: ACCOUNTS }, (_, i) => `radius${i}@cyc.edu.tw`);
    const cores = availableParallelism();
    const target = {
      port: front.authPort,
      secret,
      users,
      password: PASSWORD,
      county: county.node.child.pid ?? 0,
    };
    const raw = () =>
      load({ mode: 'raw', seconds: SLICE_S, concurrency: cores * 2, stored, password: PASSWORD });
    const pap = async () =>
      load({
        mode: 'pap',
        seconds: SLICE_S,
        concurrency: cores * 8,
        ...target,
        processes: await processes(),
      });
    const caFile = front.caFile;
    // Each eapol_test waits 100 ms between its authentications: twice PAP's clients.
    const eap = async () => {
      const result = await load({
        mode: 'eap',
        seconds: SLICE_S,
        concurrency: cores * 16,
        ...target,
        caFile,
        domain: 'radius.cyc.edu.tw',
        processes: await processes(),
        metrics: `${county.node.adminBase}/metrics`,
      });
      // Every authentication a supplicant saw accepted was a full TLS handshake whose inner PAP
      // EduGate checked and accepted, never a resumed session (give or take the authentications
      // under way at either end of the window).
      const { ok, handshakes, acceptedByEdugate = 0 } = result;
      const slack = cores * 16;
      if (
        (handshakes?.resumed ?? 0) > 0 ||
        Math.abs((handshakes?.full ?? 0) - ok) > slack ||
        Math.abs(acceptedByEdugate - ok) > slack
      )
        throw new Error(
          `EAP-TTLS/PAP: ${ok} accepted, ${acceptedByEdugate} accepted by EduGate, ${handshakes?.full} full and ${handshakes?.resumed} resumed TLS handshakes`,
        );
      return result;
    };
    const rate = (r: LoadResult) => r.ok / r.seconds;
    const thread = (r: LoadResult, name: string) => ms(r.threads?.[name] ?? 0, r.ok);
    const split = (r: LoadResult) =>
      `county ${ms(r.cpu.county ?? 0, r.ok)} (event loop ${thread(r, 'event loop')}, argon2id threads ${thread(r, 'argon2id threads')}, ` +
      `other threads ${thread(r, 'other threads')}), FreeRADIUS ${ms(r.cpu.freeradius ?? 0, r.ok)}, ` +
      `PostgreSQL ${ms(r.cpu.postgresql ?? 0, r.ok)}, Redis ${ms(r.cpu.redis ?? 0, r.ok)}, load ${ms(r.cpu.load ?? 0, r.ok)}`;
    // Authentications per CPU-second (of the server side, or of every process including the load),
    // against argon2id verifications per CPU-second: what the rate would be on cores of their own,
    // whatever else runs on the machine.
    const perCpuSecond = (r: LoadResult, withLoad: boolean) =>
      r.ok / Math.max(0.01, serverCpu(r) + (withLoad ? (r.cpu.load ?? 0) : 0));
    const perArgonSecond = (base: LoadResult) => base.ok / Math.max(0.01, base.cpu.load ?? 0);
    // What the server side spends on an authentication besides the argon2id verification itself.
    const outsideArgon2 = (r: LoadResult) =>
      (serverCpu(r) - (r.threads?.['argon2id threads'] ?? 0)) / Math.max(1, r.ok);

    // Warm-up (connections, JIT, FreeRADIUS threads), then raw, PAP and EAP in turns, so that load
    // from elsewhere on the machine weighs on each alike; each ratio is the median of the rounds'.
    await pap();
    await eap();
    const rounds: Array<{ raw: LoadResult; pap: LoadResult; eap: LoadResult }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await raw();
      const p = await pap();
      const e = await eap();
      rounds.push({ raw: r, pap: p, eap: e });
      console.log(
        `  round ${round + 1} (load average ${loadAverage()}): raw argon2id ${rate(r).toFixed(1)}/s (${ms(r.cpu.load ?? 0, r.ok)} CPU each), ` +
          `PAP ${rate(p).toFixed(1)}/s (p99 ${p.p99.toFixed(0)} ms, ${p.failed} not accepted), ` +
          `EAP-TTLS/PAP ${rate(e).toFixed(1)}/s (p99 ${e.p99.toFixed(0)} ms, ${e.failed} not accepted; ` +
          `${e.ok} accepted, ${e.handshakes?.full} full TLS handshakes, ${e.handshakes?.resumed} resumed, EduGate accepted ${e.acceptedByEdugate})\n` +
          `    CPU per authentication: PAP ${split(p)}\n` +
          `    CPU per authentication: EAP-TTLS/PAP ${split(e)}`,
      );
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const baseline = median(rounds.map((r) => rate(r.raw)));
    const figure = (kind: 'pap' | 'eap', name: string): Figure => {
      const perCpu = (withLoad: boolean) =>
        `${median(rounds.map((r) => perCpuSecond(r[kind], withLoad))).toFixed(1)} authentications per CPU-second ` +
        `vs ${median(rounds.map((r) => perArgonSecond(r.raw))).toFixed(1)} argon2id verifications per CPU-second → ratio ` +
        median(rounds.map((r) => perCpuSecond(r[kind], withLoad) / perArgonSecond(r.raw))).toFixed(2);
      return {
        name,
        value: median(rounds.map((r) => rate(r[kind]))),
        unit: '/s',
        baseline,
        baselineName: 'raw argon2id verifications',
        paired: { ratio: median(rounds.map((r) => rate(r[kind]) / rate(r.raw))), pairs: ROUNDS },
        target: 0.8,
        detail: [
          `p99 ${median(rounds.map((r) => r[kind].p99)).toFixed(0)} ms under load (${kind === 'eap' ? cores * 16 : cores * 8} clients)`,
          `server side (county + FreeRADIUS + PostgreSQL + Redis): ${perCpu(false)}`,
          `server side and load together: ${perCpu(true)}`,
          `server side outside the argon2id threads: ${(median(rounds.map((r) => outsideArgon2(r[kind]))) * 1000).toFixed(2)} ms per authentication ` +
            `(county's argon2id threads ${(median(rounds.map((r) => (r[kind].threads?.['argon2id threads'] ?? 0) / Math.max(1, r[kind].ok))) * 1000).toFixed(1)} ms, ` +
            `raw verification ${(median(rounds.map((r) => (r.raw.cpu.load ?? 0) / Math.max(1, r.raw.ok))) * 1000).toFixed(1)} ms)`,
          `load average ${loadAverage()}`,
        ],
      };
    };
    return [
      figure('pap', 'RADIUS PAP authentications through FreeRADIUS'),
      figure('eap', 'RADIUS EAP-TTLS/PAP authentications through FreeRADIUS'),
    ];
  } finally {
    redis.disconnect();
    await front?.close();
    await county.close();
  }
}
