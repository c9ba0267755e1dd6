import { describe, expect, it } from 'vitest';
import { namePartsMatch, splitPersonalName } from './personal-name.ts';

describe('family and given names from a full name', () => {
  it('splits Chinese names after the surname, two-character surnames included', () => {
    expect(splitPersonalName('王小明')).toEqual({ family: '王', given: '小明' });
    expect(splitPersonalName('歐陽娜娜')).toEqual({ family: '歐陽', given: '娜娜' });
    expect(splitPersonalName('張簡宏')).toEqual({ family: '張簡', given: '宏' });
    // Two characters: a one-character surname even when they could be a compound surname.
    expect(splitPersonalName('歐陽')).toEqual({ family: '歐', given: '陽' });
    expect(splitPersonalName('Ya-Ting Lin')).toEqual({ family: 'Lin', given: 'Ya-Ting' });
    expect(splitPersonalName('林')).toBeUndefined();
    expect(splitPersonalName('Madonna')).toBeUndefined();
  });

  it('accepts a 姓/名 only when it makes the real name', () => {
    expect(namePartsMatch('歐陽娜娜', '歐陽', '娜娜')).toBe(true);
    expect(namePartsMatch('Ya-Ting Lin', 'Lin', 'Ya-Ting')).toBe(true);
    expect(namePartsMatch('歐陽娜娜', '王', '娜娜')).toBe(false);
    expect(namePartsMatch('王小明', '王小明', '王小明')).toBe(false);
    expect(namePartsMatch('王小明', '王', '')).toBe(true);
    expect(namePartsMatch('王小明', '王小明', '')).toBe(false);
    expect(namePartsMatch('王小明', '', '')).toBe(true);
  });
});
