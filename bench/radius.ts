import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { verify } from '@node-rs/argon2';
import { runAdminCommand } from '../src/cli/run.ts';
import { insertAccount } from '../src/county/accounts/repository.ts';
import { radiusCommand } from '../src/county/radius/cli.ts';
import {
  eapolTtlsPap,
  FreeradiusProcess,
  radclient,
  radiusPeersInstalled,
} from '../src/county/radius/peers.ts';
import { startCountyTestApp } from '../src/county/testing.ts';
import { postgresTestDatabase } from '../src/platform/testing/databases.ts';
import { freePort } from '../src/platform/testing/ports.ts';
import { postgresAvailable } from '../src/platform/testing/services.ts';
import type { Figure } from './report.ts';

const PASSWORD = 'bench radius password 2026';
const ACCOUNTS = 16;
const SLICE_S = 3;
const ROUNDS = 3;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs `attempt` from `workers` loops for `seconds`: authentications per second and each one's latency. */
async function slice(seconds: number, workers: number, attempt: (i: number) => Promise<boolean>) {
  const end = Date.now() + seconds * 1000;
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < end) {
        const t0 = performance.now();
        if (await attempt(n++)) latencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { rate: latencies.length / elapsed, p99: percentile(latencies, 0.99), failed };
}

/**
 * Wi-Fi and VPN authentications through FreeRADIUS (Debian) and the county role on PostgreSQL:
 * PAP (as a VPN concentrator asks) and EAP-TTLS/PAP (a full TLS handshake per authentication, as a
 * laptop joining the Wi-Fi), from radclient and eapol_test processes, as a ratio to raw argon2id
 * verifications measured in the same run (target ≥ 0.8), with the p99 latency under that load.
 */
export async function benchRadius(): Promise<Figure[]> {
  if (!radiusPeersInstalled() || !(await postgresAvailable())) {
    console.warn('[skipped] the RADIUS bench needs FreeRADIUS, radclient, eapol_test and PostgreSQL');
    return [];
  }
  const t = await startCountyTestApp(postgresTestDatabase, { logLevel: 'warn' }, { listen: true });
  const dir = mkdtempSync(join(tmpdir(), 'edugate-bench-radius-'));
  const radius = new FreeradiusProcess(dir);
  try {
    const stored = await t.county.hasher.hash(PASSWORD);
    for (let i = 0; i < ACCOUNTS; i++) {
      await insertAccount(t.county.db, {
        tenant: 'cyc',
        username: `radius${i}`,
        passwordHash: stored,
        email: `radius${i}@example.org`,
        emailVerified: true,
        role: 'teacher',
        status: 'active',
        unitCode: '454503',
        realName: '測試老師',
        nationalIdEncrypted: await t.county.vault.encrypt('A123456789'),
        unitConfirmed: true,
      });
    }
    let secret = '';
    const log = console.log;
    console.log = (line: unknown) => {
      secret = (JSON.parse(String(line)) as { secret: string }).secret;
    };
    await runAdminCommand(radiusCommand, t.config, [
      'nas',
      'add',
      '--tenant',
      'cyc',
      '--name',
      'bench',
      '--address',
      '127.0.0.1',
    ]);
    console.log = () => {};
    const authPort = await freePort();
    await runAdminCommand(radiusCommand, t.config, [
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
    console.log = log;
    await radius.start();

    const workers = t.county.hasher.maxConcurrency * 4;
    const verifying = Math.max(t.county.hasher.maxConcurrency, availableParallelism() * 2);
    const rawSlice = () =>
      slice(SLICE_S, verifying, async () => {
        await verify(stored, PASSWORD);
        return true;
      });
    // PAP: one radclient process sends a batch (its start-up, loading the dictionaries, would
    // otherwise weigh more than the authentication); the latency is that of single requests.
    const papRequest = (i: number) =>
      `${[
        `User-Name = "radius${i % ACCOUNTS}@cyc.edu.tw"`,
        `User-Password = "${PASSWORD}"`,
        'NAS-Port-Type = Virtual',
        `Calling-Station-Id = "198.51.100.${i % 200}"`,
        'Message-Authenticator = 0x00',
      ].join(', ')}\n`;
    const papSlice = async (expected: number) => {
      const count = Math.max(workers, Math.ceil(expected * SLICE_S));
      const started = performance.now();
      let running = true;
      const batchDone = radclient(
        authPort,
        'auth',
        secret,
        Array.from({ length: count }, (_, i) => papRequest(i)),
        { parallel: workers },
      ).finally(() => {
        running = false;
      });
      // Single requests meanwhile: the latency a VPN user sees under that load.
      const latencies: number[] = [];
      let failed = 0;
      for (let i = 0; running; i++) {
        const t0 = performance.now();
        const r = await radclient(authPort, 'auth', secret, [papRequest(count + i)]);
        if (r.answer === 'Access-Accept') latencies.push(performance.now() - t0);
        else failed++;
      }
      const batch = await batchDone;
      const elapsed = (performance.now() - started) / 1000;
      const accepted = batch.output.match(/Received Access-Accept/g)?.length ?? 0;
      return {
        rate: (accepted + latencies.length) / elapsed,
        p99: percentile(latencies, 0.99),
        failed: count - accepted + failed,
      };
    };
    const eapSlice = () =>
      slice(SLICE_S, workers, async (i) => {
        const r = await eapolTtlsPap({
          port: authPort,
          secret,
          identity: `radius${i % ACCOUNTS}@cyc.edu.tw`,
          anonymous: '@cyc.edu.tw',
          password: PASSWORD,
          caFile: join(dir, 'certs', 'ca.pem'),
          domain: 'radius.cyc.edu.tw',
          mac: `02:00:00:00:${String((i >> 8) % 100).padStart(2, '0')}:${String(i % 100).padStart(2, '0')}`,
        });
        return r.ok;
      });
    // Raw verifications, PAP and EAP in turns, so that load from elsewhere on the machine weighs
    // on each alike; each ratio is the median of the rounds' ratios.
    const rounds: Array<{
      raw: number;
      pap: Awaited<ReturnType<typeof slice>>;
      eap: Awaited<ReturnType<typeof slice>>;
    }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const raw = (await rawSlice()).rate;
      const pap = await papSlice(raw);
      const eap = await eapSlice();
      rounds.push({ raw, pap, eap });
    }
    const median = (values: number[]) => percentile(values, 0.5);
    const raw = median(rounds.map((r) => r.raw));
    const p99 = (kind: 'pap' | 'eap') => median(rounds.map((r) => r[kind].p99));
    const failed = (kind: 'pap' | 'eap') => rounds.reduce((sum, r) => sum + r[kind].failed, 0);
    console.log(
      `RADIUS p99 under load (${workers} clients, PAP p99 of single radclient requests beside a batch, EAP one eapol_test process per authentication): ` +
        `PAP ${p99('pap').toFixed(0)} ms, EAP-TTLS/PAP ${p99('eap').toFixed(0)} ms; not accepted: PAP ${failed('pap')}, EAP ${failed('eap')}`,
    );
    const figure = (kind: 'pap' | 'eap', name: string): Figure => ({
      name,
      value: median(rounds.map((r) => r[kind].rate)),
      unit: '/s',
      baseline: raw,
      baselineName: 'raw argon2id verifications',
      paired: { ratio: median(rounds.map((r) => r[kind].rate / r.raw)), pairs: ROUNDS },
      target: 0.8,
    });
    return [
      figure('pap', 'RADIUS PAP authentications through FreeRADIUS'),
      figure('eap', 'RADIUS EAP-TTLS/PAP authentications through FreeRADIUS'),
    ];
  } finally {
    await radius.stop();
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
