import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type PGliteClient, PGlitePool } from './pglite-pool.ts';

/**
 * The embedded database (PGlite) of a data directory: one instance for every role of the process,
 * each role in a schema of its own owned by a database role of its own (`edugate_county`, …). A
 * role's connection runs as that database role, so it cannot read another role's tables, as on
 * PostgreSQL where each role has its own schema (and may have its own login).
 *
 * One PGlite instance costs some 200 MB of memory whatever it holds; one per role made the demo
 * hold four.
 */

/** The directory of the embedded database under `EDUGATE_DATA_DIR`. */
export function embeddedDirectory(dataDir: string): string {
  return join(dataDir, 'database');
}

/**
 * The layout before: one PGlite directory per role (`db/county`, `db/cloud`, …). Returns the
 * directories found when the data directory holds that layout and not the current one.
 */
export function legacyEmbeddedDirectories(dataDir: string): string[] {
  if (existsSync(join(embeddedDirectory(dataDir), 'PG_VERSION'))) return [];
  return ['county', 'cloud', 'workspace', 'google']
    .map((role) => join(dataDir, 'db', role))
    .filter((dir) => existsSync(join(dir, 'PG_VERSION')));
}

/** What to do with a data directory in the old layout (start-up warning, `edugate doctor --demo`). */
export function legacyLayoutAdvice(dataDir: string): string {
  return (
    `${dataDir} holds the embedded database in the old layout (one database per role in ${join(dataDir, 'db')}), ` +
    'which takes about twice the memory and start-up time. It is still used as it is. To switch to one ' +
    `database for every role, start afresh with \`edugate demo --reset\` (this drops the demo data in ${dataDir}).`
  );
}

/** PGlite's start parameters with a small buffer cache: the demo's tables are small. */
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

/** Whether process `pid` runs (a signal 0 tells without sending anything). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
}

/**
 * Takes the directory for this process: PGlite is one process's database, and a second process
 * opening the same files would corrupt them. A lock left by a process that is gone is taken over.
 * Returns what gives it back.
 */
export function lockEmbeddedDirectory(dir: string): () => void {
  const file = join(dir, 'edugate.lock');
  for (;;) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    if (Number.isInteger(holder) && holder !== process.pid && running(holder)) {
      throw new Error(
        `the embedded database in ${dir} is open in process ${holder}: stop that process first ` +
          '(one process opens an embedded database; roles in processes of their own need DATABASE_URL)',
      );
    }
    rmSync(file, { force: true });
  }
}

interface Instance {
  unlock?: () => void;
  lite: PGlite;
  pool: PGlitePool;
  users: number;
  /** The database role the connection runs as now (`undefined`: the superuser). */
  current: string | undefined;
}

const instances = new Map<string, Promise<Instance>>();
/** Instances being closed: the next one on the same directory waits for its predecessor. */
const closing = new Map<string, Promise<void>>();

/**
 * The PGlite instance of `dir` in this process, opened by the first caller and closed when the
 * last one releases it. `memory://` directories are never shared.
 */
async function acquire(dir: string): Promise<Instance> {
  const shared = !dir.startsWith('memory://');
  if (shared) await closing.get(dir);
  let opening = shared ? instances.get(dir) : undefined;
  if (!opening) {
    if (shared) mkdirSync(dir, { recursive: true });
    const unlock = shared ? lockEmbeddedDirectory(dir) : undefined;
    opening = PGlite.create(dir, { startParams: START_PARAMS }).then(
      (lite) => ({ unlock, lite, pool: new PGlitePool(lite), users: 0, current: undefined }),
      (error: unknown) => {
        unlock?.();
        throw error;
      },
    );
    if (shared) instances.set(dir, opening);
    opening.catch(() => instances.delete(dir));
  }
  const instance = await opening;
  instance.users++;
  return instance;
}

async function release(dir: string, instance: Instance): Promise<void> {
  instance.users--;
  if (instance.users > 0) return;
  const ended = instance.pool.end().finally(() => instance.unlock?.());
  if (!dir.startsWith('memory://')) {
    instances.delete(dir);
    const settled = ended.catch(() => {}).finally(() => closing.delete(dir));
    closing.set(dir, settled);
  }
  await ended;
}

/**
 * The connection of one EduGate role to the shared instance: PGlite's one connection, taken in
 * turn, switched to the role's database role and schema when another role used it last.
 */
export class EmbeddedRolePool {
  readonly #dir: string;
  readonly #instance: Instance;
  readonly #role: string | undefined;
  #ended = false;

  private constructor(dir: string, instance: Instance, role: string | undefined) {
    this.#dir = dir;
    this.#instance = instance;
    this.#role = role;
  }

  /**
   * Opens `dir` for `role` (a database role and schema of the same name, created here when
   * missing); without a role, as the superuser on `public` (tests, `memory://`).
   */
  static async open(dir: string, role: string | undefined) {
    const instance = await acquire(dir);
    const pool = new EmbeddedRolePool(dir, instance, role);
    try {
      if (role) await pool.#create(role);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return pool;
  }

  get lite(): PGlite {
    return this.#instance.lite;
  }

  async connect(): Promise<PGliteClient> {
    const client = await this.#instance.pool.connect();
    if (this.#instance.current === this.#role) return client;
    try {
      // Outside any transaction (a turn starts with none open): the setting holds until changed.
      await this.#instance.lite.exec(
        this.#role
          ? `set role ${this.#role}; set search_path to ${this.#role}`
          : 'reset role; reset search_path',
      );
      this.#instance.current = this.#role;
    } catch (error) {
      client.release();
      throw error;
    }
    return client;
  }

  async end(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await release(this.#dir, this.#instance);
  }

  /** The role's database role and schema. Its own schema only: no grant on any other. */
  async #create(role: string): Promise<void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(role)) throw new Error(`not a database role name: ${role}`);
    const turn = await this.#instance.pool.connect();
    try {
      await this.#instance.lite.exec('reset role; reset search_path');
      this.#instance.current = undefined;
      const database = (
        await this.#instance.lite.query<{ name: string }>('select current_database() as name')
      ).rows[0]?.name;
      await this.#instance.lite.exec(`
        do $$ begin
          if not exists (select from pg_roles where rolname = '${role}') then
            create role ${role} nologin;
          end if;
        end $$;
        create schema if not exists ${role} authorization ${role};
        grant create on database "${database}" to ${role};`);
    } finally {
      turn.release();
    }
  }
}
