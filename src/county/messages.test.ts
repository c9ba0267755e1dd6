import { describe, expect, it } from 'vitest';
import { countyMessages } from './messages.ts';

describe('county messages', () => {
  it('has the same keys in both languages, across every flow', () => {
    expect(Object.keys(countyMessages.en).sort()).toEqual(Object.keys(countyMessages['zh-TW']).sort());
  });
});
