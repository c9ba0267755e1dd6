// Test support for suites that run two county nodes (`edugate start --role county`, a process each)
// on one PostgreSQL database and one Redis, as docs/OPERATIONS.md sets them up.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../platform/config/load.ts';
import { createLogger } from '../../platform/observability/logger.ts';
import { bootRole } from '../../platform/runtime/boot.ts';
import { loadSecrets } from '../../platform/runtime/secrets.ts';
import type { ProcessStage } from '../../platform/testing/process-stage.ts';
import { RoleProcess } from '../../platform/testing/role-process.ts';
import { countyRole } from '../role.ts';
import { type County, countyServices } from '../services.ts';

/** The two nodes of a suite; a suite may replace one (a restart) and stops both after its tests. */
export type CountyNodes = Record<'a' | 'b', RoleProcess | undefined>;

/** The installation's keys, fresh for each suite, as an operator generates them once. */
const SECRET_VARIABLES = ['EDUGATE_SECRET', 'EDUGATE_BLIND_INDEX_KEY', 'EDUGATE_ADMIN_TOKEN'] as const;

/**
 * The environment of a county node reaching the stage's database and Redis directly: fresh keys,
 * no proof-of-work challenge, and `extra`.
 */
export function countyNodeEnv(
  stage: ProcessStage,
  extra: Record<string, string> = {},
): Record<string, string> {
  const key = () => randomBytes(32).toString('base64url');
  const keys = Object.fromEntries(SECRET_VARIABLES.map((name) => [name, key()]));
  return {
    ...stage.directEnv,
    ...keys,
    EDUGATE_NATIONAL_ID_KEYS: `k1:${key()}`,
    EDUGATE_CAPTCHA: 'off',
    ...extra,
  };
}

/**
 * Migrates the database of `env` and writes the demo data to it, as a node does when it first
 * starts, then whatever `seed` writes.
 */
export async function seedCountyDatabase(
  env: Record<string, string>,
  seed?: (county: County) => Promise<void>,
): Promise<void> {
  const config = loadConfig(env);
  const seeding = await bootRole(countyRole, {
    config,
    secrets: loadSecrets(config, false),
    log: createLogger('silent'),
    demo: true,
    startJobs: false,
  });
  try {
    if (seed) {
      const county = countyServices(seeding.ctx);
      await seed(county);
      await county.hasher.close();
    }
  } finally {
    await seeding.close();
  }
}

/**
 * Writes the demo teachers to the shared database once, as any node would, then starts the two
 * nodes of `env` into `nodes`: node a reaches PostgreSQL through the stage's proxy (which a test can
 * cut or make refuse), node b directly. Resolves once both are ready.
 */
export async function startTwoCountyNodes(
  stage: ProcessStage,
  env: Record<string, string>,
  nodes: CountyNodes,
): Promise<void> {
  await seedCountyDatabase(env);
  const [a, b] = await Promise.all([
    RoleProcess.start('county', { ...env, DATABASE_URL: stage.env.DATABASE_URL ?? '' }),
    RoleProcess.start('county', env),
  ]);
  nodes.a = a;
  nodes.b = b;
  await Promise.all([a.until(200, '/readyz', 90_000), b.until(200, '/readyz', 90_000)]);
}
