import { readdirSync } from 'node:fs';
import { type Figure, printFigure } from './report.ts';

/**
 * `npm run bench`: runs every benchmark module in this folder (each exports `bench…` functions
 * returning figures) and prints each figure as a ratio to a baseline measured in the same run.
 * `npm run bench -- password county` runs only the modules whose file names match.
 */
const only = process.argv.slice(2);
const files = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.ts') && !['run.ts', 'report.ts'].includes(f) && !f.endsWith('.test.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();

let failed = false;
for (const file of files) {
  const module = (await import(`./${file}`)) as Record<string, unknown>;
  for (const [name, fn] of Object.entries(module)) {
    if (!name.startsWith('bench') || typeof fn !== 'function') continue;
    console.log(`\n# ${file} · ${name}`);
    try {
      const figures = (await (fn as () => Promise<Figure[]>)()) ?? [];
      for (const figure of figures) printFigure(figure);
    } catch (error) {
      failed = true;
      const cause = (error as Error).cause;
      console.error(`${name} failed: ${(error as Error).message}${cause ? ` (${String(cause)})` : ''}`);
    }
  }
}
process.exit(failed ? 1 : 0);
