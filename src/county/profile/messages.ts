import { defineMessages } from '../../platform/i18n/i18n.ts';

export const profileMessages = defineMessages({
  'zh-TW': {
    'mail.national_id_attempt.subject': '{portal}：有另一個帳號嘗試登錄您的身分證號',
    'mail.national_id_attempt.body':
      '{username} 您好：\n\n帳號「{other}」剛才在個人資料檢核填入了您這個帳號的身分證號。每人在本縣限有一個帳號，這個號碼不會登錄在那個帳號。\n\n如果那是您自己新申請的帳號，請繼續使用這個帳號「{username}」（忘記密碼時可在登入頁使用「忘記密碼」）。如果不是，請告訴您學校的審核人員。',
    'mail.national_id_submitted.subject': '{portal}：{username} 的身分證號待確認',
    'mail.national_id_submitted.body':
      '{unit} 您好：\n\n貴單位人員 {name}（帳號 {username}）登錄了身分證號 {masked}。請核對本人的身分證件後，在審核後台確認或退回：\n\n{link}',
    'profile.check.complete': '您的基本資料已完整，可以使用OpenID認證（包含教育部教育雲服務）。',
    'profile.check.continue': '繼續登入',
    'profile.check.pending_login': '補齊以下資料後，將繼續您剛才的登入。',
    'profile.check.edit_name': '編輯帳號資料',
    'profile.check.goto': '請前往',
    'profile.check.heading': '教師OpenID認證資料檢核',
    'profile.check.national_id_submitted':
      '身分證號 {masked} 已送出，學校審核人員核對您的證件後即登錄，屆時會寄信通知您。',
    'profile.check.no_name': '您尚未登錄姓名資料，以OpenID報名研習活動時將無法正確識別！',
    'profile.check.no_national_id': '您尚未登錄身分證號，無法使用OpenID認證(包含教育部教育雲服務)！',
    'profile.check.remember': '註：麻煩請自行記錄您的帳號及密碼。',
    'profile.check.set_national_id': '登錄身分證號',
    'profile.check.transfer_pending': '服務單位變更申請中：{unit}（{at} 申請，等待該單位審核）',
    'profile.check.unit_checking': '服務單位資料檢查中.....',
    'profile.check.unit_question': '您目前的服務單位是【{unit}】，是否正確？',
    'profile.error.name.characters': '姓名只能包含文字、空格、間隔號「·」及連字號。',
    'profile.error.name.long': '最多 {max} 個字。',
    'profile.error.name.parts_mismatch': '姓、名與真實姓名不符：姓與名合起來應是真實姓名。',
    'profile.family_name': '姓',
    'profile.given_name': '名',
    'profile.name.title': '編輯帳號資料',
    'profile.name_parts.hint': '留白時，2 至 4 個字的中文姓名會以第一個字為姓。',
    'profile.national_id.title': '登錄身分證號',
    'profile.national_id.why':
      '沒有身分證號，縣市 OpenID 無法提供您的身分（包含教育部教育雲）。每人在本縣限有一個帳號。送出後，由學校審核人員核對您的證件後登錄。',
    'profile.real_name.hint': '以OpenID報名研習活動時用來識別您。',
    'profile.unit.cancel': '取消變更申請',
    'profile.unit.change': '變更服務單位',
    'profile.unit.change.intro': '在本縣內調動時帳號不變。請選擇新的服務單位；經該單位審核人員核准後生效。',
    'profile.unit.confirm': '確認資料正確',
    'profile.unit.request': '申請調入此單位',
  },
  en: {
    'mail.national_id_attempt.subject': '{portal}: another account tried to record your national ID',
    'mail.national_id_attempt.body':
      'Dear {username},\n\nThe account "{other}" has just entered the national ID number of this account on its profile check. Each person has one account in the county, so the number will not be recorded on that account.\n\nIf that was a new account of your own, please keep using this account "{username}" (use "Forgot password" on the sign-in page if needed). If not, please tell your school\'s reviewer.',
    'mail.national_id_submitted.subject': '{portal}: the national ID number of {username} awaits your check',
    'mail.national_id_submitted.body':
      'Dear {unit},\n\n{name} (account {username}) of your unit entered the national ID number {masked}. Please check their identity document, then confirm or decline it in the review console:\n\n{link}',
    'profile.check.complete':
      'Your profile is complete: OpenID sign-in (including the education cloud) is available.',
    'profile.check.continue': 'Continue signing in',
    'profile.check.pending_login': 'Once the details below are complete, the sign-in you started continues.',
    'profile.check.edit_name': 'Edit account details',
    'profile.check.goto': 'Go to',
    'profile.check.heading': 'teacher OpenID identity data check',
    'profile.check.national_id_submitted':
      'National ID number {masked} sent: it is recorded once your school’s reviewer has checked your identity document; you will get a mail.',
    'profile.check.no_name':
      'You have not entered your name: workshops you register for with OpenID cannot identify you!',
    'profile.check.no_national_id':
      'You have not entered your national ID number: OpenID sign-in (including the education cloud) is unavailable!',
    'profile.check.remember': 'Note: please keep a record of your username and password.',
    'profile.check.set_national_id': 'Enter national ID number',
    'profile.check.transfer_pending':
      'Change of unit requested: {unit} (asked {at}, waiting for that unit’s approval)',
    'profile.check.unit_checking': 'Checking your unit…',
    'profile.check.unit_question': 'Your current unit is 【{unit}】. Is this right?',
    'profile.error.name.characters':
      'A name may contain letters, spaces, the middle dot “·” and hyphens only.',
    'profile.error.name.long': 'At most {max} characters.',
    'profile.error.name.parts_mismatch':
      'The family and given name do not match the real name: together they must make the real name.',
    'profile.family_name': 'Family name',
    'profile.given_name': 'Given name',
    'profile.name.title': 'Edit account details',
    'profile.name_parts.hint':
      'If left empty, a Chinese name of 2–4 characters is split after its first character.',
    'profile.national_id.title': 'Enter national ID number',
    'profile.national_id.why':
      'Without it, the county OpenID cannot vouch for you (including to the education cloud). Each person may have one account in the county. Your school’s reviewer records it after checking your identity document.',
    'profile.real_name.hint': 'Used to identify you when you register for workshops with OpenID.',
    'profile.unit.cancel': 'Cancel the request',
    'profile.unit.change': 'Change unit',
    'profile.unit.change.intro':
      'Moving within the county keeps your account. Choose your new unit; the change takes effect when its reviewer approves.',
    'profile.unit.confirm': 'Yes, this is right',
    'profile.unit.request': 'Ask to move here',
  },
});
