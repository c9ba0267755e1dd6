import { defineMessages } from '../i18n/i18n.ts';

/** Pages of the OIDC provider core (consent, logout, protocol errors) in both languages. */
export const oidcMessages = defineMessages({
  'zh-TW': {
    'oidc.consent.title': '授權確認',
    'oidc.consent.intro': '「{client}」要求存取您的下列資料：',
    'oidc.consent.already': '您先前已同意提供：',
    'oidc.consent.remember': '您的選擇會被記住；此應用程式要求更多資料時，會再次詢問您。',
    'oidc.consent.allow': '同意授權',
    'oidc.consent.deny': '拒絕',
    'oidc.logout.title': '登出',
    'oidc.logout.question': '您要登出{site}嗎？',
    'oidc.logout.yes': '是，登出',
    'oidc.logout.no': '否，保持登入',
    'oidc.logout.done': '您已登出{client}。',
    'oidc.logout.done_plain': '您已登出。',
    'oidc.error.title': '無法完成登入',
    'oidc.error.detail':
      '應用程式送出的登入要求有誤（{error}），請回到原網站重新操作；若問題持續，請聯絡該網站的管理者。',
    'oidc.error.session': '登入流程已逾時或已完成，請回到原網站重新登入。',
    'oidc.error.redirect_uri':
      '應用程式要求把登入結果送到它沒有登記過的網址，為了保護您的帳號，登入已停止。請回到原網站重新操作；若問題持續，請聯絡該網站的管理者。',
    'oidc.error.client': '這個應用程式沒有在本站登記或已停用，無法以本站帳號登入。請聯絡該網站的管理者。',
    'oidc.error.technical': '給應用程式管理者的技術資訊（英文）：',
    'error.oidc_redirect_uri_invalid':
      '重新導向網址不正確：{uri}（須為完整的 https 網址，僅本機位址 127.0.0.1、localhost、[::1] 可用 http；不可含 # 或萬用字元）。',
    'error.oidc_redirect_uri_required': '至少需要一個重新導向網址。',
    'error.oidc_scope_unknown': '不支援的授權範圍：{scope}。',
    'error.oidc_client_id_invalid': '用戶端代碼格式不正確。',
    'error.oidc_client_name_required': '請輸入應用程式名稱。',
    'error.oidc_client_exists': '此用戶端代碼已存在。',
    'error.oidc_client_not_found': '找不到此用戶端。',
    'error.oidc_client_public': '公開用戶端沒有密鑰。',
    'error.oidc_tenant_unknown': '找不到此單位的 OpenID 服務：{tenant}。',
    'error.oidc_interaction_expired': '登入流程已逾時或已完成，請回到原網站重新登入。',
    'error.oidc_login_not_fresh': '此應用程式要求您重新輸入密碼，請回到原網站重新登入。',
  },
  en: {
    'oidc.consent.title': 'Authorise access',
    'oidc.consent.intro': '“{client}” asks to access the following information:',
    'oidc.consent.already': 'You already agreed to share:',
    'oidc.consent.remember':
      'Your choice is remembered; you will be asked again if this application asks for more.',
    'oidc.consent.allow': 'Allow',
    'oidc.consent.deny': 'Deny',
    'oidc.logout.title': 'Sign out',
    'oidc.logout.question': 'Do you want to sign out of {site}?',
    'oidc.logout.yes': 'Yes, sign me out',
    'oidc.logout.no': 'No, stay signed in',
    'oidc.logout.done': 'You have signed out of {client}.',
    'oidc.logout.done_plain': 'You have signed out.',
    'oidc.error.title': 'Sign-in could not be completed',
    'oidc.error.detail':
      'The application sent an invalid sign-in request ({error}). Go back to it and try again; if this keeps happening, contact its administrator.',
    'oidc.error.session':
      'This sign-in has expired or was already completed. Go back to the application and sign in again.',
    'oidc.error.redirect_uri':
      'The application asked to receive the sign-in at an address it has not registered, so the sign-in was stopped to protect your account. Go back to the application and try again; if this keeps happening, contact its administrator.',
    'oidc.error.client':
      'This application is not registered here or has been disabled, so it cannot sign you in with this account. Contact its administrator.',
    'oidc.error.technical': 'Technical details for the application’s administrator:',
    'error.oidc_redirect_uri_invalid':
      'Invalid redirect URI: {uri} (a full https URL, plain http only for 127.0.0.1, localhost and [::1]; no # or wildcards).',
    'error.oidc_redirect_uri_required': 'At least one redirect URI is required.',
    'error.oidc_scope_unknown': 'Unsupported scope: {scope}.',
    'error.oidc_client_id_invalid': 'Invalid client id.',
    'error.oidc_client_name_required': 'Enter the application name.',
    'error.oidc_client_exists': 'This client id already exists.',
    'error.oidc_client_not_found': 'No such client.',
    'error.oidc_client_public': 'A public client has no secret.',
    'error.oidc_tenant_unknown': 'No OpenID service for {tenant}.',
    'error.oidc_interaction_expired':
      'This sign-in has expired or was already completed. Go back to the application and sign in again.',
    'error.oidc_login_not_fresh':
      'This application asks you to enter your password again. Go back to it and sign in again.',
  },
});
