import type { ConsentLines } from '../../platform/oidc/index.ts';

/**
 * The county provider's scopes and the claims each releases (SPEC §4, docs/API.md). `exchangedata`
 * is what the education cloud asks for: who the person is, where they serve, and the `guid` it
 * links accounts by. `personid` (the national ID itself) only goes to clients allowed it.
 */
export const COUNTY_SCOPES: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'family_name', 'given_name', 'preferred_username'],
  email: ['email', 'email_verified'],
  exchangedata: [
    'preferred_username',
    'name',
    'family_name',
    'given_name',
    'email',
    'email_verified',
    'schoolid',
    'titles',
    'guid',
  ],
  eduinfo: ['schoolid', 'titles', 'classinfo'],
  guid: ['guid'],
  personid: ['personid'],
};

/** Scopes a client gets only when an administrator ticks them explicitly. */
export const RESTRICTED_SCOPES = new Set(['personid']);

export const COUNTY_CONSENT_LINES: ConsentLines = {
  openid: { 'zh-TW': '檢視您的網路認證資料', en: 'Your sign-in identity' },
  exchangedata: {
    'zh-TW': '檢視您的個人資料交換內容',
    en: 'Your data for exchange (name, email, school, titles)',
  },
  profile: { 'zh-TW': '檢視您的個人基本資料', en: 'Your basic profile (name, username)' },
  email: { 'zh-TW': '檢視您的電子郵件', en: 'Your email address' },
  eduinfo: { 'zh-TW': '檢視您的任職或就學資料', en: 'Your school and job titles' },
  guid: {
    'zh-TW': '檢視您的身分識別碼（身分證字號雜湊值）',
    en: 'Your identity code (hash of your national ID)',
  },
  personid: { 'zh-TW': '檢視您的身分證字號', en: 'Your national ID number' },
};
