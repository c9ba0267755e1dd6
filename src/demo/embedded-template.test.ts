import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../platform/observability/logger.ts';
import { ROLES } from '../roles.ts';
import { prepareTemplate } from './embedded-template.ts';

describe('the demo database template', () => {
  const cache = mkdtempSync(join(tmpdir(), 'edugate-template-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('is built once, migrated, and replaces the templates of older migrations', async () => {
    const log = createLogger('silent');
    mkdirSync(join(cache, 'pglite-0123456789abcdef'));
    mkdirSync(join(cache, 'pglite-0123456789abcdef.999999999.partial'));
    const building = join(cache, `pglite-fedcba9876543210.${process.pid}.partial`);
    mkdirSync(building);

    const template = await prepareTemplate(ROLES, log, cache);
    expect(template).toBeDefined();
    expect(existsSync(join(template ?? '', 'PG_VERSION'))).toBe(true);
    // The old template and a dead build are gone; a build still running is left alone.
    expect(readdirSync(cache).sort()).toEqual([template?.split('/').pop(), building.split('/').pop()].sort());

    // Asked again: the same directory, not rebuilt.
    const built = statSync(join(template ?? '', 'PG_VERSION'));
    expect(await prepareTemplate(ROLES, log, cache)).toBe(template);
    const after = statSync(join(template ?? '', 'PG_VERSION'));
    expect([after.ino, after.mtimeMs]).toEqual([built.ino, built.mtimeMs]);
  });
});
