import { defineMessages } from '../../platform/i18n/i18n.ts';

export const accountsMessages = defineMessages({
  'zh-TW': {
    'error.county.status_conflict': '帳號目前的狀態（{status}）不能執行此動作。',
    'error.county.import_conflict':
      '匯入期間有帳號以相同的帳號名稱、電子郵件或身分證字號註冊，本次未匯入任何帳號；請重新匯入檔案。',
    'mail.suspended.subject': '{portal}：{unit}的帳號 {username} 已暫停使用',
    'mail.suspended.body':
      '{unit} 您好：\n\n縣網中心已暫停貴單位人員 {name}（帳號 {username}）的帳號，原因：\n\n{reason}',
    'mail.reactivated.subject': '{portal}：{unit}的帳號 {username} 已恢復使用',
    'mail.reactivated.body':
      '{unit} 您好：\n\n縣網中心已恢復貴單位人員 {name}（帳號 {username}）的帳號，說明：\n\n{reason}',
  },
  en: {
    'error.county.status_conflict': 'This action is not possible in the account’s current status ({status}).',
    'error.county.import_conflict':
      'An account with one of these usernames, emails or national IDs was registered during the import, so nothing was imported; import the file again.',
    'mail.suspended.subject': '{portal}: account {username} of {unit} was suspended',
    'mail.suspended.body':
      'Dear {unit},\n\nThe county network center suspended the account {username} ({name}) of your staff. Reason:\n\n{reason}',
    'mail.reactivated.subject': '{portal}: account {username} of {unit} was reactivated',
    'mail.reactivated.body':
      'Dear {unit},\n\nThe county network center reactivated the account {username} ({name}) of your staff. Note:\n\n{reason}',
  },
});
