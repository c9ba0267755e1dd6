import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/observability/logger.ts';
import { ROLES } from '../roles.ts';
import { prepareTemplate } from './embedded-template.ts';

describe('the demo database template', () => {
  const cache = mkdtempSync(join(tmpdir(), 'edugate-template-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('is built once, migrated, and replaces the templates of older migrations but the newest', async () => {
    const log = createLogger('silent');
    // Two complete templates of other migrations (the newer one, say, built by the test runner,
    // whose transform writes the migrations' source differently), one never completed.
    const older = join(cache, 'pglite-0123456789abcdef');
    const newer = join(cache, 'pglite-1123456789abcdef');
    for (const [dir, built] of [
      [older, new Date('2026-01-01')],
      [newer, new Date('2026-02-01')],
    ] as const) {
      mkdirSync(dir);
      writeFileSync(join(dir, 'PG_VERSION'), '17\n');
      utimesSync(join(dir, 'PG_VERSION'), built, built);
    }
    mkdirSync(join(cache, 'pglite-2123456789abcdef'));
    mkdirSync(join(cache, 'pglite-0123456789abcdef.999999999.partial'));
    const building = join(cache, `pglite-fedcba9876543210.${process.pid}.partial`);
    mkdirSync(building);

    const template = await prepareTemplate(ROLES, log, cache);
    expect(template).toBeDefined();
    expect(existsSync(join(template ?? '', 'PG_VERSION'))).toBe(true);
    // The older template, the incomplete one and a dead build are gone; the newest other template
    // and a build still running are left alone.
    expect(readdirSync(cache).sort()).toEqual(
      [template?.split('/').pop(), 'pglite-1123456789abcdef', building.split('/').pop()].sort(),
    );

    // Asked again: the same directory, not rebuilt.
    const built = statSync(join(template ?? '', 'PG_VERSION'));
    expect(await prepareTemplate(ROLES, log, cache)).toBe(template);
    const after = statSync(join(template ?? '', 'PG_VERSION'));
    expect([after.ino, after.mtimeMs]).toEqual([built.ino, built.mtimeMs]);
  });
});
