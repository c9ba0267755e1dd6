import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = new URL('../../bin/edugate.js', import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), 'edugate-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function edugate(args: string[], env: Record<string, string> = {}) {
  return run(process.execPath, [bin, ...args], {
    env: { ...process.env, EDUGATE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env },
  }).catch((error: { stdout: string; stderr: string; code: number }) => error);
}

describe('edugate CLI', () => {
  it('lists every command in --help', async () => {
    const { stdout } = await edugate(['--help']);
    for (const command of ['demo', 'start --role', 'migrate', 'doctor', 'config docs']) {
      expect(stdout).toContain(command);
    }
  });

  it('refuses invalid configuration naming the option', async () => {
    const result = (await edugate(['doctor'], { EDUGATE_CAPTCHA: 'sometimes' })) as {
      stderr: string;
      code: number;
    };
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('EDUGATE_CAPTCHA');
  });

  it('the demo and the Google stand-in refuse to start on a non-loopback address, with a clear error', async () => {
    for (const args of [['demo'], ['start', '--role', 'google']]) {
      const result = (await edugate(args, { EDUGATE_HOST: '0.0.0.0' })) as { stderr: string; code: number };
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stderr, args.join(' ')).toMatch(
        /is for demos and tests on this machine only and will not listen on 0\.0\.0\.0; bind it to 127\.0\.0\.1 \(EDUGATE_HOST\)/,
      );
    }
  });

  it('migrates every role on the embedded database', async () => {
    const { stdout } = await edugate(['migrate']);
    expect(stdout).toMatch(
      /county: up to date[\s\S]*cloud: up to date[\s\S]*workspace: up to date[\s\S]*google: up to date/,
    );
  });

  it('doctor reports an unreachable SMTP server as a failure', async () => {
    const result = (await edugate(['doctor'], { SMTP_URL: 'smtp://127.0.0.1:1' })) as {
      stdout: string;
      code: number;
    };
    expect(result.stdout).toMatch(/FAIL\s+smtp/);
    expect(result.stdout).toMatch(/ok\s+configuration/);
    expect(result.code).toBe(1);
  });
});
