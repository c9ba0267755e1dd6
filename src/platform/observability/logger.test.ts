import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type LogFormat } from './logger.ts';

function capture(terminal = false, format: LogFormat = 'auto') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  if (terminal) Object.assign(stream, { isTTY: true });
  return { lines, log: createLogger('info', stream, format) };
}

describe('logger', () => {
  it('redacts passwords, secrets, tokens and national IDs', () => {
    const { lines, log } = capture();
    log.info(
      { password: 'hunter22!', client_secret: 's3cr3t', body: { nationalId: 'A123456789', token: 'abc' } },
      'login for A123456789 failed',
    );
    const text = lines.join('');
    expect(text).not.toContain('hunter22!');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('A123456789');
    expect(text).not.toContain('"abc"');
    expect(text).toContain('[redacted]');
    expect(text).toContain('login for A********* failed');
  });

  it('prints readable lines on a terminal and JSON lines elsewhere, redacted either way', () => {
    const entry = { password: 'hunter22!', tenant: 'cyc', body: { nationalId: 'A123456789' } };
    const terminal = capture(true);
    terminal.log.warn(entry, 'login for A123456789 failed');
    const shown = terminal.lines.join('');
    expect(() => JSON.parse(shown)).toThrow();
    expect(shown).toMatch(/\d\d:\d\d:\d\d\.\d{3}/);
    expect(shown).toContain('WARN');
    expect(shown).toContain('login for A********* failed');
    expect(shown).toContain('tenant');
    expect(shown).not.toContain('hunter22!');
    expect(shown).not.toContain('A123456789');

    const piped = capture(false);
    piped.log.warn(entry, 'login for A123456789 failed');
    const line = JSON.parse(piped.lines.join('')) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 40, msg: 'login for A********* failed', password: '[redacted]' });

    const forced = capture(true, 'json');
    forced.log.info('started');
    expect(JSON.parse(forced.lines.join(''))).toMatchObject({ msg: 'started' });
  });
});
