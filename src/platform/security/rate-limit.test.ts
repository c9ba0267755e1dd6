import { describe, expect, it } from 'vitest';
import { RateLimit } from './rate-limit.ts';

describe('RateLimit', () => {
  it('lets an address send its budget at once, then asks it to wait until a request is earned back', () => {
    const limit = new RateLimit({ perMinute: 30 });
    const t = 1_000_000;
    for (let i = 0; i < 30; i++) expect(limit.take('10.0.0.1', t)).toBe(0);
    expect(limit.take('10.0.0.1', t)).toBe(2); // one request per 2 s
    expect(limit.take('10.0.0.2', t)).toBe(0); // another address has its own budget
    expect(limit.take('10.0.0.1', t + 2_000)).toBe(0);
    expect(limit.take('10.0.0.1', t + 2_000)).toBeGreaterThan(0);
    // A minute later the whole budget is back, and no more than that.
    for (let i = 0; i < 30; i++) expect(limit.take('10.0.0.1', t + 120_000)).toBe(0);
    expect(limit.take('10.0.0.1', t + 120_000)).toBeGreaterThan(0);
  });

  it('keeps at most maxKeys addresses, forgetting the least recently seen', () => {
    const limit = new RateLimit({ perMinute: 1, maxKeys: 1_000 });
    const t = 1_000_000;
    expect(limit.take('kept', t)).toBe(0);
    for (let i = 0; i < 100_000; i++) {
      limit.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, t);
      if (i % 500 === 0) limit.take('kept', t); // seen often: stays remembered (and refused)
    }
    expect(limit.size).toBe(1_000);
    expect(limit.take('kept', t)).toBeGreaterThan(0);
  });

  it('does not limit when the budget is 0', () => {
    const limit = new RateLimit({ perMinute: 0 });
    for (let i = 0; i < 1_000; i++) expect(limit.take('10.0.0.1')).toBe(0);
    expect(limit.size).toBe(0);
  });
});
