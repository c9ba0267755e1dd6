import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runAdminCommand } from '../../cli/run.ts';
import { loadConfig } from '../../platform/config/load.ts';
import type { Config } from '../../platform/config/options.ts';
import { DEMO_PASSWORD } from '../../platform/federation/seed-data.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { bootRole } from '../../platform/runtime/boot.ts';
import { loadSecrets } from '../../platform/runtime/secrets.ts';
import { freePort } from '../../platform/testing/ports.ts';
import { type ProcessStage, postgresAndRedis, processStage } from '../../platform/testing/process-stage.ts';
import { RoleProcess } from '../../platform/testing/role-process.ts';
import { missingService } from '../../platform/testing/services.ts';
import { countyRole } from '../role.ts';
import { radiusCommand } from './cli.ts';
import { FreeradiusProcess, radclient, radiusPeersInstalled } from './peers.ts';

// FreeRADIUS (configured by `edugate radius config`) in front of `edugate start --role county` in a
// process of its own, whose PostgreSQL and Redis sit behind proxies that can fail: an outage is
// answered at once with a reject that says so, never a hung RADIUS thread, and a NAS added while
// FreeRADIUS runs is taken without a restart.

const services = await postgresAndRedis();
const peers = radiusPeersInstalled();
if (!peers)
  missingService('FreeRADIUS', 'apt-get install freeradius freeradius-rest freeradius-utils eapoltest');

describe.runIf(services && peers)('RADIUS through a county process and its outages', () => {
  let stage: ProcessStage;
  let node: RoleProcess;
  let config: Config;
  let radius: FreeradiusProcess;
  let dir: string;
  let authPort: number;
  let secret = '';

  async function cli(args: string[]) {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void lines.push(String(line)));
    const error = vi
      .spyOn(console, 'error')
      .mockImplementation((line: unknown) => void lines.push(String(line)));
    try {
      return { code: await runAdminCommand(radiusCommand, config, args), output: lines.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }
  const pap = () =>
    radclient(authPort, 'auth', secret, [
      'User-Name = "teacher01@cyc.edu.tw"',
      `User-Password = "${DEMO_PASSWORD}"`,
      'NAS-Port-Type = Virtual',
      'Calling-Station-Id = "198.51.100.7"',
      'Message-Authenticator = 0x00',
    ]);
  /** Milliseconds until PAP is answered `expected`. */
  async function until(expected: string, within = 20_000) {
    const started = performance.now();
    for (;;) {
      const r = await pap();
      if (r.answer === expected) return performance.now() - started;
      if (performance.now() - started > within)
        throw new Error(`still ${r.answer}:\n${r.output}\n${node.output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    stage = await processStage('edugate_radius_outage', { ownRedisDatabase: true });
    const key = () => randomBytes(32).toString('base64url');
    const env = {
      ...stage.env,
      EDUGATE_SECRET: key(),
      EDUGATE_NATIONAL_ID_KEYS: `k1:${key()}`,
      EDUGATE_BLIND_INDEX_KEY: key(),
      EDUGATE_ADMIN_TOKEN: key(),
      EDUGATE_CAPTCHA: 'off',
      LOG_LEVEL: 'warn',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_STATEMENT_TIMEOUT_MS: '1500',
      REDIS_CONNECT_TIMEOUT_MS: '1000',
      REDIS_COMMAND_TIMEOUT_MS: '500',
    };
    // The demo teachers, written to the database before the process starts.
    const seedConfig = loadConfig({ ...env, ...stage.directEnv });
    const seeding = await bootRole(countyRole, {
      config: seedConfig,
      secrets: loadSecrets(seedConfig, false),
      log: createLogger('silent'),
      demo: true,
      startJobs: false,
    });
    await seeding.close();
    node = await RoleProcess.start('county', env);
    await node.until(200, '/readyz', 90_000);
    config = loadConfig({
      ...env,
      EDUGATE_ADMIN_HOST: '127.0.0.1',
      EDUGATE_ADMIN_PORT: String(Number(new URL(node.adminBase).port) - 1),
    });
    // A NAS elsewhere: requests from this host are not from a client FreeRADIUS knows, yet.
    expect(
      (await cli(['nas', 'add', '--tenant', 'cyc', '--name', 'elsewhere', '--address', '192.0.2.10'])).code,
    ).toBe(0);
    dir = mkdtempSync(join(tmpdir(), 'edugate-radius-outage-'));
    authPort = await freePort();
    const written = await cli([
      'config',
      '--tenant',
      'cyc',
      '--out',
      dir,
      '--listen',
      '127.0.0.1',
      '--auth-port',
      String(authPort),
      '--acct-port',
      String(await freePort()),
    ]);
    expect(written.code, written.output).toBe(0);
    radius = new FreeradiusProcess(dir);
    await radius.start();
  }, 180_000);

  afterAll(async () => {
    await radius?.stop();
    await node?.stop();
    await stage?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('takes a NAS added while FreeRADIUS runs with `edugate radius config --reload`, without a restart', async () => {
    const added = await cli(['nas', 'add', '--tenant', 'cyc', '--name', 'here', '--address', '127.0.0.1']);
    expect(added.code, added.output).toBe(0);
    secret = (JSON.parse(added.output) as { secret: string }).secret;
    expect((await pap()).answer).toBe('none');
    const reloaded = await cli([
      'config',
      '--tenant',
      'cyc',
      '--out',
      dir,
      '--listen',
      '127.0.0.1',
      '--auth-port',
      String(authPort),
      '--reload',
    ]);
    expect(reloaded.code, reloaded.output).toBe(0);
    expect(reloaded.output).toContain('took 1 new NAS client(s) (it knows 2)');
    // Again: nothing new.
    expect(
      (
        await cli([
          'config',
          '--tenant',
          'cyc',
          '--out',
          dir,
          '--listen',
          '127.0.0.1',
          '--auth-port',
          String(authPort),
          '--reload',
        ])
      ).output,
    ).toContain('took 0 new');
    expect((await pap()).answer).toBe('Access-Accept');
  }, 60_000);

  it('rejects at once, saying why, while Redis is down, and accepts again when it returns', async () => {
    await stage.redis.refuse();
    try {
      const started = performance.now();
      const r = await pap();
      expect(r.answer, node.output).toBe('Access-Reject');
      expect(r.output).toContain('The account service is unavailable');
      // FreeRADIUS's reject_delay (1 s) included.
      expect(performance.now() - started).toBeLessThan(4000);
    } finally {
      await stage.redis.heal();
    }
    expect(await until('Access-Accept')).toBeLessThan(20_000);
    expect(node.exited).toBe(false);
  }, 60_000);

  it('rejects within the deadline while the database does not answer, and accepts again when it returns', async () => {
    stage.database.blackHole();
    try {
      const started = performance.now();
      const r = await pap();
      expect(r.answer, node.output).toBe('Access-Reject');
      expect(r.output).toContain('The account service is unavailable');
      expect(performance.now() - started).toBeLessThan(5000);
    } finally {
      await stage.database.heal();
    }
    expect(await until('Access-Accept')).toBeLessThan(20_000);
    expect(node.exited).toBe(false);
  }, 60_000);
});
