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
  return { from: 10000, to: ephemeralFrom - 1 };
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
    if (!BROWSER_REFUSED.has(port) && (await listenable(port))) return port;
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
    if (ports.some((port) => BROWSER_REFUSED.has(port))) continue;
    if ((await Promise.all(ports.map(listenable))).every(Boolean)) return base;
  }
  throw new Error(`no four free ports in a row found between ${from} and ${to}`);
}
