// Every route of every role, with a NUL byte in each place a parameter can be: the path, the query
// and the form body. Each answers 400 with a clear message, never 500 (PostgreSQL refuses NUL in
// text, and a handler that passes one on fails).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RADIUS_API_USER, radiusApiPassword } from '../../county/radius/credential.ts';
import { startTestDemo, type TestDemo } from '../testing/demo-harness.ts';

/** The routes of an app as method + path, read from Fastify's route tree. */
function routesOf(app: FastifyInstance): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)(?:[├└]── )(.+?)(?: \(([^)]+)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    stack.push(match[2] ?? '');
    const path = stack.join('');
    for (const method of (match[3] ?? '').split(', ').filter(Boolean)) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      routes.push({ method, path });
    }
  }
  return routes;
}

/** The route's path with a NUL byte in each of its parameters (and as its wildcard). */
const withNulPath = (path: string) => path.replace(/:[A-Za-z_]+/g, 'x%00y').replace(/\*$/, 'x%00y');
const filled = (path: string) => path.replace(/:[A-Za-z_]+/g, 'x').replace(/\*$/, 'x');

const FIELDS = ['username', 'password', 'name', 'email', 'identifier', 'token', 'next', 'return_to', 'code'];

describe('a NUL byte in any parameter', () => {
  let demo: TestDemo;
  beforeAll(async () => {
    demo = await startTestDemo({ captcha: 'off', logLevel: 'silent' });
  }, 400_000);
  afterAll(async () => demo?.close());

  it('gets 400 with a localized message on every route of every role, never 500', async () => {
    const failures: string[] = [];
    let tried = 0;
    const apps: Array<[string, FastifyInstance, string, string]> = [
      ...[...demo.roles].map(
        ([name, role]) =>
          [name, role.app, role.ctx.secrets.adminToken, role.ctx.secrets.secret] as [
            string,
            FastifyInstance,
            string,
            string,
          ],
      ),
      ['landing', demo.landing, '', ''],
    ];
    for (const [role, app, adminToken, installationSecret] of apps) {
      // The RADIUS API answers only FreeRADIUS's own credential, not the admin token.
      const radiusServer = `Basic ${Buffer.from(`${RADIUS_API_USER}:${radiusApiPassword(installationSecret)}`).toString('base64')}`;
      for (const { method, path } of routesOf(app)) {
        const attempts: Array<{ where: string; url: string; payload?: string }> = [
          { where: 'query', url: `${filled(path)}?${FIELDS.map((f) => `${f}=a%00b`).join('&')}` },
        ];
        if (path.includes(':') || path.endsWith('*'))
          attempts.push({ where: 'path', url: withNulPath(path) });
        if (method !== 'GET') {
          attempts.push({
            where: 'form',
            url: filled(path),
            payload: FIELDS.map((f) => `${f}=a%00b`).join('&'),
          });
        }
        for (const attempt of attempts) {
          tried++;
          const admin = path.startsWith('/admin/api/');
          const radius = path.startsWith('/admin/api/radius/');
          const r = await app.inject({
            method: method as 'GET',
            url: attempt.url,
            headers: {
              accept: 'text/html',
              ...(admin ? { authorization: radius ? radiusServer : `Bearer ${adminToken}` } : {}),
              ...(attempt.payload ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
            },
            ...(attempt.payload ? { payload: attempt.payload } : {}),
          });
          // The Google stand-in's Directory API checks its bearer token before it reads a body:
          // without one, a form never gets that far.
          const refusedFirst =
            attempt.where === 'form' && path.startsWith('/admin/directory/') && r.statusCode === 401;
          // Pages explain in the visitor's language; protocol endpoints answer in their own format.
          const html = String(r.headers['content-type'] ?? '').startsWith('text/html');
          const explained = !html || r.body.includes('不允許的控制字元');
          if (!refusedFirst && (r.statusCode !== 400 || !explained)) {
            failures.push(`${role} ${method} ${path} (${attempt.where}): ${r.statusCode}`);
          }
        }
      }
    }
    expect(tried).toBeGreaterThan(150);
    expect(failures).toEqual([]);
  }, 300_000);

  it('answers API clients in JSON, in English when asked', async () => {
    const cloud = demo.roles.get('cloud')?.app as FastifyInstance;
    const r = await cloud.inject({
      method: 'GET',
      url: '/login?return_to=%00',
      headers: { accept: 'application/json', 'accept-language': 'en' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toEqual({
      error: 'nul_byte',
      message:
        'The submitted data contains a control character (NUL) that is not allowed. Please check it and try again.',
    });
  });
});
