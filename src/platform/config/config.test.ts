import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigurationDoc } from './docs.ts';
import { ConfigError, loadConfig, roleUrls } from './load.ts';

describe('configuration', () => {
  it('has a documented default for every role port', () => {
    const config = loadConfig({});
    expect([
      config.landingPort,
      config.countyPort,
      config.cloudPort,
      config.workspacePort,
      config.googlePort,
    ]).toEqual([4000, 4001, 4002, 4003, 4004]);
    expect(config.smtpSinkPort).toBe(2525);
    expect(config.captcha).toBe('after-failures');
    expect(roleUrls(config).county).toBe('http://localhost:4001');
  });

  it('reads environment variables with types', () => {
    const config = loadConfig({
      EDUGATE_COUNTY_PORT: '5001',
      EDUGATE_TRUST_PROXY: 'true',
      EDUGATE_CAPTCHA: 'always',
    });
    expect(config.countyPort).toBe(5001);
    expect(config.trustProxy).toBe(true);
    expect(config.captcha).toBe('always');
  });

  it('stops with a message naming the invalid option', () => {
    expect(() => loadConfig({ EDUGATE_CAPTCHA: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ EDUGATE_CAPTCHA: 'sometimes' })).toThrow(/EDUGATE_CAPTCHA/);
    expect(() => loadConfig({ EDUGATE_CLOUD_PORT: '70000' })).toThrow(/EDUGATE_CLOUD_PORT/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
  });

  it('never prints the value of a secret option in its error', () => {
    try {
      loadConfig({ EDUGATE_SECRET: 'short-secret-value' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/EDUGATE_SECRET = \(hidden\)/);
      expect((error as Error).message).not.toContain('short-secret-value');
    }
  });

  it('keeps docs/CONFIGURATION.md in sync with the option table', () => {
    const doc = readFileSync(new URL('../../../docs/CONFIGURATION.md', import.meta.url), 'utf8');
    expect(doc, 'run `npm run edugate -- config docs --write`').toBe(renderConfigurationDoc());
  });
});
