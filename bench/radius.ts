import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminCommand } from '../src/cli/run.ts';
import { insertAccount } from '../src/county/accounts/repository.ts';
import { radiusCommand } from '../src/county/radius/cli.ts';
import { FreeradiusProcess, radiusPeersInstalled } from '../src/county/radius/peers.ts';
import { countyRole } from '../src/county/role.ts';
import { countyServices } from '../src/county/services.ts';
import { loadConfig } from '../src/platform/config/load.ts';
import type { Config } from '../src/platform/config/options.ts';
import { createLogger } from '../src/platform/observability/logger.ts';
import { bootRole } from '../src/platform/runtime/boot.ts';
import { loadSecrets } from '../src/platform/runtime/secrets.ts';
import { freePort } from '../src/platform/testing/ports.ts';
import { processStage } from '../src/platform/testing/process-stage.ts';
import { RoleProcess } from '../src/platform/testing/role-process.ts';
import { postgresAvailable, redisAvailable, TEST_REDIS_URL } from '../src/platform/testing/services.ts';
import { cpuSeconds, type LoadJob, type LoadResult } from './radius-load.ts';
import type { Figure } from './report.ts';

const PASSWORD = 'bench radius password 2026';
const ACCOUNTS = 16;
const SLICE_S = 4;
const ROUNDS = 3;
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

/** Runs `edugate radius …` against the running county process; what it printed. */
async function radius(config: Config, args: string[]): Promise<string> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: unknown) => void lines.push(String(line));
  try {
    const code = await runAdminCommand(radiusCommand, config, args);
    if (code !== 0) throw new Error(`edugate radius ${args.join(' ')} exited ${code}: ${lines.join('\n')}`);
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

/**
 * Wi-Fi and VPN authentications through FreeRADIUS (Debian, configured by `edugate radius config`)
 * and the county role in a process of its own on PostgreSQL + Redis: PAP (as a VPN concentrator asks,
 * UDP with Message-Authenticator) and EAP-TTLS/PAP (a full TLS handshake per authentication, as a
 * laptop joining the Wi-Fi, one eapol_test process each), driven from a load process, as a ratio to
 * raw argon2id verifications/s measured in the same run in a process of its own (target ≥ 0.8), with
 * the p99 latency under that load.
 */
export async function benchRadius(): Promise<Figure[]> {
  if (!radiusPeersInstalled() || !(await postgresAvailable()) || !(await redisAvailable(TEST_REDIS_URL))) {
    console.warn('[skipped] the RADIUS bench needs FreeRADIUS, radclient, eapol_test, PostgreSQL and Redis');
    return [];
  }
  const stage = await processStage('edugate_bench_radius');
  const dir = mkdtempSync(join(tmpdir(), 'edugate-bench-radius-'));
  const freeradius = new FreeradiusProcess(dir);
  let node: RoleProcess | undefined;
  try {
    const key = () => randomBytes(32).toString('base64url');
    const env: Record<string, string> = {
      ...stage.directEnv,
      EDUGATE_SECRET: key(),
      EDUGATE_NATIONAL_ID_KEYS: `k1:${key()}`,
      EDUGATE_BLIND_INDEX_KEY: key(),
      EDUGATE_ADMIN_TOKEN: key(),
      EDUGATE_CAPTCHA: 'off',
      LOG_LEVEL: 'warn',
    };
    // The accounts, written to the database before the county process starts, as an import would.
    const seedConfig = loadConfig(env);
    const seeding = await bootRole(countyRole, {
      config: seedConfig,
      secrets: loadSecrets(seedConfig, false),
      log: createLogger('silent'),
      demo: true,
      startJobs: false,
    });
    const county = countyServices(seeding.ctx);
    const stored = await county.hasher.hash(PASSWORD);
    for (let i = 0; i < ACCOUNTS; i++) {
      await insertAccount(county.db, {
        tenant: 'cyc',
        username: `radius${i}`,
        passwordHash: stored,
        email: `radius${i}@example.org`,
        emailVerified: true,
        role: 'teacher',
        state: 'active',
        unitCode: '454503',
        realName: '測試老師',
        nationalIdEncrypted: await county.vault.encrypt('A123456789'),
        unitConfirmed: true,
      });
    }
    await county.hasher.close();
    await seeding.close();

    node = await RoleProcess.start('county', env);
    await node.until(200, '/readyz', 90_000);
    const config = loadConfig({
      ...env,
      EDUGATE_ADMIN_HOST: '127.0.0.1',
      EDUGATE_ADMIN_PORT: String(Number(new URL(node.adminBase).port) - 1),
    });
    const { secret } = JSON.parse(
      await radius(config, ['nas', 'add', '--tenant', 'cyc', '--name', 'bench', '--address', '127.0.0.1']),
    ) as { secret: string };
    const authPort = await freePort();
    await radius(config, [
      'config',
      '--tenant',
      'cyc',
      '--out',
      dir,
      '--listen',
      '127.0.0.1',
      '--auth-port',
      String(authPort),
      '--acct-port',
      String(await freePort()),
    ]);
    await freeradius.start();

    const users = Array.from({ length: ACCOUNTS }, (_, i) => `radius${i}@cyc.edu.tw`);
    const cores = availableParallelism();
    const target = { port: authPort, secret, users, password: PASSWORD };
    const raw = () =>
      load({ mode: 'raw', seconds: SLICE_S, concurrency: cores * 2, stored, password: PASSWORD });
    const pap = () => load({ mode: 'pap', seconds: SLICE_S, concurrency: cores * 8, ...target });
    const eap = () =>
      load({
        mode: 'eap',
        seconds: SLICE_S,
        concurrency: cores * 8,
        ...target,
        caFile: join(dir, 'certs', 'ca.pem'),
        domain: 'radius.cyc.edu.tw',
      });
    const rate = (r: LoadResult) => r.ok / r.seconds;
    // CPU per accepted authentication, by process: where an EAP-TTLS authentication's cost goes.
    const cpu = { county: 0, freeradius: 0 };
    const sampled = async (slice: () => Promise<LoadResult>) => {
      const county0 = cpuSeconds(node?.child.pid ?? 0).self;
      const radius0 = cpuSeconds(freeradius.pid ?? 0).self;
      const result = await slice();
      cpu.county = cpuSeconds(node?.child.pid ?? 0).self - county0;
      cpu.freeradius = cpuSeconds(freeradius.pid ?? 0).self - radius0;
      const per = (seconds: number) => `${((seconds * 1000) / Math.max(1, result.ok)).toFixed(0)} ms`;
      costs.push(
        `county ${per(cpu.county)}, FreeRADIUS ${per(cpu.freeradius)}, clients ${per(result.cpu.self + result.cpu.children)}`,
      );
      return result;
    };
    const costs: string[] = [];
    // Warm-up (connections, JIT, FreeRADIUS threads), then raw, PAP and EAP in turns, so that load
    // from elsewhere on the machine weighs on each alike; each ratio is the median of the rounds'.
    await pap();
    const rounds: Array<{ raw: LoadResult; pap: LoadResult; eap: LoadResult }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const r = await raw();
      const p = await sampled(pap);
      const e = await sampled(eap);
      rounds.push({ raw: r, pap: p, eap: e });
      console.log(
        `  round ${round + 1}: raw ${rate(r).toFixed(1)}/s, PAP ${rate(p).toFixed(1)}/s (p99 ${p.p99.toFixed(0)} ms, ${p.failed} not accepted), EAP-TTLS/PAP ${rate(e).toFixed(1)}/s (p99 ${e.p99.toFixed(0)} ms, ${e.failed} not accepted)\n` +
          `    CPU per authentication: PAP ${costs.at(-2)}; EAP-TTLS/PAP ${costs.at(-1)}; raw argon2id ${((r.cpu.self * 1000) / Math.max(1, r.ok)).toFixed(0)} ms per verification`,
      );
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    const baseline = median(rounds.map((r) => rate(r.raw)));
    console.log(
      `RADIUS p99 under load (${cores * 8} clients): PAP ${median(rounds.map((r) => r.pap.p99)).toFixed(0)} ms, ` +
        `EAP-TTLS/PAP ${median(rounds.map((r) => r.eap.p99)).toFixed(0)} ms`,
    );
    const figure = (kind: 'pap' | 'eap', name: string): Figure => ({
      name,
      value: median(rounds.map((r) => rate(r[kind]))),
      unit: '/s',
      baseline,
      baselineName: 'raw argon2id verifications',
      paired: { ratio: median(rounds.map((r) => rate(r[kind]) / rate(r.raw))), pairs: ROUNDS },
      target: 0.8,
    });
    return [
      figure('pap', 'RADIUS PAP authentications through FreeRADIUS'),
      figure('eap', 'RADIUS EAP-TTLS/PAP authentications through FreeRADIUS'),
    ];
  } finally {
    await freeradius.stop();
    await node?.stop();
    await stage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
