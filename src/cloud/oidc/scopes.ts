import type { ConsentLines } from '../../platform/oidc/index.ts';

/** The cloud's scopes (SPEC §4) and the claims each releases. */
export const CLOUD_SCOPES: Record<string, string[]> = {
  openid: ['sub'],
  profile: ['name', 'family_name', 'given_name', 'preferred_username'],
  email: ['email', 'email_verified'],
  openid2: ['openid2_id'],
  eduinfo: ['eduinfo'],
  educloudroles: ['educloudroles'],
};

export const CLOUD_CONSENT_LINES: ConsentLines = {
  openid: { 'zh-TW': '檢視您的網路認證資料', en: 'View your authentication data' },
  profile: { 'zh-TW': '檢視您的個人基本資料', en: 'View your basic profile' },
  email: { 'zh-TW': '檢視您的電子郵件', en: 'View your email address' },
  openid2: { 'zh-TW': '檢視您的OpenID個人網址', en: 'View your OpenID URLs' },
  eduinfo: { 'zh-TW': '檢視您的任職或就學資料', en: 'View your school and class data' },
  educloudroles: { 'zh-TW': '檢視您的客制化角色別', en: 'View your custom roles' },
};
