import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Where test servers listen: below the kernel's ephemeral range, from which outgoing connections
 * (HTTP clients, database pools) take their local ports. A port the kernel handed out for
 * listening could be taken by such a connection between the check and the test's own `listen`.
 */
function portRange(): { from: number; to: number } {
  let ephemeralFrom = 32768;
  try {
    const [from] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    if (Number(from) > 12000) ephemeralFrom = Number(from);
  } catch {
    // Not Linux: keep the IANA default start of the dynamic range.
  }
  const from = 10000;
  const to = ephemeralFrom - 1;
  // Test files run in parallel worker processes (VITEST_POOL_ID 1, 2, …): each draws from its own
  // slice, so two workers never pick the same port between one's check and its `listen`.
  const worker = Number(process.env.VITEST_POOL_ID ?? 0);
  if (!Number.isInteger(worker) || worker < 1) return { from, to };
  const width = Math.floor((to - from + 1) / WORKER_SLICES);
  const slice = (worker - 1) % WORKER_SLICES;
  return { from: from + slice * width, to: from + (slice + 1) * width - 1 };
}

const WORKER_SLICES = 8;

/**
 * Ports this process has handed out already: a test asks for several ports before it listens on
 * any, and must not be given the same one twice.
 */
const handedOut = new Set<number>();

function take(ports: number[]): void {
  for (const port of ports) handedOut.add(port);
}

/** Ports in that range that browsers refuse to open (Chromium: ERR_UNSAFE_PORT). */
const BROWSER_REFUSED = new Set([10080]);

function listenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port that is free right now on 127.0.0.1, outside the range outgoing connections use, and
 * one a browser test may open.
 */
export async function freePort(): Promise<number> {
  const { from, to } = portRange();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (BROWSER_REFUSED.has(port) || handedOut.has(port)) continue;
    if (await listenable(port)) {
      if (handedOut.has(port)) continue;
      take([port]);
      return port;
    }
  }
  throw new Error(`no free port found between ${from} and ${to}`);
}

/**
 * A value for `EDUGATE_ADMIN_PORT` whose next four ports (the admin listeners of the county, cloud,
 * workspace and Google stand-in roles) are free right now, in the same range as `freePort`.
 */
export async function freeAdminPortBase(): Promise<number> {
  const { from, to } = portRange();
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = from + Math.floor(Math.random() * (to - from - 4));
    const ports = [1, 2, 3, 4].map((offset) => base + offset);
    if (ports.some((port) => BROWSER_REFUSED.has(port) || handedOut.has(port))) continue;
    if ((await Promise.all(ports.map(listenable))).every(Boolean)) {
      if (ports.some((port) => handedOut.has(port))) continue;
      take(ports);
      return base;
    }
  }
  throw new Error(`no four free ports in a row found between ${from} and ${to}`);
}
