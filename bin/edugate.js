#!/usr/bin/env node
// Runs the TypeScript sources directly (Node ≥ 22.18 strips types natively).
import { main } from '../src/cli/main.ts';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
