// The load of the RADIUS bench, in a process of its own (node bench/radius-load.ts '<json>'), so that
// neither the clients nor the raw baseline share a CPU budget or an event loop with the county role:
// - raw: argon2id verifications of one stored hash, `concurrency` at a time (the baseline);
// - pap: PAP Access-Requests over UDP, as a VPN concentrator sends them (with Message-Authenticator);
// - eap: EAP-TTLS/PAP authentications, as laptops joining the Wi-Fi: `concurrency` eapol_test
//   processes, each authenticating again and again (`-r`) until the slice ends. Each authentication
//   is a full TLS handshake (FreeRADIUS keeps no TLS sessions: `cache { enable = no }`), counted
//   from the supplicant's output, with the handshakes it saw resumed (none expected).
// The CPU time of the processes named in the job (the county role, FreeRADIUS, PostgreSQL, Redis)
// and of the load itself is read over the same measured window as the authentications counted.
// Prints one JSON line: {"ok": n, "failed": n, "seconds": s, "p99": ms, "cpu": {…}, …}.
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { verify } from '@node-rs/argon2';
import { papAccessRequest } from '../src/county/radius/nas-request.ts';
import { EAPOL_TEST, eapolArguments } from '../src/county/radius/peers.ts';
import { HASH_THREAD_NAME } from '../src/identity/passwords/hash-threads.ts';
import { measureCpu, measureThreads, type ProcessGroups } from '../src/platform/testing/process-cpu.ts';

interface Slice {
  /** Length of the measured window. */
  seconds: number;
  concurrency: number;
  /** Processes whose CPU time is read over the window, by name (the load is added as `load`). */
  processes?: ProcessGroups;
  /** The county role's process: its CPU time is also read per thread group (`threads` of the result). */
  county?: number;
}

export type LoadJob =
  | (Slice & { mode: 'raw'; stored: string; password: string })
  | (Slice & {
      mode: 'pap' | 'eap';
      port: number;
      secret: string;
      users: string[];
      password: string;
      /** eap: the CA certificate and the server name the supplicant checks. */
      caFile?: string;
      domain?: string;
      /** eap: the county role's metrics, to count the Access-Requests it accepted within the window. */
      metrics?: string;
    });

export interface LoadResult {
  /** Authentications accepted (raw: verifications) within the window. */
  ok: number;
  failed: number;
  seconds: number;
  p99: number;
  /** CPU seconds over the window: each process group of the job, and `load` (this process and the supplicants). */
  cpu: Record<string, number>;
  /** CPU seconds over the window of the county role's threads: event loop, argon2id threads, other threads. */
  threads?: Record<string, number>;
  /** eap: TLS handshakes the supplicants finished in full within the window, and resumed ones. */
  handshakes?: { full: number; resumed: number };
  /** eap: Access-Requests (inner PAP) the county role accepted within the window. */
  acceptedByEdugate?: number;
}

/** How many Access-Requests the county role answered 200 (accepted) on its RADIUS API so far. */
export async function acceptedByEdugate(metricsUrl: string): Promise<number> {
  const metrics = await (await fetch(metricsUrl)).text();
  const line = metrics
    .split('\n')
    .find(
      (l) =>
        l.startsWith('edugate_http_request_duration_seconds_count{') &&
        l.includes('route="/admin/api/radius/v1/authorize"') &&
        l.includes('status="200"'),
    );
  return Number(line?.split(' ').at(-1) ?? 0);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** The county role's threads by what they do: its event loop, its argon2id threads, the rest (V8's helpers, libuv). */
const threadGroup = ({ name, main }: { name: string; main: boolean }) =>
  main ? 'event loop' : name === HASH_THREAD_NAME ? 'argon2id threads' : 'other threads';

/** Measures the CPU time of the job's processes, and of the county role's threads, from now on. */
function measure(job: Slice, load: number[]): () => Pick<LoadResult, 'cpu' | 'threads'> {
  const cpu = measureCpu({ ...job.processes, load });
  const threads = job.county ? measureThreads(job.county, threadGroup) : undefined;
  return () => ({ cpu: cpu(), ...(threads ? { threads: threads() } : {}) });
}

/** Runs `attempt` from `concurrency` loops for `seconds`. */
async function drive(
  job: Slice,
  attempt: (worker: number, i: number) => Promise<boolean>,
): Promise<LoadResult> {
  const used = measure(job, [process.pid]);
  const end = performance.now() + job.seconds * 1000;
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: job.concurrency }, async (_, worker) => {
      while (performance.now() < end) {
        const t0 = performance.now();
        if (await attempt(worker, n++)) latencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  return {
    ok: latencies.length,
    failed,
    seconds: (performance.now() - started) / 1000,
    p99: percentile(latencies, 0.99),
    ...used(),
  };
}

/** One UDP socket per worker, one request outstanding on each: true on Access-Accept. */
function papClient(port: number, secret: string) {
  const socket = createSocket('udp4');
  let id = 0;
  let waiting: ((code: number) => void) | undefined;
  socket.on('message', (message) => {
    if (message[1] === (id & 0xff)) waiting?.(message[0] ?? 0);
  });
  return {
    send(user: string, password: string, station: string): Promise<boolean> {
      id++;
      const packet = papAccessRequest(id, secret, user, password, station);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting = undefined;
          resolve(false);
        }, 10_000);
        waiting = (code) => {
          clearTimeout(timer);
          waiting = undefined;
          resolve(code === 2);
        };
        socket.send(packet, port, '127.0.0.1');
      });
    },
    close: () => socket.close(),
  };
}

/** The lines of eapol_test's output that tell an authentication's start, outcome and handshake (grep -E and JS alike). */
const OUTCOME =
  /SUPP_PAE entering state AUTHENTICATING|eapol_sm_cb: result=([0-9])|Handshake finished - resumed=([0-9])/;

/** A MAC address of a test device (locally administered). */
const deviceMac = (i: number) =>
  `02:00:00:${[i >> 16, i >> 8, i].map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(':')}`;

/** Before the window: every supplicant started and through its first authentication. */
const EAP_WARM_UP_MS = 1500;

/**
 * `concurrency` eapol_test processes (one laptop each), re-authenticating until the window ends;
 * what each printed tells when an authentication started (`SUPP_PAE entering state AUTHENTICATING`),
 * how it ended (`eapol_sm_cb: result=1` success, 0 failure) and whether its TLS handshake was a full
 * one. Authentications that end within the window count. eapol_test pauses 100 ms between
 * authentications: more processes than PAP clients make up for it.
 */
async function eapSupplicants(job: Extract<LoadJob, { mode: 'pap' | 'eap' }>): Promise<LoadResult> {
  const latencies: number[] = [];
  const handshakes = { full: 0, resumed: 0 };
  let failed = 0;
  let window: { from: number; to: number } | undefined;
  const within = (t: number) => window !== undefined && t >= window.from && t < window.to;
  const children: ChildProcess[] = [];
  const exits: Array<Promise<void>> = [];
  const supplicant = (i: number) => {
    const user = job.users[i % job.users.length] ?? '';
    const { args, remove } = eapolArguments(
      {
        port: job.port,
        secret: job.secret,
        identity: user,
        anonymous: `@${user.split('@')[1] ?? ''}`,
        password: job.password,
        caFile: job.caFile ?? '',
        domain: job.domain ?? '',
        mac: deviceMac(i),
      },
      job.seconds + 60,
    );
    // eapol_test prints some 500 lines an authentication: line-buffered (stdbuf), so that each
    // arrives when printed, and only the lines that tell the outcome reach this process (grep).
    const eapol = spawn('stdbuf', ['-oL', EAPOL_TEST, ...args, '-r', '1000000'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const grep = spawn('grep', ['--line-buffered', '-E', OUTCOME.source], {
      stdio: [eapol.stdout, 'pipe', 'ignore'],
    });
    eapol.stdout?.destroy();
    children.push(eapol, grep);
    const marker = new RegExp(OUTCOME.source, 'g');
    let since: number | undefined;
    let rest = '';
    grep.stdout?.on('data', (chunk: Buffer) => {
      const now = performance.now();
      const text = rest + chunk.toString('latin1');
      const cut = text.lastIndexOf('\n') + 1;
      rest = text.slice(cut);
      for (const m of text.slice(0, cut).matchAll(marker)) {
        if (m[1] !== undefined) {
          if (within(now)) {
            if (m[1] === '1') latencies.push(now - (since ?? now));
            else failed++;
          }
          since = undefined;
        } else if (m[2] !== undefined) {
          if (within(now)) handshakes[m[2] === '0' ? 'full' : 'resumed']++;
        } else since ??= now;
      }
    });
    const exited = (child: ChildProcess) =>
      new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.once('exit', () => resolve());
      });
    exits.push(Promise.all([exited(eapol), exited(grep)]).then(remove));
  };
  for (let i = 0; i < job.concurrency; i++) supplicant(i);
  await new Promise((resolve) => setTimeout(resolve, EAP_WARM_UP_MS));
  const pids = children.map((c) => c.pid ?? 0);
  const accepted = job.metrics ? await acceptedByEdugate(job.metrics) : 0;
  const cpu = measure(job, [process.pid, ...pids]);
  window = { from: performance.now(), to: performance.now() + job.seconds * 1000 };
  await new Promise((resolve) => setTimeout(resolve, job.seconds * 1000));
  const used = cpu();
  const seconds = (performance.now() - window.from) / 1000;
  const acceptedWithin = job.metrics ? (await acceptedByEdugate(job.metrics)) - accepted : undefined;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(exits);
  return {
    ok: latencies.length,
    failed,
    seconds,
    p99: percentile(latencies, 0.99),
    ...used,
    handshakes,
    ...(acceptedWithin === undefined ? {} : { acceptedByEdugate: acceptedWithin }),
  };
}

async function run(job: LoadJob): Promise<LoadResult> {
  if (job.mode === 'raw') return drive(job, async () => verify(job.stored, job.password));
  if (job.mode === 'eap') return eapSupplicants(job);
  const user = (i: number) => job.users[i % job.users.length] ?? '';
  const clients = Array.from({ length: job.concurrency }, () => papClient(job.port, job.secret));
  try {
    return await drive(job, (worker, i) =>
      (clients[worker] ?? papClient(job.port, job.secret)).send(
        user(i),
        job.password,
        `198.51.100.${i % 200}`,
      ),
    );
  } finally {
    for (const c of clients) c.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
  console.log(JSON.stringify(await run(job)));
}
