import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, roleDatabaseTarget } from './connect.ts';
import { embeddedDirectory, legacyEmbeddedDirectories } from './embedded.ts';
import { migrate } from './migrations.ts';
import { platformMigrations } from './platform-migrations.ts';
import type { PlatformTables } from './platform-schema.ts';

const work = mkdtempSync(join(tmpdir(), 'edugate-embedded-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const config = (dataDir: string) => ({ dataDir, databasePoolSize: 1 });

describe('embedded database shared by the roles of a process', () => {
  it('gives each role its own schema that the other roles cannot read, and keeps it across a restart', async () => {
    const dataDir = join(work, 'shared');
    const county = await openDatabase<PlatformTables>(roleDatabaseTarget(config(dataDir), 'county'));
    const cloud = await openDatabase<PlatformTables>(roleDatabaseTarget(config(dataDir), 'cloud'));
    expect([county.schema, cloud.schema]).toEqual(['edugate_county', 'edugate_cloud']);
    await migrate(county.db, county.schema, platformMigrations);
    await migrate(cloud.db, cloud.schema, platformMigrations);
    await county.db.insertInto('settings').values({ key: 'who', value: '"county"' }).execute();
    await cloud.db.insertInto('settings').values({ key: 'who', value: '"cloud"' }).execute();
    // Turns taken alternately: each sees its own table under the same name.
    const seen = await Promise.all(
      [county, cloud, county].map((d) => d.db.selectFrom('settings').select('value').execute()),
    );
    expect(seen.map((rows) => rows.map((r) => r.value))).toEqual([['county'], ['cloud'], ['county']]);
    await expect(sql`select * from edugate_county.settings`.execute(cloud.db)).rejects.toThrow(
      /permission denied/,
    );
    await county.close();
    await cloud.close();

    expect(legacyEmbeddedDirectories(dataDir)).toEqual([]);
    const again = await openDatabase<PlatformTables>(roleDatabaseTarget(config(dataDir), 'county'));
    expect(await migrate(again.db, again.schema, platformMigrations)).toEqual([]);
    expect(await again.db.selectFrom('settings').select('value').execute()).toEqual([{ value: 'county' }]);
    await again.close();
  });

  it('keeps using a data directory in the old layout (one database per role), and says so', () => {
    const dataDir = join(work, 'legacy');
    for (const role of ['county', 'cloud']) {
      mkdirSync(join(dataDir, 'db', role), { recursive: true });
      writeFileSync(join(dataDir, 'db', role, 'PG_VERSION'), '17\n');
    }
    expect(legacyEmbeddedDirectories(dataDir)).toEqual([
      join(dataDir, 'db', 'county'),
      join(dataDir, 'db', 'cloud'),
    ]);
    expect(roleDatabaseTarget(config(dataDir), 'cloud')).toEqual({
      dataDir: join(dataDir, 'db', 'cloud'),
      schema: 'public',
    });
    expect(embeddedDirectory(dataDir)).toBe(join(dataDir, 'database'));
  });
});

describe('an embedded database is one process’s', () => {
  it('refuses a second process while the first has it open, and takes over a lock whose process is gone', async () => {
    const dataDir = join(work, 'locked');
    const first = await openDatabase<PlatformTables>(roleDatabaseTarget(config(dataDir), 'county'));
    // Another process (a second `edugate start --role cloud` on the same data directory).
    const script = `
      const { openDatabase, roleDatabaseTarget } = await import(${JSON.stringify(new URL('./connect.ts', import.meta.url).href)});
      try { await openDatabase(roleDatabaseTarget({ dataDir: ${JSON.stringify(dataDir)}, databasePoolSize: 1 }, 'cloud')); console.log('opened'); }
      catch (error) { console.log(error.message); }
      process.exit(0);`;
    const second = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(second.stdout).toContain(`is open in process ${process.pid}`);
    await first.close();

    // A lock left by a process that ended without closing (killed): the next start takes it over.
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(join(embeddedDirectory(dataDir), 'edugate.lock'), gone.stdout.trim());
    const again = await openDatabase<PlatformTables>(roleDatabaseTarget(config(dataDir), 'county'));
    expect((await sql<{ one: number }>`select 1 as one`.execute(again.db)).rows).toEqual([{ one: 1 }]);
    await again.close();
  });
});
