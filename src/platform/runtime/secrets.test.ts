import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { loadSecrets } from './secrets.ts';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'edugate-secrets-'));
  dirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('installation secrets', () => {
  it('never makes up a registration token: registration stays closed until the operator sets one', () => {
    const dir = dataDir();
    const secrets = loadSecrets(loadConfig({}, { dataDir: dir }));
    expect(secrets.registrationToken).toBeUndefined();
    expect(secrets.adminToken).toEqual(expect.any(String));
    expect(readFileSync(join(dir, 'secrets.json'), 'utf8')).not.toContain('registrationToken');
    // A token an earlier version generated into the data directory does not open it either.
    writeFileSync(
      join(dir, 'secrets.json'),
      JSON.stringify({ ...secrets, registrationToken: 'generated-once' }),
    );
    expect(loadSecrets(loadConfig({}, { dataDir: dir })).registrationToken).toBeUndefined();
    expect(loadSecrets(loadConfig({}, { dataDir: dir }), false).registrationToken).toBeUndefined();
  });

  it('takes the token the operator configured', () => {
    const config = loadConfig(
      { EDUGATE_REGISTRATION_TOKEN: 'operator-chosen-token' },
      { dataDir: dataDir() },
    );
    expect(loadSecrets(config).registrationToken).toBe('operator-chosen-token');
  });
});
