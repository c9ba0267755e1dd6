import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load.ts';
import { createLogger } from '../observability/logger.ts';
import type { TrustProxy } from './proxy-trust.ts';
import { createRoleApp } from './role-app.ts';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A node listening on loopback, asked by a client that claims to come from 203.0.113.7 over https. */
async function askWithForwardedHeaders(trustProxy: TrustProxy) {
  app = await createRoleApp({ role: 'test', logger: createLogger('silent'), trustProxy });
  app.get('/whoami', async (request) => ({ ip: request.ip, protocol: request.protocol, host: request.host }));
  app.addFrontDoor('/door', (request) =>
    request.url === '/door'
      ? async (req, res) => {
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify({ forwardedFor: req.headers['x-forwarded-for'] ?? null }));
        }
      : undefined,
  );
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const headers = {
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-proto': 'https',
    'x-forwarded-host': 'sso.example.tw',
  };
  const fastify = (await (await fetch(`${address}/whoami`, { headers })).json()) as {
    ip: string;
    protocol: string;
    host: string;
  };
  const door = (await (await fetch(`${address}/door`, { headers })).json()) as Record<string, string | null>;
  return { ...fastify, doorSaw: door.forwardedFor };
}

describe('EDUGATE_TRUST_PROXY', () => {
  it('accepts a list of proxy addresses and ranges and refuses what is not one', () => {
    expect(loadConfig({ EDUGATE_TRUST_PROXY: '10.0.0.5, 10.0.1.0/24' }).trustProxy).toEqual([
      '10.0.0.5',
      '10.0.1.0/24',
    ]);
    expect(loadConfig({ EDUGATE_TRUST_PROXY: 'loopback' }).trustProxy).toEqual(['127.0.0.1/8', '::1/128']);
    expect(loadConfig({ EDUGATE_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(() => loadConfig({ EDUGATE_TRUST_PROXY: 'proxy.example' })).toThrow(ConfigError);
    expect(() => loadConfig({ EDUGATE_TRUST_PROXY: '10.0.0.0/40' })).toThrow(/EDUGATE_TRUST_PROXY/);
  });

  it('ignores the forwarded headers of a peer that is not a listed proxy, front doors included', async () => {
    const seen = await askWithForwardedHeaders(['10.0.0.5']);
    expect(seen.ip).toBe('127.0.0.1');
    expect(seen.protocol).toBe('http');
    expect(seen.host).toMatch(/^127\.0\.0\.1:/);
    expect(seen.doorSaw).toBeNull();
  });

  it('believes a listed proxy: client address, https and host', async () => {
    const seen = await askWithForwardedHeaders(['127.0.0.1']);
    expect(seen).toMatchObject({
      ip: '203.0.113.7',
      protocol: 'https',
      host: 'sso.example.tw',
      doorSaw: '203.0.113.7',
    });
  });

  it('believes nobody by default', async () => {
    const seen = await askWithForwardedHeaders(false);
    expect(seen.ip).toBe('127.0.0.1');
    expect(seen.protocol).toBe('http');
  });
});
