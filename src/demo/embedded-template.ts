import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../platform/config/options.ts';
import {
  type Database,
  openDatabase,
  type RoleName,
  roleDatabaseTarget,
} from '../platform/database/connect.ts';
import { embeddedDirectory, legacyEmbeddedDirectories } from '../platform/database/embedded.ts';
import { migrate } from '../platform/database/migrations.ts';
import { platformMigrations } from '../platform/database/platform-migrations.ts';
import type { RoleModule } from '../platform/runtime/role.ts';

/**
 * Where the migrated, empty embedded database is kept between demos (one directory per set of
 * migrations): a fresh data directory starts from a copy instead of running every migration.
 */
const CACHE_DIR = new URL('../../node_modules/.cache/edugate/', import.meta.url).pathname;

/** Bumped when what `EmbeddedRolePool` creates (database roles, schemas, grants) changes. */
const LAYOUT_VERSION = 1;

/**
 * Makes the demo's embedded database ready before its roles boot: a fresh directory starts as a
 * copy of the cached template (built first when missing), so that no migration runs. Returns the
 * database held open until the demo closes (the roles share its instance), or nothing when the demo
 * does not use the shared layout (PostgreSQL, or a data directory in the old layout).
 */
export async function prepareEmbeddedDatabase(
  config: Config,
  roles: Record<RoleName, RoleModule>,
  log: Logger,
): Promise<Database<unknown> | undefined> {
  if (config.databaseUrl || legacyEmbeddedDirectories(config.dataDir).length > 0) return undefined;
  const dir = embeddedDirectory(config.dataDir);
  if (!existsSync(join(dir, 'PG_VERSION'))) {
    const template = await prepareTemplate(roles, log);
    if (!(template && copied(template, dir))) {
      rmSync(dir, { recursive: true, force: true });
      await buildDatabase(dir, roles);
    }
  }
  const [first = 'county'] = Object.keys(roles) as RoleName[];
  return openDatabase(roleDatabaseTarget(config, first));
}

/**
 * The cached template for the migrations as written now, built when missing (`edugate demo
 * --prepare`, run by `npm install`, builds it ahead of the first `npm start`); templates of older
 * migrations are removed. Undefined when it cannot be cached (the demo then migrates in place).
 */
export async function prepareTemplate(
  roles: Record<RoleName, RoleModule>,
  log: Logger,
  cacheDir = CACHE_DIR,
): Promise<string | undefined> {
  const name = `pglite-${templateKey(roles)}`;
  const template = join(cacheDir, name);
  if (!existsSync(join(template, 'PG_VERSION'))) {
    await buildTemplate(template, roles, log);
    pruneTemplates(cacheDir, name);
  }
  return existsSync(join(template, 'PG_VERSION')) ? template : undefined;
}

/**
 * Removes the templates of other migrations but the newest of them (a template is only ever
 * copied, never opened in place), and partial builds whose process is gone. The key is the
 * migrations' source as the running code sees it, and the test runner's transform writes it
 * differently from Node's: `npm test` and `npm start` each keep their own template instead of
 * rebuilding the other's (a start that must migrate takes twice as long and holds some 350 MB more).
 */
function pruneTemplates(cacheDir: string, keep: string): void {
  let entries: string[];
  try {
    entries = readdirSync(cacheDir);
  } catch {
    return;
  }
  const others: Array<{ entry: string; built: number }> = [];
  for (const entry of entries) {
    if (!entry.startsWith('pglite-') || entry === keep) continue;
    const partial = /\.(\d+)\.partial$/.exec(entry);
    if (partial) {
      if (!processAlive(Number(partial[1]))) rmSync(join(cacheDir, entry), { recursive: true, force: true });
      continue;
    }
    others.push({ entry, built: builtAt(join(cacheDir, entry)) });
  }
  others.sort((a, b) => b.built - a.built);
  for (const [index, { entry, built }] of others.entries())
    if (index > 0 || built === 0) rmSync(join(cacheDir, entry), { recursive: true, force: true });
}

/** When a template was built (its `PG_VERSION`, written by the build); 0 when it is incomplete. */
function builtAt(template: string): number {
  try {
    return statSync(join(template, 'PG_VERSION')).mtimeMs;
  } catch {
    return 0;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A copy of the template; false when it vanished meanwhile (pruned by a newer build). */
function copied(template: string, dir: string): boolean {
  try {
    rmSync(dir, { recursive: true, force: true });
    cpSync(template, dir, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

/** Every role's schema and database role, migrated, in a new PGlite directory (then closed). */
async function buildDatabase(dir: string, roles: Record<RoleName, RoleModule>): Promise<void> {
  const opened: Database<unknown>[] = [];
  try {
    for (const [name, module] of Object.entries(roles)) {
      const database = await openDatabase({
        dataDir: dir,
        schema: `edugate_${name}`,
        embeddedRole: `edugate_${name}`,
      });
      opened.push(database);
      await migrate(database.db, database.schema, platformMigrations, module.migrations);
    }
  } finally {
    for (const database of opened.reverse()) await database.close();
  }
}

/** Builds the template aside and moves it in whole (demos may start at once); a failure only costs time. */
async function buildTemplate(
  template: string,
  roles: Record<RoleName, RoleModule>,
  log: Logger,
): Promise<void> {
  const partial = `${template}.${process.pid}.partial`;
  try {
    mkdirSync(dirname(template), { recursive: true });
    rmSync(partial, { recursive: true, force: true });
    await buildDatabase(partial, roles);
    renameSync(partial, template);
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(join(template, 'PG_VERSION'))) {
      log.warn(
        { err: error, template },
        'the migrated demo database could not be cached; migrating in place',
      );
    }
  }
}

/** The migrations of every role, as written now, and PGlite's version. */
function templateKey(roles: Record<RoleName, RoleModule>): string {
  const hash = createHash('sha256').update(`layout ${LAYOUT_VERSION}\n`);
  const pglite = JSON.parse(
    readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  hash.update(`pglite ${pglite.version}\n`);
  for (const [role, module] of Object.entries(roles)) {
    const migrations = { ...platformMigrations, ...module.migrations };
    for (const name of Object.keys(migrations).sort()) {
      hash.update(`${role} ${name} ${String(migrations[name]?.up)}\n`);
    }
  }
  return hash.digest('hex').slice(0, 16);
}
