// The CLI's admin calls: over HTTP to a running role's admin listener, or, when none answers,
// through Fastify's inject in a role started in this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config/load.ts';
import { freeAdminPortBase, freePort } from '../platform/testing/ports.ts';
import { callAdmin } from './admin-call.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'edugate-admin-call-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('callAdmin', () => {
  it('answers through inject when no admin listener runs', async () => {
    const config = loadConfig(
      {},
      { dataDir, countyPort: await freePort(), adminPort: await freeAdminPortBase(), logLevel: 'silent' },
    );
    const response = await callAdmin(config, 'county', 'GET', '/admin/api/county/tenants');
    // A fresh installation: the route answered, in this process, with no county yet.
    expect(response).toEqual({ status: 200, body: [] });
  }, 300_000);
});
