import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, log: createLogger('info', stream) };
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
});
