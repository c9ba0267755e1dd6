// Closing the county role while a login is still being checked for a browser that already left: the
// HTTP server has no connection left to wait for, but the login goes on (its hash, then its audit
// record, sign-in and session writes). Closing waits for it before the database closes.
import { once } from 'node:events';
import { type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { DEMO_PASSWORD } from '../platform/federation/seed-data.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { embeddedTestDatabase } from '../platform/testing/databases.ts';
import { startCountyTestApp } from './testing.ts';

/**
 * One request on a connection of its own, closed after the answer: no idle keep-alive connection
 * then holds the server's close, so only the requests in flight can.
 */
function call(url: string, init: { method?: string; headers?: OutgoingHttpHeaders; body?: string } = {}) {
  const sent = request(url, {
    method: init.method ?? 'GET',
    headers: { connection: 'close', ...init.headers },
    agent: false,
  });
  const answered = new Promise<{ headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
    sent.on('error', reject);
    sent.on('response', async (response) => {
      let body = '';
      for await (const chunk of response) body += String(chunk);
      resolve({ headers: response.headers, body });
    });
  });
  sent.end(init.body);
  return { sent, answered };
}

describe('closing the county role', () => {
  it('waits for a login whose browser left while its password was hashed: nothing logged, close completes', async () => {
    const lines: string[] = [];
    const log = createLogger(
      'warn',
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const t = await startCountyTestApp(embeddedTestDatabase, {}, { listen: true, log });
    const base = `http://127.0.0.1:${t.config.countyPort}`;
    const form = await call(`${base}/cyc/login`).answered;
    const cookie = (form.headers['set-cookie'] ?? []).map((line) => line.split(';')[0]).join('; ');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';

    // The hash is on its thread when the browser leaves (a running hash is not skipped): it ends
    // when the test says so.
    const events: string[] = [];
    const hashing = Promise.withResolvers<AbortSignal | undefined>();
    const hashed = Promise.withResolvers<void>();
    const verify = t.county.hasher.verify.bind(t.county.hasher);
    vi.spyOn(t.county.hasher, 'verify').mockImplementation(async (stored, password, options) => {
      hashing.resolve(options?.signal);
      await hashed.promise;
      const result = await verify(stored, password);
      events.push(result.ok ? 'verified' : 'refused');
      return result;
    });

    const login = call(`${base}/cyc/login`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: String(new URLSearchParams({ _csrf: csrf, username: 'cycadmin', password: DEMO_PASSWORD })),
    });
    const gone = await hashing.promise;
    login.sent.destroy();
    await expect(login.answered).rejects.toThrow();
    // The server saw the browser leave.
    if (gone && !gone.aborted) await once(gone, 'abort');

    const closing = t.close().then(() => events.push('closed'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(events).toEqual([]);
    hashed.resolve();
    await closing;
    expect(events).toEqual(['verified', 'closed']);
    // Neither "driver has already been destroyed" nor a close that gave up waiting.
    expect(lines).toEqual([]);
  });
});
