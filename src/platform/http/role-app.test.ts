import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { AppError } from '../errors/app-error.ts';
import { createLogger } from '../observability/logger.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { html } from '../views/html.ts';
import { page } from '../views/layout.ts';
import { adminApi } from './admin-api.ts';
import { createRoleApp, sendPage } from './role-app.ts';
import { DatabaseSessionStore } from './session-store.ts';
import { sessions } from './sessions.ts';

let app: FastifyInstance;
let database: Database<PlatformTables>;

beforeAll(async () => {
  database = await embeddedTestDatabase.open<PlatformTables>();
  app = await createRoleApp({
    role: 'test',
    logger: createLogger('silent'),
    readiness: [async () => void (await database.db.selectFrom('sessions').select('id').limit(1).execute())],
  });
  await app.register(
    async (tenant) => {
      await tenant.register(sessions, {
        store: new DatabaseSessionStore(database.db),
        cookieName: 'edugate_test_cyc',
        cookiePath: '/cyc',
        secure: false,
      });
      tenant.get('/form', async (request, reply) =>
        sendPage(
          reply,
          page(request, {
            title: 'form',
            main: html`<form method="post"><input type="hidden" name="_csrf" value="${request.session.csrfToken()}"><input name="name"></form>`,
          }),
        ),
      );
      tenant.post('/form', async (request) => {
        const body = request.body as { name: string };
        request.session.set('name', body.name);
        return { saved: body.name };
      });
      tenant.get('/whoami', async (request) => ({ name: request.session.get('name') ?? null }));
      tenant.get('/boom', async () => {
        throw new Error('secret internals');
      });
      tenant.get('/busy', async () => {
        throw new AppError('overloaded', 503, { seconds: 3 }, { 'retry-after': '3' });
      });
    },
    { prefix: '/cyc' },
  );
});

afterAll(async () => {
  await app.close();
  await database.close();
});

function cookieOf(response: { headers: Record<string, unknown> }): string {
  const set = response.headers['set-cookie'];
  const list = Array.isArray(set) ? set : [String(set)];
  return list.map((c: string) => c.split(';')[0]).join('; ');
}

describe('role app', () => {
  it('answers health, readiness and metrics', async () => {
    expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok', role: 'test' });
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    await app.inject('/cyc/whoami');
    const metrics = await app.inject('/metrics');
    expect(metrics.body).toContain('edugate_http_request_duration_seconds');
    expect(metrics.body).toContain('role="test"');
  });

  it('refuses a form post without the session CSRF token, accepts it with the token', async () => {
    const form = await app.inject('/cyc/form');
    const cookie = cookieOf(form);
    expect(cookie).toMatch(/^edugate_test_cyc=/);
    expect(String(form.headers['set-cookie'])).toContain('Path=/cyc');
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
    expect(token).toBeTruthy();

    const forged = await app.inject({
      method: 'POST',
      url: '/cyc/form',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'name=mallory',
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.body).toContain('表單已過期或來源不明');

    const ok = await app.inject({
      method: 'POST',
      url: '/cyc/form',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=alice&_csrf=${encodeURIComponent(token!)}`,
    });
    expect(ok.json()).toEqual({ saved: 'alice' });
    expect((await app.inject({ url: '/cyc/whoami', headers: { cookie } })).json()).toEqual({ name: 'alice' });
  });

  it('shows a localized error page without internals, and JSON to API clients', async () => {
    const zh = await app.inject({ url: '/cyc/boom', headers: { accept: 'text/html' } });
    expect(zh.statusCode).toBe(500);
    expect(zh.body).toContain('系統發生錯誤');
    expect(zh.body).not.toContain('secret internals');
    const en = await app.inject({ url: '/cyc/boom?lang=en', headers: { accept: 'text/html' } });
    expect(en.body).toContain('Something went wrong on our side');
    const json = await app.inject({ url: '/cyc/busy', headers: { accept: 'application/json' } });
    expect(json.statusCode).toBe(503);
    expect(json.headers['retry-after']).toBe('3');
    expect(json.json()).toMatchObject({ error: 'overloaded' });
  });

  it('sends security headers', async () => {
    const response = await app.inject('/cyc/form');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBeDefined();
  });

  it('answers unknown pages with a 404 page in the chosen language', async () => {
    const response = await app.inject({
      url: '/nowhere',
      headers: { 'accept-language': 'en', accept: 'text/html' },
    });
    expect(response.statusCode).toBe(404);
    expect(response.body).toContain('does not exist');
  });
});

describe('front doors', () => {
  it('serve their requests over HTTP ahead of Fastify, with the security headers and metrics; others go to Fastify', async () => {
    const front = await createRoleApp({ role: 'front', logger: createLogger('silent') });
    const seen: string[] = [];
    front.addFrontDoor('/door/*', (request) => {
      if (!request.url?.startsWith('/door/')) return undefined;
      return async (_request, response) => {
        seen.push('door');
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ served: 'door' }));
      };
    });
    front.addFrontDoor('/broken/*', (request) =>
      request.url?.startsWith('/broken/')
        ? async () => {
            throw new Error('boom');
          }
        : undefined,
    );
    // A handler that settles before its answer is ended: the answer is timed when it ends.
    front.addFrontDoor('/later/*', (request) =>
      request.url?.startsWith('/later/')
        ? async (_request, response) => {
            setTimeout(() => {
              response.writeHead(201, { 'content-type': 'application/json' });
              response.end('{}');
            }, 20);
          }
        : undefined,
    );
    front.get('/door/fastify', async () => ({ served: 'fastify' }));
    front.get('/other', async () => ({ served: 'fastify' }));
    await front.listen({ port: 0, host: '127.0.0.1' });
    const admin = await front.listenAdmin({ port: 0, host: '127.0.0.1' });
    try {
      const address = front.server.address() as { port: number };
      const base = `http://127.0.0.1:${address.port}`;
      const door = await fetch(`${base}/door/fastify`);
      expect(await door.json()).toEqual({ served: 'door' });
      expect(door.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(door.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await (await fetch(`${base}/other`)).json()).toEqual({ served: 'fastify' });
      expect((await fetch(`${base}/later/x`)).status).toBe(201);
      const broken = await fetch(`${base}/broken/x`);
      expect(broken.status).toBe(500);
      expect(await broken.json()).toEqual({ error: 'server_error' });
      // inject() does not pass the front door: the Fastify route answers.
      expect((await front.inject({ url: '/door/fastify' })).json()).toEqual({ served: 'fastify' });
      expect(seen).toEqual(['door']);
      const metrics = await (await fetch(`http://127.0.0.1:${admin.port}/metrics`)).text();
      expect(metrics).toMatch(/route="\/door\/\*",status="200"/);
      expect(metrics).toMatch(/route="\/broken\/\*",status="500"/);
      expect(metrics).toMatch(
        /_bucket\{le="0\.005",role="front",method="GET",route="\/later\/\*",status="201"\} 0/,
      );
      expect(metrics).toMatch(/_count\{role="front",method="GET",route="\/later\/\*",status="201"\} 1/);
    } finally {
      await front.close();
    }
  });

  it('give answers that are never a page the short API security headers, over HTTP and through Fastify', async () => {
    const front = await createRoleApp({ role: 'front', logger: createLogger('silent'), secureCookies: true });
    const json = async (_request: unknown, response: import('node:http').ServerResponse) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{}');
    };
    front.addFrontDoor('/api/*', (request) => (request.url === '/api/door' ? json : undefined), 'api');
    front.get('/api/route', { config: { answers: 'api' } }, async () => ({}));
    front.get('/page', async () => ({}));
    await front.listen({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(front.server.address() as { port: number }).port}`;
      for (const path of ['/api/door', '/api/route']) {
        const { headers } = await fetch(`${base}${path}`);
        expect(headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
        expect(headers.get('x-content-type-options')).toBe('nosniff');
        expect(headers.get('x-frame-options')).toBe('DENY');
        expect(headers.get('referrer-policy')).toBe('no-referrer');
        expect(headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
        // Only a page's headers are left out.
        expect(headers.get('x-dns-prefetch-control')).toBeNull();
        expect(headers.get('origin-agent-cluster')).toBeNull();
      }
      const page = await fetch(`${base}/page`);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(page.headers.get('x-dns-prefetch-control')).toBe('off');
      expect(page.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    } finally {
      await front.close();
    }
  });

  it('a delegate hands the requests it picks to another role app, over HTTP and through inject(): its doors, hooks and routes, this app’s metrics', async () => {
    const front = await createRoleApp({ role: 'front', logger: createLogger('silent') });
    const late = await createRoleApp({
      role: 'front',
      logger: createLogger('silent'),
      metrics: front.metrics,
    });
    late.addFrontDoor('/late/door', (request) =>
      request.url === '/late/door'
        ? async (_request, response) => {
            response.writeHead(200, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ served: 'late door' }));
          }
        : undefined,
    );
    late.get('/late/page', async (request) => ({ served: 'late', locale: request.locale }));
    late.post('/late/echo', async (request) => ({ echoed: request.body }));
    await late.ready();
    front.addDelegate((request) => (request.url?.startsWith('/late/') ? late : undefined));
    front.get('/early', async () => ({ served: 'front' }));
    await front.listen({ port: 0, host: '127.0.0.1' });
    const admin = await front.listenAdmin({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(front.server.address() as { port: number }).port}`;
      const delegated = await fetch(`${base}/late/page?lang=en`);
      expect(await delegated.json()).toEqual({ served: 'late', locale: 'en' });
      expect(delegated.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await (await fetch(`${base}/late/door`)).json()).toEqual({ served: 'late door' });
      expect((await fetch(`${base}/late/none`)).status).toBe(404);
      expect(await (await fetch(`${base}/early`)).json()).toEqual({ served: 'front' });
      const echoed = await fetch(`${base}/late/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ a: 1 }),
      });
      expect(await echoed.json()).toEqual({ echoed: { a: 1 } });

      // The same through inject(): the delegate's routes, front doors and body parsing answer.
      const injected = await front.inject({ url: '/late/page?lang=en' });
      expect(injected.json()).toEqual({ served: 'late', locale: 'en' });
      expect(injected.headers['x-content-type-options']).toBe('nosniff');
      expect((await front.inject({ url: '/late/door' })).json()).toEqual({ served: 'late door' });
      expect((await front.inject({ url: '/late/none' })).statusCode).toBe(404);
      expect((await front.inject({ method: 'POST', url: '/late/echo', payload: { b: 2 } })).json()).toEqual({
        echoed: { b: 2 },
      });
      expect((await front.inject({ url: '/early' })).json()).toEqual({ served: 'front' });

      const metrics = await (await fetch(`http://127.0.0.1:${admin.port}/metrics`)).text();
      expect(metrics).toMatch(/route="\/late\/page",status="200"/);
      expect(metrics).toMatch(/route="\/early",status="200"/);
      // Counted once, by the delegate's app: not also as an unmatched request of this one.
      expect(metrics).not.toMatch(/route="unmatched",status="200"/);
    } finally {
      await front.close();
      await late.close();
    }
  });
});

describe('closing', () => {
  /** An app whose POST /slow waits for `release()`, its reply then saved by an async onSend hook. */
  async function slowApp(drainMs: number) {
    const lines: string[] = [];
    const logger = createLogger(
      'warn',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const app = await createRoleApp({ role: 'slow', logger, drainMs });
    const events: string[] = [];
    const started = Promise.withResolvers<ServerResponse>();
    const gate = Promise.withResolvers<void>();
    await app.register(async (scope) => {
      scope.addHook('onSend', async (_request, _reply, payload) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push('saved');
        return payload;
      });
      scope.post('/slow', async (_request, reply) => {
        started.resolve(reply.raw);
        await gate.promise;
        events.push('handled');
        return { done: true };
      });
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    /** Posts, and hangs up once the handler runs (resolves when the server saw the connection close). */
    const abandon = async () => {
      const client = new AbortController();
      const posted = fetch(`${base}/slow`, { method: 'POST', body: 'a=1', signal: client.signal });
      const response = await started.promise;
      client.abort();
      await expect(posted).rejects.toThrow();
      if (!response.destroyed) await once(response, 'close');
    };
    return { app, lines, events, abandon, release: () => gate.resolve() };
  }

  it('waits for the handlers of requests whose client left, and their last hooks, before it closes', async () => {
    const slow = await slowApp(5_000);
    await slow.abandon();
    const closing = slow.app.close().then(() => slow.events.push('closed'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(slow.events).toEqual([]);
    slow.release();
    await closing;
    expect(slow.events).toEqual(['handled', 'saved', 'closed']);
    expect(slow.lines).toEqual([]);
  });

  it('waits at most drainMs, then closes and says how many requests were still in flight', async () => {
    const slow = await slowApp(100);
    await slow.abandon();
    const started = performance.now();
    await slow.app.close();
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(slow.events).toEqual([]);
    expect(slow.lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { level: 40, requests: 1, msg: 'closing with requests still in flight' },
    ]);
    slow.release();
  });
});

describe('admin listener', () => {
  it('serves the metrics and the admin API on the admin listener only: the public port answers 404 for them', async () => {
    const app = await createRoleApp({ role: 'ops', logger: createLogger('silent') });
    await adminApi(app, 'an-admin-token-of-32-characters!', (api) => {
      api.get('/things', async () => ({ things: [] }));
    });
    app.get('/page', async () => ({ served: 'page' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const admin = await app.listenAdmin({ port: 0, host: '127.0.0.1' });
    try {
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const adminBase = `http://127.0.0.1:${admin.port}`;
      const bearer = { authorization: 'Bearer an-admin-token-of-32-characters!' };
      for (const path of ['/metrics', '/metrics/', '/admin/api/things', '/%6detrics']) {
        const response = await fetch(`${base}${path}`, { headers: { ...bearer, accept: 'text/html' } });
        expect(response.status, path).toBe(404);
        expect(await response.text(), path).not.toContain('edugate_http_request_duration_seconds');
      }
      expect((await fetch(`${base}/page`)).status).toBe(200);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);

      expect(await (await fetch(`${adminBase}/metrics`)).text()).toContain('role="ops"');
      expect(await (await fetch(`${adminBase}/admin/api/things`, { headers: bearer })).json()).toEqual({
        things: [],
      });
      // The bearer token still guards the admin API behind the admin listener.
      expect((await fetch(`${adminBase}/admin/api/things`)).status).toBe(401);
      expect((await fetch(`${adminBase}/healthz`)).status).toBe(200);
      // The admin listener serves nothing else.
      expect((await fetch(`${adminBase}/page`)).status).toBe(404);
      // inject() reaches the admin routes (the CLI without a running server).
      expect((await app.inject({ url: '/admin/api/things', headers: bearer })).statusCode).toBe(200);
      expect((await app.inject('/metrics')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
    // Closed with the app.
    await expect(fetch(`http://127.0.0.1:${admin.port}/metrics`)).rejects.toThrow();
  });
});
