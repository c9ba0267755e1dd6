import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './connect.ts';
import { migrate } from './migrations.ts';
import { platformMigrations } from './platform-migrations.ts';
import type { PlatformTables } from './platform-schema.ts';

const dir = mkdtempSync(join(tmpdir(), 'edugate-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded database', () => {
  it('keeps data across a restart and migrates only once', async () => {
    const first = await openDatabase<PlatformTables>({ dataDir: dir, schema: 'public' });
    expect(await migrate(first.db, 'public', platformMigrations)).toEqual(['0001_platform']);
    await first.db
      .insertInto('settings')
      .values({ key: 'greeting', value: JSON.stringify('你好') })
      .execute();
    await first.close();

    const second = await openDatabase<PlatformTables>({ dataDir: dir, schema: 'public' });
    expect(await migrate(second.db, 'public', platformMigrations)).toEqual([]);
    const row = await second.db
      .selectFrom('settings')
      .selectAll()
      .where('key', '=', 'greeting')
      .executeTakeFirst();
    expect(row?.value).toBe('你好');
    await second.close();
  });
});
