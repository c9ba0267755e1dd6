import { defineMessages } from '../../platform/i18n/i18n.ts';

export const tenantMessages = defineMessages({
  'zh-TW': {
    'portal.chooser.title': '縣市教師資訊應用服務入口',
    'portal.chooser.none': '尚未設定任何縣市。',
    'error.county.invalid_input': '資料不正確：{problems}',
    'error.county.tenant_exists': '已經有代碼為 {tenant} 的縣市。',
    'error.county.username_taken': '{tenant} 已經有帳號 {username}（帳號不分大小寫）。',
    'manage.error.unit_code': '學校代碼為 6 到 8 個英數字。',
    'tenant.error.code': '縣市代碼須以小寫英文字母開頭，由 2 到 16 個小寫英文字母或數字組成（例如 hsc）。',
    'tenant.error.code_reserved': '{code} 是系統使用的路徑，不能當作縣市代碼。',
    'tenant.error.mail_domain': '請填寫郵件網域，例如 hcc.edu.tw。',
    'tenant.problem': '{field}：{message}',
    'error.county.tenant_edit_empty': '請至少給一個要更改的欄位：name、portal_name 或 mail_domain。',
    'tenant.error.code_fixed': '縣市代碼不能更改（它在網址與 OIDC issuer 之中）；這個縣市的代碼是 {code}。',
  },
  en: {
    'portal.chooser.title': 'County teacher portals',
    'portal.chooser.none': 'No county is configured yet.',
    'error.county.invalid_input': 'Invalid input: {problems}',
    'error.county.tenant_exists': 'There is already a county with the code {tenant}.',
    'error.county.username_taken': '{tenant} already has the account {username} (usernames ignore case).',
    'manage.error.unit_code': 'A school code has 6 to 8 letters or digits.',
    'tenant.error.code':
      'A county code starts with a lowercase letter and has 2 to 16 lowercase letters or digits (e.g. hsc).',
    'tenant.error.code_reserved': '{code} is a path of the system itself and cannot be a county code.',
    'tenant.error.mail_domain': 'Give a mail domain such as hcc.edu.tw.',
    'tenant.problem': '{field}: {message}',
    'error.county.tenant_edit_empty': 'Give at least one field to change: name, portal_name or mail_domain.',
    'tenant.error.code_fixed':
      'A county code cannot change (it is in URLs and in the OIDC issuer); this county’s code is {code}.',
  },
});
