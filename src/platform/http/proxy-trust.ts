import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';

/**
 * Which peers may tell a node the client's address, scheme and host (`X-Forwarded-For`, `-Proto`,
 * `-Host`): none (`false`), any (`true`: only when nothing but the proxy can reach the node), or
 * the proxies listed (addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`).
 */
export type TrustProxy = boolean | readonly string[];

const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

const FORWARDED = [
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'forwarded',
];

/** Parses `EDUGATE_TRUST_PROXY`: true/false, or a comma-separated list; throws naming a bad entry. */
export function parseTrustProxy(value: string | boolean | undefined): TrustProxy {
  if (value === undefined || value === false || value === '') return false;
  if (value === true) return true;
  const text = value.trim().toLowerCase();
  if (['false', '0', 'no'].includes(text)) return false;
  if (['true', '1', 'yes'].includes(text)) return true;
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
    .flatMap((e) => NAMED[e] ?? [e]);
  blockList(entries);
  return entries;
}

function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`${entry} is not an IP address or CIDR range`);
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
        throw new Error(`${entry} has an invalid prefix length`);
      }
      list.addSubnet(address, prefix, type);
    }
  }
  return list;
}

/** Whether a peer address may set the forwarded headers. */
export function trustedPeer(trust: TrustProxy): (address: string | undefined) => boolean {
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  const list = blockList(trust);
  return (address) => {
    if (!address) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
    const plain = mapped ?? address;
    return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
  };
}

/** Fastify's `trustProxy` for the same policy (proxy-addr takes the list as a string). */
export function fastifyTrustProxy(trust: TrustProxy | undefined): boolean | string {
  if (trust === undefined || typeof trust === 'boolean') return trust ?? false;
  return trust.join(',');
}

/**
 * Drops the forwarded headers a peer outside the list sent, so that handlers reading them
 * directly (oidc-provider, behind the front doors, trusts them whenever a proxy is configured)
 * never see a client's own claims. Nothing to do for `true` or `false`.
 */
export function forwardedHeaderFilter(
  trust: TrustProxy | undefined,
): ((request: IncomingMessage) => void) | undefined {
  if (trust === undefined || typeof trust === 'boolean') return undefined;
  const trusted = trustedPeer(trust);
  return (request) => {
    if (trusted(request.socket.remoteAddress)) return;
    for (const name of FORWARDED) delete request.headers[name];
  };
}
