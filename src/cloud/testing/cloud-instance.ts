import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../platform/config/load.ts';
import type { Config } from '../../platform/config/options.ts';
import type { Database } from '../../platform/database/connect.ts';
import type { PlatformTables } from '../../platform/database/platform-schema.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { bootRole, type RunningRole } from '../../platform/runtime/boot.ts';
import { listenRole } from '../../platform/runtime/roles.ts';
import { loadSecrets } from '../../platform/runtime/secrets.ts';
import { freeAdminPortBase, freePort } from '../../platform/testing/ports.ts';
import { cloudRole } from '../role.ts';
import type { CloudServices } from '../services.ts';

export interface CloudInstance {
  url: string;
  running: RunningRole;
  services: CloudServices;
  close(): Promise<void>;
}

/** The cloud role alone, listening on a free port, over the given (migrated-on-boot) database. */
export async function startCloudInstance(
  database: Database<PlatformTables>,
  overrides: Partial<Config> = {},
): Promise<CloudInstance> {
  const [port, adminPort] = await Promise.all([freePort(), freeAdminPortBase()]);
  const config = loadConfig(
    {},
    {
      dataDir: '/nonexistent-edugate-test',
      cloudPort: port,
      adminPort,
      cloudUrl: `http://127.0.0.1:${port}`,
      logLevel: 'warn',
      ...overrides,
    },
  );
  const running = await bootRole(cloudRole, {
    config,
    // Secrets persist only in a data directory the caller gave (the CLI then finds the admin token).
    secrets: loadSecrets(config, overrides.dataDir !== undefined),
    log: createLogger('warn'),
    demo: false,
    database,
    startJobs: false,
  });
  await listenRole(running, config);
  const address = running.app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    running,
    services: running.app.cloud,
    close: () => running.close(),
  };
}
