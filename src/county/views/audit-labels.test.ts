import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { I18n, LOCALES } from '../../platform/i18n/i18n.ts';
import { platformMessages } from '../../platform/i18n/platform-messages.ts';
import { countyMessages } from '../messages.ts';
import { auditActionLabel } from './audit-labels.ts';

const COUNTY = join(import.meta.dirname, '..');

/** The audit actions the county's code records: `action: 'x.y'`. */
function recordedActions(): string[] {
  const found = new Set<string>();
  const files = readdirSync(COUNTY, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
  );
  for (const file of files) {
    const source = readFileSync(join(COUNTY, file), 'utf8');
    for (const m of source.matchAll(/\baction: '([a-z_]+(?:\.[a-z_]+)*)'/g)) found.add(m[1] as string);
  }
  return [...found].sort();
}

describe('audit log labels', () => {
  it('names every action the county records in both languages, never as its raw code', () => {
    const actions = recordedActions();
    expect(actions).toEqual(expect.arrayContaining(['account.departed', 'login.succeeded', 'radius.failed']));
    const i18n = new I18n(platformMessages, countyMessages);
    for (const locale of LOCALES) {
      const t = i18n.translator(locale);
      const raw = actions.filter((action) => auditActionLabel(t, action).includes(action));
      expect(raw, locale).toEqual([]);
    }
  });
});
