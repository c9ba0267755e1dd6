import { defineMessages } from '../../platform/i18n/i18n.ts';

export const loginMessages = defineMessages({
  'zh-TW': {
    'login.username': '帳號：',
    'login.username.placeholder': '請輸入帳號',
    'login.password': '密碼：',
    'login.password.placeholder': '請輸入密碼',
    'login.submit': '登入',
    'login.error.missing': '請輸入帳號及密碼。',
    'login.error.invalid': '帳號或密碼錯誤。',
    'login.error.captcha_required': '請等瀏覽器完成下方的驗證後再登入。',
    'login.error.captcha_wrong': '驗證未通過或已使用過，請等瀏覽器完成新的驗證後再登入。',
    'login.error.throttled': '這個瀏覽器登入此帳號失敗次數過多，請於 {seconds} 秒後再試。',
    'login.error.throttled_unknown_device':
      '此帳號近期有太多來自其他瀏覽器的失敗登入，請改用您曾成功登入過的瀏覽器，或於 {minutes} 分鐘後再試；忘記密碼可使用「忘記密碼」。',
    'login.error.state.pending_email': '您尚未完成電子郵件驗證，請至您的個人信箱點選驗證連結。',
    'login.error.state.pending_review': '您的申請正在等待服務單位審核，審核通過後會寄信通知您。',
    'login.error.state.rejected': '您的申請未獲服務單位核准。',
    'login.error.state.suspended': '此帳號已暫停使用，請洽您的服務單位或縣網中心。',
    'login.error.state.departed': '此帳號已註銷（調出本縣、離職或退休）。',
    'login.error.state.active': '',
    'signed_out.title': '您已登出',
    'signed_out.intro': '這台電腦上的下列服務都已登出：',
    'signed_out.apps': '{apps}（已通知該服務結束登入）',
    'signed_out.again': '下次使用任何一項服務都需要重新輸入密碼。共用電腦使用完畢，請關閉瀏覽器。',
    'signed_out.login': '重新登入',
  },
  en: {
    'login.username': 'Username',
    'login.username.placeholder': 'Your username',
    'login.password': 'Password',
    'login.password.placeholder': 'Your password',
    'login.submit': 'Sign in',
    'login.error.missing': 'Enter your username and password.',
    'login.error.invalid': 'Wrong username or password.',
    'login.error.captcha_required': 'Wait for your browser to finish the check below, then sign in.',
    'login.error.captcha_wrong':
      'The check did not pass or was already used. Wait for your browser to finish a new one, then sign in.',
    'login.error.throttled':
      'Too many failed sign-ins to this account from this browser. Try again in {seconds} seconds.',
    'login.error.throttled_unknown_device':
      'This account has had too many failed sign-ins from other browsers. Use a browser you have signed in with before, or try again in {minutes} minutes; if you forgot your password, use "Forgot password".',
    'login.error.state.pending_email':
      'Your email address is not verified yet: open the link we sent to your personal mailbox.',
    'login.error.state.pending_review':
      'Your application is waiting for your school’s review. We will email you when it is decided.',
    'login.error.state.rejected': 'Your application was not approved by your school.',
    'login.error.state.suspended':
      'This account is suspended. Contact your school or the county network center.',
    'login.error.state.departed': 'This account is closed (moved out of the county, left or retired).',
    'login.error.state.active': '',
    'signed_out.title': 'You are signed out',
    'signed_out.intro': 'These services are signed out on this computer:',
    'signed_out.apps': '{apps} (told to end its sign-in)',
    'signed_out.again':
      'Each of them asks for your password again. On a shared computer, close the browser when you are done.',
    'signed_out.login': 'Sign in again',
  },
});
