import { defineMessages } from '../../platform/i18n/i18n.ts';

export const campaignMessages = defineMessages({
  'zh-TW': {
    'error.county.campaign_closed': '此清查已結束。',
    'error.county.campaign_open': '此清查尚未結束。',
    'mail.campaign.subject': '{portal}：帳號清查「{title}」',
    'mail.campaign.body':
      '{unit} 審核人員您好：\n\n縣網中心開始帳號清查「{title}」。請在 {deadline} 前登入審核介面，逐一確認貴單位的人員名單：\n\n{console}\n\n截止時仍未確認的帳號將暫停使用。',
    'mail.campaign_reminder.subject': '提醒：帳號清查「{title}」尚有 {count} 個帳號未確認',
    'mail.campaign_reminder.body':
      '{unit} 審核人員您好：\n\n帳號清查「{title}」將於 {deadline} 截止，貴單位尚有 {count} 個帳號未確認：\n\n{console}',
    'mail.campaign_closed.subject': '{portal}：帳號清查「{title}」已結束',
    'mail.campaign_closed.body':
      '{unit} 您好：\n\n帳號清查「{title}」已結束。下列貴單位帳號未經確認，已暫停使用：\n\n{accounts}\n\n如有誤，請洽縣網中心恢復。',
  },
  en: {
    'error.county.campaign_closed': 'This audit campaign is closed.',
    'error.county.campaign_open': 'This audit campaign is still open.',
    'mail.campaign.subject': '{portal}: account audit "{title}"',
    'mail.campaign.body':
      'Dear reviewer of {unit},\n\nThe county network center started the account audit "{title}". Before {deadline}, sign in to the review console and confirm your staff list:\n\n{console}\n\nAccounts not confirmed by then will be suspended.',
    'mail.campaign_reminder.subject': 'Reminder: account audit "{title}" has {count} unconfirmed accounts',
    'mail.campaign_reminder.body':
      'Dear reviewer of {unit},\n\nThe account audit "{title}" ends at {deadline}; {count} accounts of your unit are not confirmed yet:\n\n{console}',
    'mail.campaign_closed.subject': '{portal}: account audit "{title}" ended',
    'mail.campaign_closed.body':
      'Dear {unit},\n\nThe account audit "{title}" ended. These accounts of your unit were not confirmed and are now suspended:\n\n{accounts}\n\nIf this is a mistake, ask the county network center to reactivate them.',
  },
});
