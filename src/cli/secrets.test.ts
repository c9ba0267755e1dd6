import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../platform/config/load.ts';
import { collectOutput } from '../platform/testing/child-output.ts';
import { scratchDatabase } from '../platform/testing/scratch-database.ts';
import { missingService, postgresAvailable, TEST_DATABASE_URL } from '../platform/testing/services.ts';
import { main } from './main.ts';

const run = promisify(execFile);
const bin = new URL('../../bin/edugate.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'edugate-secrets-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Result = { stdout: string; stderr: string; code: number };

/** Runs the CLI with only the environment given (plus PATH), so no developer setting leaks in. */
async function edugate(args: string[], env: Record<string, string>): Promise<Result> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    return error as Result;
  }
}

async function generated(): Promise<Record<string, string>> {
  const { stdout, code } = await edugate(['secrets', 'generate'], {});
  expect(code).toBe(0);
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

describe('edugate secrets', () => {
  it('generate prints a fresh, valid set as NAME=value lines, or as JSON', async () => {
    const first = await generated();
    const second = await generated();
    expect(Object.keys(first)).toEqual([
      'EDUGATE_SECRET',
      'EDUGATE_NATIONAL_ID_KEYS',
      'EDUGATE_BLIND_INDEX_KEY',
      'EDUGATE_ADMIN_TOKEN',
    ]);
    for (const name of Object.keys(first)) expect(first[name]).not.toBe(second[name]);
    const config = loadConfig(first);
    expect(config.secret).toBe(first.EDUGATE_SECRET);
    expect(config.nationalIdKeys).toMatch(/^k1:[\w-]{43}$/);

    const { stdout } = await edugate(['secrets', 'generate', '--json'], {});
    const json = JSON.parse(stdout) as Record<string, string>;
    expect(Object.keys(json)).toEqual(Object.keys(first));
    expect(json.EDUGATE_SECRET).toHaveLength(43);
  });
});

describe('edugate secrets rotate', async () => {
  if (!(await postgresAvailable())) {
    missingService('PostgreSQL', `start it or set EDUGATE_TEST_DATABASE_URL (tried ${TEST_DATABASE_URL})`);
    return;
  }
  const scratch = await scratchDatabase('edugate_ops');
  afterAll(() => scratch.drop());

  /** Runs the CLI in this process (booting a role in a child process costs a minute on a busy machine). */
  async function inProcess(args: string[], env: Record<string, string>) {
    vi.unstubAllEnvs();
    for (const [name, value] of Object.entries({ LOG_LEVEL: 'warn', DATABASE_URL: scratch.url, ...env })) {
      vi.stubEnv(name, value);
    }
    const out: string[] = [];
    const err: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    const error = vi
      .spyOn(console, 'error')
      .mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
    try {
      const code = await main(args).catch((e: unknown) => {
        err.push((e as Error).message);
        return 1;
      });
      return { code, stdout: out.join('\n'), stderr: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
      vi.unstubAllEnvs();
    }
  }

  it('re-seals the stored keys: the new secret opens them, the old one no longer does', async () => {
    const oldEnv = await generated();
    expect((await inProcess(['migrate', '--role', 'cloud'], oldEnv)).stdout).toContain('cloud: up to date');

    const fresh = await generated();
    const file = join(work, 'new.env');
    writeFileSync(file, `EDUGATE_SECRET=${fresh.EDUGATE_SECRET}\n`, { mode: 0o600 });
    const rotated = await inProcess(
      ['secrets', 'rotate', '--role', 'cloud', '--new-secret-file', file],
      oldEnv,
    );
    expect(rotated.stderr).toBe('');
    expect(rotated.stdout).toMatch(/cloud: re-sealed 1 signing keys, 0 OIDC client secrets/);
    expect(rotated.code).toBe(0);

    const wrong = await inProcess(['start', '--role', 'cloud'], { ...oldEnv, EDUGATE_CLOUD_PORT: '0' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /^EDUGATE_SECRET does not decrypt the stored signing keys: oidc_signing_keys \(tenant=/,
    );
    expect(wrong.stderr).not.toContain('unable to authenticate');

    const newEnv = { ...oldEnv, EDUGATE_SECRET: fresh.EDUGATE_SECRET ?? '' };
    const migrated = await inProcess(['migrate', '--role', 'cloud'], newEnv);
    expect(migrated.stderr).toBe('');
    expect(migrated.stdout).toContain('cloud: up to date');

    const again = await inProcess(
      ['secrets', 'rotate', '--role', 'cloud', '--new-secret-file', file],
      oldEnv,
    );
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('cloud: nothing changed. EDUGATE_SECRET does not decrypt');
  }, 300_000);
});

describe('start and migrate with every secret in the environment', async () => {
  if (!(await postgresAvailable())) {
    missingService('PostgreSQL', `start it or set EDUGATE_TEST_DATABASE_URL (tried ${TEST_DATABASE_URL})`);
    return;
  }
  const scratch = await scratchDatabase('edugate_ops');
  afterAll(() => scratch.drop());

  it('write nothing to the data directory', async () => {
    const dataDir = join(work, 'never-created', '.edugate');
    const env = {
      ...(await generated()),
      DATABASE_URL: scratch.url,
      EDUGATE_DATA_DIR: dataDir,
      EDUGATE_COUNTY_PORT: '0',
    };
    const migrated = await edugate(['migrate', '--role', 'county'], env);
    expect(migrated.stdout).toContain('county: up to date');

    const child = spawn(process.execPath, [bin, 'start', '--role', 'county'], {
      env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collectOutput(child);
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    for (let i = 0; i < 2400 && !output.text.includes('Server listening'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(output.text).toContain('Server listening');
    expect(output.text).not.toContain('secrets not configured');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(join(work, 'never-created'))).toBe(false);
  }, 300_000);
});
