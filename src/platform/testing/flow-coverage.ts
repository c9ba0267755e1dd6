import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Flow } from '../flows/flow.ts';

/**
 * A feature test's declaration that it takes `event` from `from` through the role's HTTP routes (or
 * the job a person's action queued): `const to = exercises(TRANSFER, 'pending', 'withdraw')`. Returns
 * the state the table leads to, for the test to find stored; throws when the table has no such row,
 * so a declaration cannot outlive its row. `flowCoverage` finds these calls in the test files.
 */
export function exercises<S extends string, E extends string>(flow: Flow<S, E>, from: S, event: E): S {
  if (!flow.allows(from, event)) {
    throw new Error(`${flow.name}: no row "${from}" --${event}--> in the table; nothing to exercise`);
  }
  return flow.next(from, event);
}

/**
 * A feature test's declaration that the routes refuse `event` in `from` (a form replayed, a button of
 * another state): returns `from`, where the flow must stay. Throws when the table does allow it.
 */
export function refuses<S extends string, E extends string>(flow: Flow<S, E>, from: S, event: E): S {
  if (flow.allows(from, event)) {
    throw new Error(`${flow.name}: "${event}" is allowed in "${from}"; it is no refusal`);
  }
  return from;
}

export interface FlowCoverage {
  /** The rows no test file declares, as `from --event--> to`. */
  missing: string[];
  /** Declarations naming a row the table does not have, with their file. */
  unknown: string[];
  /** Each declared row and the test files that declare it. */
  declared: Map<string, string[]>;
}

const DECLARATION = /\bexercises\(\s*([A-Za-z_$][\w$]*)\s*,\s*'([^']*)'\s*,\s*'([^']*)'\s*,?\s*\)/g;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : testFiles(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * Which rows of `flow` the test files under `root` declare with `exercises(<name>, 'from', 'event')`,
 * `name` being the identifier the flow is imported as (`TRANSFER`). A declaration is read from the
 * source, so the check needs no test to have run.
 */
export function flowCoverage<S extends string, E extends string>(
  flow: Flow<S, E>,
  name: string,
  root: string,
): FlowCoverage {
  const label = (from: string, event: string) =>
    `${from} --${event}--> ${flow.moves(event as E).get(from as S)}`;
  const declared = new Map<string, string[]>();
  const unknown: string[] = [];
  for (const file of testFiles(root)) {
    const where = relative(root, file);
    for (const [, identifier, from, event] of readFileSync(file, 'utf8').matchAll(DECLARATION)) {
      if (identifier !== name || from === undefined || event === undefined) continue;
      if (!flow.allows(from as S, event as E)) {
        unknown.push(`${from} --${event}--> (${where})`);
        continue;
      }
      const key = label(from, event);
      declared.set(key, [...(declared.get(key) ?? []), where]);
    }
  }
  const missing = flow.rows.map(([from, event]) => label(from, event)).filter((row) => !declared.has(row));
  return { missing, unknown, declared };
}
