import { describe, expect, it } from 'vitest';
import { I18n, mergeMessages, negotiateLocale } from './i18n.ts';
import { platformMessages } from './platform-messages.ts';

describe('i18n', () => {
  it('defaults to zh-TW and honours Accept-Language and an explicit choice', () => {
    expect(negotiateLocale(undefined, undefined)).toBe('zh-TW');
    expect(negotiateLocale(undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(negotiateLocale(undefined, 'fr-FR, en;q=0.5, zh-TW;q=0.8')).toBe('zh-TW');
    expect(negotiateLocale('en', 'zh-TW')).toBe('en');
  });

  it('fills variables and falls back to zh-TW', () => {
    const i18n = new I18n(platformMessages, { 'zh-TW': { 'only.zh': '只有中文' }, en: {} });
    expect(i18n.translate('en', 'error.overloaded', { seconds: 5 })).toBe(
      'The system is busy. Please try again in 5 seconds.',
    );
    expect(i18n.translate('en', 'only.zh')).toBe('只有中文');
  });

  it('has the same keys in both languages', () => {
    expect(Object.keys(platformMessages.en).sort()).toEqual(Object.keys(platformMessages['zh-TW']).sort());
  });

  it('merges catalogues and refuses a key defined twice', () => {
    const a = { 'zh-TW': { 'a.x': '甲' }, en: { 'a.x': 'A' } };
    const b = { 'zh-TW': { 'b.x': '乙' }, en: { 'b.x': 'B' } };
    expect(mergeMessages(a, b).en).toEqual({ 'a.x': 'A', 'b.x': 'B' });
    expect(() => mergeMessages(a, b, { 'zh-TW': { 'a.x': '丙' }, en: { 'a.x': 'C' } })).toThrow('a.x');
  });
});
