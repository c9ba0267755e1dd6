import { defineMessages } from '../../platform/i18n/i18n.ts';

export const transferMessages = defineMessages({
  'zh-TW': {
    'error.county.transfer_cancelled': '此服務單位變更申請已撤回或已由其他申請取代，不需要再審核。',
    'error.county.transfer_same_unit': '您已經在這個服務單位。',
    'mail.transfer.subject': '{portal}：{username} 申請調入{unit}',
    'mail.transfer.body':
      '{unit} 審核人員您好：\n\n{name}（帳號 {username}）申請將服務單位由{from}變更為貴單位。\n\n請確認申請人確為貴單位教職員後，點選下列連結：\n\n核准：{approve}\n\n不核准（需填寫原因）：{reject}\n\n連結在 {expires} 前有效，只能使用一次。也可以登入審核介面處理：{console}',
    'mail.transfer_approved.subject': '{portal}：服務單位變更已核准',
    'mail.transfer_approved.body': '您好：\n\n您的帳號「{username}」的服務單位已變更為{unit}。',
    'mail.transfer_rejected.subject': '{portal}：服務單位變更未獲核准',
    'mail.transfer_rejected.body':
      '您好：\n\n{unit}未核准帳號「{username}」的服務單位變更申請，原因：\n\n{reason}\n\n如有疑問請洽該單位。',
    'mail.transfer_reminder.subject': '提醒：{username} 申請調入{unit}，仍待審核',
    'mail.transfer_reminder.body':
      '{unit} 審核人員您好：\n\n以下服務單位變更申請仍在等待貴單位審核：\n\n{name}（帳號 {username}）申請將服務單位由{from}變更為貴單位。\n申請時間：{applied}\n\n核准：{approve}\n\n不核准（需填寫原因）：{reject}\n\n連結在 {expires} 前有效，只能使用一次。審核介面：{console}',
    'review.transfer.approved': '已核准 {username} 調入貴單位，申請人會收到通知信。',
    'review.transfer.confirm': '確認 {name}（帳號 {username}）是貴單位的教職員，核准調入貴單位？',
    'review.transfer.from': '原服務單位',
    'review.transfer.rejected': '已不核准 {username} 的調入申請，申請人會收到通知信及原因。',
    'review.transfer.title': '服務單位變更審核',
    'review.transfer.to': '申請調入',
  },
  en: {
    'error.county.transfer_cancelled':
      'This change-of-unit request was withdrawn or replaced by another one; nothing is left to decide.',
    'error.county.transfer_same_unit': 'You already belong to this unit.',
    'mail.transfer.subject': '{portal}: {username} asks to move to {unit}',
    'mail.transfer.body':
      'Dear reviewer of {unit},\n\n{name} (account {username}) asks to change their unit from {from} to yours.\n\nAfter checking that they are on your staff, open one of these links:\n\nApprove: {approve}\n\nReject (a reason is asked): {reject}\n\nThe links work once, until {expires}. You can also decide in the review console: {console}',
    'mail.transfer_approved.subject': '{portal}: your change of unit was approved',
    'mail.transfer_approved.body': 'Hello,\n\nThe unit of your account "{username}" is now {unit}.',
    'mail.transfer_rejected.subject': '{portal}: your change of unit was not approved',
    'mail.transfer_rejected.body':
      'Hello,\n\n{unit} did not approve the change of unit of "{username}". Reason:\n\n{reason}\n\nPlease contact that unit with any questions.',
    'mail.transfer_reminder.subject':
      'Reminder: the request of {username} to move to {unit} still awaits review',
    'mail.transfer_reminder.body':
      'Dear reviewer of {unit},\n\nThis request to change unit still awaits your decision:\n\n{name} (account {username}) asks to change their unit from {from} to yours.\nRequested: {applied}\n\nApprove: {approve}\n\nReject (a reason is asked): {reject}\n\nThe links work once, until {expires}. Review console: {console}',
    'review.transfer.approved': 'Move of {username} to your unit approved; they are told by email.',
    'review.transfer.confirm':
      'Confirm that {name} (account {username}) is on your staff and approve the move?',
    'review.transfer.from': 'Current unit',
    'review.transfer.rejected': 'Move of {username} not approved; they are told by email, with the reason.',
    'review.transfer.title': 'Review a change of unit',
    'review.transfer.to': 'Moving to',
  },
});
