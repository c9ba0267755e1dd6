import { defineMessages } from '../../platform/i18n/i18n.ts';

/** An account's own pages (我的帳號: password, personal email, sessions; forgotten password) and its lifecycle. */
export const accountMessages = defineMessages({
  'zh-TW': {
    'account.error.current_password': '目前的密碼不正確。',
    'account.password.current': '目前的密碼',
    'account.password.done': '密碼已變更，其他裝置上的登入已登出。',
    'account.password.new': '新密碼',
    'account.password.title': '變更密碼',
    'account.email.title': '變更個人Email',
    'account.email.intro':
      '目前的個人Email是 {email}。新的Email要先點選寄到該信箱的確認連結才會生效，在那之前仍使用目前的Email。',
    'account.email.new': '新的個人Email',
    'account.email.submit': '寄送確認信',
    'account.email.sent':
      '確認信已寄到 {email}，請在 24 小時內點選信中的連結。確認前，忘記密碼等通知仍寄到 {old}。',
    'account.email.error.same': '這就是您目前的個人Email。',
    'account.email.confirm_title': '確認新的個人Email',
    'account.email.confirm_intro': '要將您的個人Email變更為 {email} 嗎？',
    'account.email.confirm': '確認變更',
    'account.email.changed': '您的個人Email已變更為 {email}。',
    'mail.email_change.subject': '{portal}：請確認您的新個人Email',
    'mail.email_change.body':
      '您好：\n\n{portal}的帳號「{username}」要求將個人Email變更為 {email}。請點選下列連結確認：\n\n{link}\n\n此連結在 {expires} 前有效，只能使用一次。確認前仍使用原本的Email。\n若您沒有提出要求，請忽略本信。',
    'mail.email_changed.subject': '{portal}：您的個人Email已變更',
    'mail.email_changed.body':
      '您好：\n\n{portal}的帳號「{username}」的個人Email已於 {at} 變更為 {email}，之後的通知會寄到新的信箱。\n若不是您本人的操作，請立即洽您的服務單位或縣網中心。',
    'account.profile_incomplete': '您的基本資料尚未完成：',
    'account.sessions.agent': '瀏覽器',
    'account.sessions.ip': '來源位址',
    'account.sessions.revoke': '登出此裝置',
    'account.sessions.revoke_others': '登出其他所有裝置',
    'account.sessions.seen': '最近使用',
    'account.sessions.started': '登入時間',
    'account.sessions.this': '目前使用中的裝置',
    'account.sessions.title': '登入中的裝置',
    'forgot.identifier': '帳號或個人Email',
    'forgot.intro':
      '請輸入您的帳號或註冊時填寫的個人Email，我們會寄送重設密碼的連結到您的個人信箱（連結 1 小時內有效）。',
    'forgot.sent':
      '若資料正確，重設密碼的連結已寄到該帳號登記的個人Email。沒收到的話，請檢查垃圾郵件匣或洽您的服務單位。',
    'forgot.submit': '寄送重設密碼連結',
    'forgot.title': '忘記密碼',
    'mail.reset.subject': '{portal}：重設密碼',
    'mail.reset.body':
      '您好：\n\n有人要求重設帳號「{username}」的密碼。若是您本人，請在 {expires} 前點選下列連結設定新密碼（只能使用一次）：\n\n{link}\n\n若不是您本人，請忽略本信，您的密碼不會改變。',
    'mail.set_password.subject': '{portal}：請設定您的密碼',
    'mail.set_password.body':
      '您好：\n\n縣網中心為您建立了審核人員帳號「{username}」。請在 {expires} 前點選下列連結設定密碼（只能使用一次）：\n\n{link}',
    'mail.set_password_admin.subject': '{portal}：請設定縣網管理帳號的密碼',
    'mail.set_password_admin.body':
      '您好：\n\n系統已為您建立{portal}的縣網管理者帳號「{username}」。請在 {expires} 前點選下列連結設定密碼（只能使用一次）：\n\n{link}\n\n設定後請登入縣網管理：{manage}',
    'mail.password_changed.subject': '{portal}：您的密碼已變更',
    'mail.password_changed.body':
      '您好：\n\n帳號「{username}」的密碼已於 {at} 變更。若不是您本人操作，請立即使用「忘記密碼」重設密碼並通知您的服務單位。',
    'account.error.password_unchanged': '新密碼必須與目前的密碼不同。',
    'reset.done': '密碼已重設，所有裝置上的登入都已登出。請用新密碼登入。',
    'reset.title': '設定新密碼',
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
    'account.error.current_password': 'The current password is wrong.',
    'account.password.current': 'Current password',
    'account.password.done': 'Your password was changed; your other sessions were signed out.',
    'account.password.new': 'New password',
    'account.password.title': 'Change password',
    'account.email.title': 'Change personal email',
    'account.email.intro':
      'Your personal email is {email}. A new address takes effect once you open the confirmation link mailed to it; until then the current one stays.',
    'account.email.new': 'New personal email',
    'account.email.submit': 'Send confirmation mail',
    'account.email.sent':
      'A confirmation mail went to {email}: open its link within 24 hours. Until then, notices such as password resets still go to {old}.',
    'account.email.error.same': 'This is already your personal email.',
    'account.email.confirm_title': 'Confirm your new personal email',
    'account.email.confirm_intro': 'Change your personal email to {email}?',
    'account.email.confirm': 'Confirm the change',
    'account.email.changed': 'Your personal email is now {email}.',
    'mail.email_change.subject': '{portal}: please confirm your new personal email',
    'mail.email_change.body':
      'Hello,\n\nThe account "{username}" at {portal} asked to change its personal email to {email}. Open this link to confirm:\n\n{link}\n\nThe link works once, until {expires}. Until then the current email stays.\nIf you did not ask for this, ignore this mail.',
    'mail.email_changed.subject': '{portal}: your personal email was changed',
    'mail.email_changed.body':
      'Hello,\n\nThe personal email of the account "{username}" at {portal} was changed to {email} at {at}; notices go to the new address from now on.\nIf this was not you, contact your unit or the county network centre at once.',
    'account.profile_incomplete': 'Your profile is not complete yet:',
    'account.sessions.agent': 'Browser',
    'account.sessions.ip': 'Address',
    'account.sessions.revoke': 'Sign out this session',
    'account.sessions.revoke_others': 'Sign out all other sessions',
    'account.sessions.seen': 'Last active',
    'account.sessions.started': 'Signed in',
    'account.sessions.this': 'This session',
    'account.sessions.title': 'Active sessions',
    'forgot.identifier': 'Username or personal email',
    'forgot.intro':
      'Enter your username or the personal email you registered with. We will send a link to reset your password to your personal mailbox (valid for 1 hour).',
    'forgot.sent':
      'If the details match an account, a link to reset the password has been sent to its personal email. If nothing arrives, check your spam folder or ask your school.',
    'forgot.submit': 'Send the reset link',
    'forgot.title': 'Forgot password',
    'mail.reset.subject': '{portal}: reset your password',
    'mail.reset.body':
      'Hello,\n\nSomeone asked to reset the password of "{username}". If it was you, open this link before {expires} to choose a new password (it works once):\n\n{link}\n\nIf it was not you, ignore this mail; your password stays as it is.',
    'mail.set_password.subject': '{portal}: choose your password',
    'mail.set_password.body':
      'Hello,\n\nThe county network center created the reviewer account "{username}" for you. Open this link before {expires} to choose its password (it works once):\n\n{link}',
    'mail.set_password_admin.subject': '{portal}: choose the password of your county administrator account',
    'mail.set_password_admin.body':
      'Hello,\n\nThe county administrator account "{username}" of {portal} was created for you. Open this link before {expires} to choose its password (it works once):\n\n{link}\n\nThen sign in to the county administration: {manage}',
    'mail.password_changed.subject': '{portal}: your password was changed',
    'mail.password_changed.body':
      'Hello,\n\nThe password of "{username}" was changed at {at}. If you did not do this, reset your password with "Forgot password" at once and tell your school.',
    'account.error.password_unchanged': 'The new password must differ from the current one.',
    'reset.done': 'Your password is reset and every session was signed out. Sign in with the new password.',
    'reset.title': 'Choose a new password',
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
