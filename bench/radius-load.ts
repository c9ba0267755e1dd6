// The load of the RADIUS bench, in a process of its own (node bench/radius-load.ts '<json>'), so that
// neither the clients nor the raw baseline share a CPU budget or an event loop with the county role:
// - raw: argon2id verifications of one stored hash, `concurrency` at a time (the baseline);
// - pap: PAP Access-Requests over UDP, as a VPN concentrator sends them (with Message-Authenticator);
// - eap: EAP-TTLS/PAP authentications, one eapol_test process each, as laptops joining the Wi-Fi.
// Prints one JSON line: {"ok": n, "failed": n, "seconds": s, "p99": ms}.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { verify } from '@node-rs/argon2';
import { eapolTtlsPap } from '../src/county/radius/peers.ts';

export type LoadJob =
  | { mode: 'raw'; seconds: number; concurrency: number; stored: string; password: string }
  | {
      mode: 'pap' | 'eap';
      seconds: number;
      concurrency: number;
      port: number;
      secret: string;
      users: string[];
      password: string;
      /** eap: the CA certificate and the server name the supplicant checks. */
      caFile?: string;
      domain?: string;
    };

export interface LoadResult {
  ok: number;
  failed: number;
  seconds: number;
  p99: number;
  /** CPU seconds of this process and of the processes it started (eapol_test), for the whole run. */
  cpu: { self: number; children: number };
}

/** CPU seconds of a process (utime + stime) and of its waited-for children, from /proc. */
export function cpuSeconds(pid: number | 'self'): { self: number; children: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // Fields 14–17 of proc(5), counted from the state (field 3) here; clock ticks of 1/100 s.
    const tick = (i: number) => (fields[i - 3] ?? 0) / 100;
    return { self: tick(14) + tick(15), children: tick(16) + tick(17) };
  } catch {
    return { self: 0, children: 0 };
  }
}

function attribute(type: number, value: Buffer): Buffer {
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** User-Password hidden as RFC 2865 §5.2 says: MD5(secret + previous block) XOR each 16-byte block. */
function hidePassword(password: string, secret: string, authenticator: Buffer): Buffer {
  const plain = Buffer.from(password);
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  const out = Buffer.alloc(padded.length);
  let previous = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const key = createHash('md5').update(secret).update(previous).digest();
    for (let j = 0; j < 16; j++) out[i + j] = (padded[i + j] ?? 0) ^ (key[j] ?? 0);
    previous = out.subarray(i, i + 16);
  }
  return out;
}

/** An Access-Request with PAP and a Message-Authenticator (RFC 3579 §3.2; BlastRADIUS). */
export function papAccessRequest(
  id: number,
  secret: string,
  user: string,
  password: string,
  station: string,
): Buffer {
  const authenticator = randomBytes(16);
  const attributes = Buffer.concat([
    attribute(1, Buffer.from(user)),
    attribute(2, hidePassword(password, secret, authenticator)),
    attribute(32, Buffer.from('bench-load')),
    attribute(61, Buffer.from([0, 0, 0, 5])), // NAS-Port-Type = Virtual
    attribute(31, Buffer.from(station)),
    attribute(80, Buffer.alloc(16)),
  ]);
  const packet = Buffer.concat([Buffer.from([1, id & 0xff, 0, 0]), authenticator, attributes]);
  packet.writeUInt16BE(packet.length, 2);
  const mac = createHmac('md5', secret).update(packet).digest();
  mac.copy(packet, packet.length - 16);
  return packet;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/** Runs `attempt` from `concurrency` loops for `seconds`. */
async function drive(
  seconds: number,
  concurrency: number,
  attempt: (worker: number, i: number) => Promise<boolean>,
): Promise<LoadResult> {
  const end = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let failed = 0;
  let n = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
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
    cpu: cpuSeconds('self'),
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

async function run(job: LoadJob): Promise<LoadResult> {
  if (job.mode === 'raw') {
    return drive(job.seconds, job.concurrency, async () => verify(job.stored, job.password));
  }
  const user = (i: number) => job.users[i % job.users.length] ?? '';
  if (job.mode === 'pap') {
    const clients = Array.from({ length: job.concurrency }, () => papClient(job.port, job.secret));
    try {
      return await drive(job.seconds, job.concurrency, (worker, i) =>
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
  return drive(job.seconds, job.concurrency, async (_, i) => {
    const r = await eapolTtlsPap({
      port: job.port,
      secret: job.secret,
      identity: user(i),
      anonymous: `@${user(i).split('@')[1] ?? ''}`,
      password: job.password,
      caFile: job.caFile ?? '',
      domain: job.domain ?? '',
      mac: `02:00:00:${[i >> 16, i >> 8, i].map((b) => (b & 0xff).toString(16).padStart(2, '0')).join(':')}`,
    });
    return r.ok;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
  console.log(JSON.stringify(await run(job)));
}
