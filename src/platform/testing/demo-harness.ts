import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Demo, startDemo } from '../../demo/launcher.ts';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/options.ts';
import { createLogger } from '../observability/logger.ts';
import { freeAdminPortBase, freePort } from './ports.ts';

export interface TestDemo extends Demo {
  config: Config;
}

/**
 * The whole demo (every role, landing page, SMTP sink) on free ports and a temporary data
 * directory: what `npm start` runs, for end-to-end tests.
 */
export async function startTestDemo(overrides: Partial<Config> = {}): Promise<TestDemo> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-e2e-'));
  const [landingPort, countyPort, cloudPort, workspacePort, googlePort, smtpSinkPort] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const smtp = smtpSinkPort ?? 2525;
  const adminPort = await freeAdminPortBase();
  const config = loadConfig(
    {},
    {
      dataDir,
      landingPort,
      countyPort,
      cloudPort,
      workspacePort,
      googlePort,
      adminPort,
      smtpSinkPort: smtp,
      smtpUrl: `smtp://127.0.0.1:${smtp}`,
      logLevel: 'warn',
      ...overrides,
    },
  );
  const demo = await startDemo({ config, log: createLogger(config.logLevel), jobPollMs: 100 });
  return {
    ...demo,
    config,
    async close() {
      await demo.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
