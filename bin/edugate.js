#!/usr/bin/env node
// Runs the TypeScript sources directly (Node ≥ 22.18 strips types natively).
import { enableCompileCache } from 'node:module';

// Modules compiled once are kept for the next start (about half of the demo's start-up is loading
// them); where that folder cannot be written, Node carries on without the cache.
enableCompileCache(new URL('../node_modules/.cache/edugate/compile', import.meta.url).pathname);

const { main } = await import('../src/cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
