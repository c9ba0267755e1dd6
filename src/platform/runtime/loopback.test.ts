// Demo-only pages (the landing page and mailbox, the Google stand-in and its console) serve this
// machine only: bound to an address other machines reach, they refuse to start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemo } from '../../demo/launcher.ts';
import { googleMigrations } from '../../workspace/emulator/google/migrations.ts';
import { googleRole } from '../../workspace/emulator/google/role.ts';
import { loadConfig } from '../config/load.ts';
import { createLogger } from '../observability/logger.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { freeAdminPortBase, freePort } from '../testing/ports.ts';
import { bootRole } from './boot.ts';
import { isLoopback, listenRole } from './roles.ts';
import { loadSecrets } from './secrets.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'edugate-loopback-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('demo-only pages listen on loopback only', () => {
  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.8.0.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.5', 'edugate.example.org', '128.0.0.1'])
      expect(isLoopback(host), host).toBe(false);
  });

  it('the demo refuses to start on a non-loopback address, with a clear error, before it opens anything', async () => {
    const landingPort = await freePort();
    const config = loadConfig({}, { dataDir, host: '0.0.0.0', landingPort, logLevel: 'silent' });
    await expect(startDemo({ config, log: createLogger('silent') })).rejects.toThrow(
      /The demo \(landing page and mailbox\) is for demos and tests on this machine only and will not listen on 0\.0\.0\.0; bind it to 127\.0\.0\.1 \(EDUGATE_HOST\)/,
    );
    // Nothing was left listening on the landing port.
    await expect(fetch(`http://127.0.0.1:${landingPort}/`)).rejects.toThrow();
  });

  it('the Google stand-in (and its console) refuses a non-loopback address; on loopback it serves', async () => {
    const [port, adminPort] = await Promise.all([freePort(), freeAdminPortBase()]);
    const exposed = loadConfig(
      {},
      { dataDir, host: '0.0.0.0', googlePort: port, adminPort, logLevel: 'silent' },
    );
    const running = await bootRole(googleRole, {
      config: exposed,
      secrets: loadSecrets(exposed, false),
      log: createLogger('silent'),
      demo: false,
      startJobs: false,
      database: await embeddedTestDatabase.open(googleMigrations),
    });
    try {
      await expect(listenRole(running, exposed)).rejects.toThrow(
        /Google stand-in is for demos and tests on this machine only and will not listen on 0\.0\.0\.0/,
      );
      await expect(fetch(`http://127.0.0.1:${port}/admin/console`)).rejects.toThrow();
      await listenRole(running, { ...exposed, host: '127.0.0.1' });
      expect((await fetch(`http://127.0.0.1:${port}/admin/console`)).status).toBe(200);
    } finally {
      await running.close();
    }
  });
});
