import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Flow } from '../flows/flow.ts';
import { exercises, flowCoverage, refuses } from './flow-coverage.ts';

const DOOR = new Flow<'shut' | 'open', 'push' | 'pull'>('door', [
  ['shut', 'push', 'open'],
  ['open', 'pull', 'shut'],
]);

describe('flow coverage', () => {
  const root = mkdtempSync(join(tmpdir(), 'edugate-flow-coverage-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names the rows no test file declares, and declarations of rows the table lacks', () => {
    writeFileSync(
      join(root, 'door.test.ts'),
      "exercises(DOOR, 'shut', 'push');\nexercises(DOOR,\n  'shut',\n  'pull');\n",
    );
    writeFileSync(join(root, 'other.ts'), "exercises(DOOR, 'open', 'pull');\n"); // not a test file
    const coverage = flowCoverage(DOOR, 'DOOR', root);
    expect(coverage.missing).toEqual(['open --pull--> shut']);
    expect(coverage.unknown).toEqual(['shut --pull--> (door.test.ts)']);
    expect(coverage.declared.get('shut --push--> open')).toEqual(['door.test.ts']);
    expect(flowCoverage(DOOR, 'WINDOW', root).missing).toHaveLength(2);
  });

  it('gives the state a declared move leads to, or where a refused one stays, and throws on a wrong declaration', () => {
    expect(exercises(DOOR, 'shut', 'push')).toBe('open');
    expect(refuses(DOOR, 'open', 'push')).toBe('open');
    expect(() => exercises(DOOR, 'open', 'push')).toThrow('door: no row "open" --push-->');
    expect(() => refuses(DOOR, 'shut', 'push')).toThrow('"push" is allowed in "shut"');
  });
});
