import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { type CountyTestApp, startCountyTestApp, TestClient } from '../testing.ts';

describe('a request carrying a revoked session', () => {
  let t: CountyTestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    t = await startCountyTestApp(embeddedTestDatabase, {}, { log: createLogger('warn', stream) });
  });
  afterAll(async () => t?.close());

  it('is sent to the login page once, with nothing sent twice', async () => {
    const c = new TestClient(t.app, '198.51.100.30');
    await c.get('/cyc/login');
    expect((await c.post('/cyc/login', { username: 'teacher01', password: DEMO_PASSWORD })).status).toBe(303);
    await t.county.db.updateTable('county_account_sessions').set({ revoked_at: new Date() }).execute();
    for (const url of ['/cyc/account', '/cyc/account/sessions', '/cyc/profile/check', '/cyc/manage/units']) {
      const r = await c.get(url);
      expect(r.status, url).toBe(303);
      expect(String(r.headers.location), url).toContain('/cyc/login?next=');
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(lines.filter((l) => /already sent|HEADERS_SENT/.test(l))).toEqual([]);
  });
});
