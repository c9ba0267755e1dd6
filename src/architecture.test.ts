import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// The layers (docs/DEVELOPING.md, "Layers"): the platform imports no role and not identity;
// identity imports no role; a role (county, cloud, workspace) imports the platform and identity,
// never another role, the demo or the CLI; the entry points (cli/, demo/, roles.ts) compose them.
// No module imports itself back.
// Tests and test helpers may start several roles together: only the cycle rule applies to them.

const SRC = new URL('.', import.meta.url).pathname;
const ROLES = ['county', 'cloud', 'workspace'];
const ENTRY_POINTS = ['cli', 'demo', 'roles'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?from\s*['"](\.{1,2}\/[^'"]+)['"]|(?:^|[\s;(=])import\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** The relative imports of every file (static, re-exports and dynamic), as paths under src/. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(join(SRC, file), 'utf8');
    const targets = [...text.matchAll(IMPORT)]
      .map((m) => m[1] ?? m[2] ?? '')
      .map((spec) => normalize(join(dirname(file), spec)))
      .filter((target) => !target.startsWith('..'));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** The layer a file belongs to: its first folder under src/ (or `roles` for src/roles.ts). */
const layer = (file: string) => (file.includes('/') ? (file.split('/')[0] ?? '') : file.replace(/\.ts$/, ''));

const isTest = (file: string) => /\.test\.ts$|(^|\/)testing(\/|\.ts$)/.test(file);

function layerViolation(from: string, to: string): string | undefined {
  const a = layer(from);
  const b = layer(to);
  if (a === b) return undefined;
  if ((a === 'platform' || a === 'identity') && (ROLES.includes(b) || ENTRY_POINTS.includes(b))) {
    return `${a} imports ${b === 'roles' ? 'the composition root' : `the ${b}`}`;
  }
  if (a === 'platform' && b === 'identity') return 'platform imports identity';
  if (ROLES.includes(a) && (ROLES.includes(b) || ENTRY_POINTS.includes(b))) return `${a} imports ${b}`;
  return undefined;
}

/** Every import cycle once, as the path that closes it. */
function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

describe('architecture', () => {
  const graph = importGraph();

  it('reads the imports of the sources', () => {
    expect(graph.get('cli/main.ts')).toContain('cli/commands.ts');
    expect(graph.get('cli/builtins.ts')).toContain('roles.ts');
  });

  it('keeps the layers: the platform imports no role, a role no other role, the demo or the CLI', () => {
    const violations = [...graph]
      .filter(([file]) => !isTest(file))
      .flatMap(([file, targets]) =>
        targets.flatMap((target) => {
          const rule = layerViolation(file, target);
          return rule ? [`${rule}: src/${file} → src/${target}`] : [];
        }),
      );
    expect(violations).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(graph).map((cycle) => cycle.join(' → '))).toEqual([]);
  });
});
