import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { captchaDataUrl, currentChallenge, issueChallenge } from '../captcha/captcha.ts';
import { csrfField } from '../views/form.ts';

export interface LoginFormOptions {
  /** Where the form posts (the portal's `/{tenant}/login`, or an OIDC interaction URL). */
  action: string;
  username?: string | undefined;
  /** A localized message about the last attempt. */
  error?: string | undefined;
  /** Show the CAPTCHA (the policy asks for one). */
  captcha: boolean;
  /** Extra hidden fields carried through the attempt (e.g. `next`). */
  hidden?: Record<string, string>;
  /** Render a fresh CAPTCHA instead of the pending one (「換下一個」). */
  newCaptcha?: boolean;
  headingLevel?: 1 | 2;
}

/**
 * The county login form (帳號, 密碼, and the CAPTCHA when the policy asks): the portal home, the
 * login page and the OIDC login interaction all render this one.
 */
export function loginForm(request: FastifyRequest, options: LoginFormOptions): SafeHtml {
  const t = request.t;
  const challenge = options.captcha
    ? options.newCaptcha
      ? issueChallenge(request.session)
      : currentChallenge(request.session)
    : undefined;
  const heading = t('login.title');
  return html`<form method="post" action="${options.action}" class="login" novalidate aria-labelledby="login-heading">
${options.headingLevel === 1 ? html`<h1 id="login-heading">${heading}</h1>` : html`<h2 id="login-heading">${heading}</h2>`}
${csrfField(request)}
${Object.entries(options.hidden ?? {}).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
${options.error ? html`<div class="alert" role="alert" id="login-error"><p>${options.error}</p></div>` : ''}
<div class="field"><label for="login-username">${t('login.username')}</label>
<input id="login-username" name="username" type="text" autocomplete="username" maxlength="64" required value="${options.username ?? ''}" placeholder="${t('login.username.placeholder')}"${options.error ? html` aria-describedby="login-error"` : ''}></div>
<div class="field"><label for="login-password">${t('login.password')}</label>
<input id="login-password" name="password" type="password" autocomplete="current-password" maxlength="256" required placeholder="${t('login.password.placeholder')}"></div>
${
  challenge
    ? html`<fieldset class="captcha"><legend>${t('captcha.legend')}</legend>
<img src="${captchaDataUrl(challenge.digits)}" width="200" height="64" alt="${t('captcha.image.alt')}">
<p class="hint" id="captcha-hint">${t('captcha.hint', { a: challenge.a, b: challenge.b })}</p>
<div class="field"><label for="login-captcha">${t('captcha.label')}</label>
<input id="login-captcha" name="captcha" type="text" inputmode="numeric" autocomplete="off" maxlength="10" aria-describedby="captcha-hint"></div>
<button type="submit" name="captcha_refresh" value="1" class="secondary" formnovalidate>${t('captcha.refresh')}</button>
</fieldset>`
    : ''
}
<button type="submit">${t('login.submit')}</button>
</form>`;
}
