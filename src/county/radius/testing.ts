// Test and bench support: the county role and FreeRADIUS as operators set them up (`edugate start
// --role county`, `edugate radius nas add`, `edugate radius config`, `freeradius -f -d DIR`), for the
// RADIUS suites and `npm run bench -- radius` alike.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminCommand } from '../../cli/run.ts';
import { loadConfig } from '../../platform/config/load.ts';
import type { Config } from '../../platform/config/options.ts';
import { freePort } from '../../platform/testing/ports.ts';
import { type ProcessStage, processStage } from '../../platform/testing/process-stage.ts';
import { RoleProcess } from '../../platform/testing/role-process.ts';
import type { County } from '../services.ts';
import { countyNodeEnv, seedCountyDatabase } from '../testing/two-nodes.ts';
import { radiusCommand } from './cli.ts';
import { FreeradiusProcess } from './peers.ts';

/** Runs `edugate radius …` as an operator would, against the county role `config` reaches. */
export async function radiusCli(config: Config, args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (line: unknown) => void lines.push(String(line));
  console.error = (line: unknown) => void lines.push(String(line));
  try {
    return { code: await runAdminCommand(radiusCommand, config, args), output: lines.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** `edugate radius nas add`: the new NAS's shared secret (throws with the output when refused). */
export async function addNas(config: Config, name: string, address: string): Promise<string> {
  const added = await radiusCli(config, [
    'nas',
    'add',
    '--tenant',
    'cyc',
    '--name',
    name,
    '--address',
    address,
  ]);
  if (added.code !== 0) throw new Error(`edugate radius nas add ${name}: ${added.output}`);
  return (JSON.parse(added.output) as { secret: string }).secret;
}

/**
 * FreeRADIUS on a directory `edugate radius config` wrote for the county cyc, listening on
 * 127.0.0.1 on free ports and asking the county role `config` reaches.
 */
export class RadiusFront {
  readonly config: Config;
  readonly dir: string;
  readonly authPort: number;
  readonly acctPort: number;
  readonly freeradius: FreeradiusProcess;

  private constructor(config: Config, dir: string, authPort: number, acctPort: number) {
    this.config = config;
    this.dir = dir;
    this.authPort = authPort;
    this.acctPort = acctPort;
    this.freeradius = new FreeradiusProcess(dir);
  }

  /** Writes the configuration (`more`: further options of `edugate radius config`) and starts FreeRADIUS. */
  static async start(config: Config, more: string[] = []): Promise<RadiusFront> {
    const front = new RadiusFront(
      config,
      mkdtempSync(join(tmpdir(), 'edugate-freeradius-')),
      await freePort(),
      await freePort(),
    );
    try {
      await front.writeConfig(more);
      await front.freeradius.start();
    } catch (error) {
      await front.close();
      throw error;
    }
    return front;
  }

  /** `edugate radius config` on this directory and ports again (throws with the output when it fails). */
  async writeConfig(more: string[] = []): Promise<string> {
    const written = await radiusCli(this.config, [
      'config',
      '--tenant',
      'cyc',
      '--out',
      this.dir,
      '--listen',
      '127.0.0.1',
      '--auth-port',
      String(this.authPort),
      '--acct-port',
      String(this.acctPort),
      ...more,
    ]);
    if (written.code !== 0) throw new Error(`edugate radius config: ${written.output}`);
    return written.output;
  }

  /** The CA certificate file supplicants check the server against. */
  get caFile(): string {
    return join(this.dir, 'certs', 'ca.pem');
  }

  async close(): Promise<void> {
    await this.freeradius.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface CountyStageOptions {
  /** The role process reaches PostgreSQL and Redis through the stage's fault proxies (outage tests). */
  throughProxies?: boolean;
  ownRedisDatabase?: boolean;
  /** More environment of the role process. */
  env?: Record<string, string>;
  /** Writes to the database (the demo data is there) before the county process starts. */
  seed?: (county: County) => Promise<void>;
}

/**
 * `edugate start --role county` in a process of its own on a scratch PostgreSQL database and Redis
 * (processStage), with the demo data and whatever `seed` writes; `config` reaches its admin API.
 */
export class CountyStage {
  readonly stage: ProcessStage;
  readonly node: RoleProcess;
  readonly config: Config;

  private constructor(stage: ProcessStage, node: RoleProcess, config: Config) {
    this.stage = stage;
    this.node = node;
    this.config = config;
  }

  static async start(prefix: string, options: CountyStageOptions = {}): Promise<CountyStage> {
    const stage = await processStage(prefix, { ownRedisDatabase: options.ownRedisDatabase ?? false });
    let node: RoleProcess | undefined;
    try {
      const env = countyNodeEnv(stage, {
        ...(options.throughProxies ? stage.env : {}),
        LOG_LEVEL: 'warn',
        ...options.env,
      });
      await seedCountyDatabase({ ...env, ...stage.directEnv }, options.seed);
      node = await RoleProcess.start('county', env);
      await node.until(200, '/readyz', 90_000);
      const config = loadConfig({
        ...env,
        EDUGATE_ADMIN_HOST: '127.0.0.1',
        EDUGATE_ADMIN_PORT: String(Number(new URL(node.adminBase).port) - 1),
      });
      return new CountyStage(stage, node, config);
    } catch (error) {
      await node?.stop();
      await stage.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.node.stop();
    await this.stage.close();
  }
}
