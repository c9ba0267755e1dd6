import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { legacyAccountsCsv, startCountyTestApp } from '../src/county/testing.ts';
import { postgresTestDatabase } from '../src/platform/testing/databases.ts';
import { postgresAvailable } from '../src/platform/testing/services.ts';
import type { Figure } from './report.ts';

/** 200,000 teachers in 40 seconds. */
const TARGET_ROWS_PER_SECOND = 5_000;

/**
 * `edugate county import-accounts` of IMPORT_BENCH_ROWS (default 100,000) teachers with legacy MD5
 * hashes, a quarter with national IDs (encrypted and blind-indexed on the way in), into a county
 * portal on PostgreSQL. The command runs in a process of its own, as an operator runs it against a
 * running server: rows/s is the file's rows over the command's whole run (reading the CSV, sending
 * it, checking and storing every row in one transaction).
 */
export async function benchCountyImport(): Promise<Figure[]> {
  if (!(await postgresAvailable())) {
    console.warn('[skipped] county import bench needs PostgreSQL (EDUGATE_TEST_DATABASE_URL)');
    return [];
  }
  const rows = Number(process.env.IMPORT_BENCH_ROWS ?? 100_000);
  const t = await startCountyTestApp(postgresTestDatabase, {}, { listen: true });
  try {
    const file = join(t.config.dataDir, 'teachers.csv');
    writeFileSync(file, legacyAccountsCsv(rows));
    const cli = fileURLToPath(new URL('../bin/edugate.js', import.meta.url));
    const started = performance.now();
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [cli, 'county', 'import-accounts', '--tenant', 'cyc', file],
        {
          env: {
            ...process.env,
            EDUGATE_DATA_DIR: t.config.dataDir,
            EDUGATE_COUNTY_PORT: String(t.config.countyPort),
            // The admin listener of this county, not whatever listens on the default port.
            EDUGATE_ADMIN_PORT: String(t.config.adminPort),
          },
          maxBuffer: 64 * 1024 * 1024,
        },
        (error, stdout, stderr) =>
          error ? reject(new Error(`import failed: ${stderr.slice(0, 2000)}`)) : resolve(stdout),
      );
    });
    const seconds = (performance.now() - started) / 1000;
    if (!output.includes(`imported ${rows} of ${rows}`)) throw new Error(`unexpected output: ${output}`);
    return [
      {
        name: `county import-accounts of ${rows} teachers (PostgreSQL, one transaction)`,
        value: rows / seconds,
        unit: 'rows/s',
        baseline: TARGET_ROWS_PER_SECOND,
        baselineName: '200,000 teachers in 40 s',
        target: 1,
      },
    ];
  } finally {
    await t.close();
  }
}
