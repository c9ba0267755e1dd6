import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../platform/config/load.ts';
import type { Config } from '../platform/config/options.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { bootRole, type RunningRole } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { loadSecrets } from '../platform/runtime/secrets.ts';
import { embeddedTestDatabase } from '../platform/testing/databases.ts';
import { freePort } from '../platform/testing/ports.ts';
import { googleMigrations } from './emulator/google/migrations.ts';
import { googleRole } from './emulator/google/role.ts';
import type { GoogleTables } from './emulator/google/schema.ts';
import {
  delegateDomainWide,
  demoServiceAccountFile,
  registerServiceAccountKey,
} from './emulator/google/service-accounts.ts';
import { workspaceMigrations } from './migrations.ts';
import { DIRECTORY_SCOPES } from './provisioning/google-auth.ts';
import { ACTIVATE_JOB, SYNC_JOB } from './provisioning/jobs.ts';
import { workspaceRole } from './role.ts';
import type { WorkspaceTables } from './schema.ts';

/**
 * The activation portal's provisioning side and the Google stand-in, each on its own in-memory
 * database, the stand-in listening on a real port (provisioning reaches it over HTTP through
 * `@googleapis/admin`, as it reaches Google). For tests and the provisioning bench.
 */
export interface ProvisioningRig {
  config: Config;
  google: RunningRole<GoogleTables>;
  workspace: RunningRole<WorkspaceTables>;
  googleUrl: string;
  /** Calls the stand-in's admin API (faults, quota, directory listing). */
  googleAdmin(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

export async function startProvisioningRig(
  overrides: Partial<Config> = {},
  jobPollMs?: number,
): Promise<ProvisioningRig> {
  const port = await freePort();
  const googleUrl = `http://127.0.0.1:${port}`;
  // A service account key file, as production has: the stand-in knows its public key.
  const keyDir = mkdtempSync(join(tmpdir(), 'edugate-google-key-'));
  const keyFile = join(keyDir, 'service-account.json');
  const key = demoServiceAccountFile(keyFile);
  const loaded = loadConfig(
    {},
    {
      dataDir: '/nonexistent-edugate-test',
      googleUrl,
      googleRootUrl: googleUrl,
      googleServiceAccountFile: keyFile,
      logLevel: 'warn',
      ...overrides,
    },
  );
  // The super-admin the service account acts as, in the domain the stand-in hosts.
  const config = {
    ...loaded,
    googleAdminSubject: loaded.googleAdminSubject ?? `admin@${loaded.workspaceDomain}`,
  };
  const secrets = loadSecrets(config, false);
  const log = createLogger(config.logLevel);
  const google = await bootRole(googleRole, {
    config,
    secrets,
    log,
    demo: false,
    startJobs: false,
    database: await embeddedTestDatabase.open(googleMigrations),
  });
  await google.ctx.db
    .insertInto('google_domains')
    .values({ domain: config.workspaceDomain, idp_certificates: '[]' })
    .execute();
  await registerServiceAccountKey(google.ctx.db, key);
  await delegateDomainWide(google.ctx.db, key.client_id, DIRECTORY_SCOPES);
  await google.app.listen({ port, host: '127.0.0.1' });
  const workspace = await bootRole(workspaceRole, {
    config,
    secrets,
    log,
    demo: false,
    startJobs: false,
    ...(jobPollMs ? { jobPollMs } : {}),
    database: await embeddedTestDatabase.open(workspaceMigrations),
  });
  return {
    config,
    google,
    workspace,
    googleUrl,
    async googleAdmin(method, path, body) {
      const response = await google.app.inject({
        method,
        url: `/admin/api${path}`,
        headers: { authorization: `Bearer ${secrets.adminToken}` },
        ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
      });
      if (response.statusCode >= 400)
        throw new Error(`stand-in admin ${path}: ${response.statusCode} ${response.body}`);
      return response.json();
    },
    async close() {
      await workspace.close();
      await google.close();
      rmSync(keyDir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs the role's jobs until none is due or waiting, moving retry times forward instead of
 * sleeping through backoff (the delay chosen is still recorded in `jobs.run_at` before the move).
 */
export async function runJobsToCompletion(
  ctx: RoleContext,
  types: string[] = [ACTIVATE_JOB, SYNC_JOB],
  maxRounds = 60,
): Promise<void> {
  for (let round = 0; round < maxRounds; round++) {
    await ctx.jobs.drain();
    const pending = await ctx.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', 'in', ['queued', 'running'])
      .where('type', 'in', types)
      .executeTakeFirstOrThrow();
    if (Number(pending.n) === 0) return;
    await ctx.db
      .updateTable('jobs')
      .set({ run_at: new Date(), locked_until: null })
      .where('state', 'in', ['queued', 'running'])
      .where('type', 'in', types)
      .execute();
  }
  throw new Error('jobs did not settle');
}
