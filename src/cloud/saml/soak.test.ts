import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../../platform/testing/services.ts';
import { SoakServer } from '../testing/soak-process.ts';

/**
 * Anonymous SAML traffic must not make the cloud grow: thousands of AuthnRequests from Google's
 * issuer (what anyone can send) are sent over HTTP to a cloud in a process of its own, whose
 * memory after garbage collection must stay flat. Each comes from one of many loopback addresses,
 * staying under the per-address rate limit, so the limiter's own bookkeeping is part of the soak.
 */
const REQUESTS = 3_000;
const CHECK_EVERY = 250;
const CONCURRENCY = 16;
/** RSS may grow this much over the whole run (caches warming up, allocator slack). */
const MAX_GROWTH = 48 * 1024 * 1024;

function authnRequest(): string {
  const xml = `<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_${randomBytes(16).toString('hex')}" Version="2.0" IssueInstant="${new Date().toISOString()}" ProtocolBinding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" AssertionConsumerServiceURL="http://google.test/a/go.edu.tw/acs"><saml:Issuer>google.com/a/go.edu.tw</saml:Issuer><samlp:NameIDPolicy AllowCreate="true" Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"/></samlp:AuthnRequest>`;
  return encodeURIComponent(deflateRawSync(xml).toString('base64'));
}

/** One AuthnRequest (HTTP-Redirect binding) from the loopback address `from`; the status. */
function send(url: string, from: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${url}/saml/sso?SAMLRequest=${authnRequest()}&RelayState=soak`,
      { agent, localAddress: from },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
  });
}

const kinds = ['pglite', ...((await postgresAvailable()) || process.env.CI ? ['postgres'] : [])];

describe.each(kinds)('SAML SSO soak (%s)', (kind) => {
  let server: SoakServer;
  let url: string;

  beforeAll(async () => {
    server = new SoakServer(kind);
    url = await server.url();
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`answers ${REQUESTS} anonymous AuthnRequests with flat memory`, { timeout: 300_000 }, async () => {
    // Ten requests from each address, well under its budget: every one reaches the schema check.
    const addresses = Array.from(
      { length: REQUESTS / 10 },
      (_, i) => `127.1.${Math.floor(i / 200)}.${(i % 200) + 1}`,
    );
    const agents = new Map(addresses.map((a) => [a, new http.Agent({ keepAlive: true, maxSockets: 1 })]));
    let sent = 0;
    const statuses = new Map<number, number>();
    const batch = async (count: number) => {
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next++;
          const from = addresses[sent++ % addresses.length] as string;
          const status = await send(url, from, agents.get(from) as http.Agent);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    };

    // Warm-up: caches, prepared statements, JIT, and the heap grown to the size this load keeps (a
    // process that loaded fewer modules at start grows it here, once).
    await batch(2 * CHECK_EVERY);
    const start = await server.memory();
    const growth: number[] = [];
    while (sent < REQUESTS) {
      await batch(CHECK_EVERY);
      const now = await server.memory();
      growth.push(now.rss - start.rss);
      // Stop as soon as the bound is broken: a leak of megabytes per request would fill the machine.
      if (now.rss - start.rss > MAX_GROWTH) break;
    }
    for (const agent of agents.values()) agent.destroy();

    const mb = growth.map((g) => (g / 1024 / 1024).toFixed(1));
    expect(
      Math.max(...growth),
      `RSS growth in MB every ${CHECK_EVERY} requests: ${mb.join(', ')}`,
    ).toBeLessThan(MAX_GROWTH);
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    expect(Object.fromEntries(statuses)).toEqual({ 303: sent });
  });
});
