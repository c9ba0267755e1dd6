import type { FastifyRequest } from 'fastify';
import type { Challenge } from '../../platform/security/proof-of-work.ts';
import { html, type SafeHtml } from '../../platform/views/html.ts';
import { challengeField } from '../captcha/captcha.ts';
import { csrfField } from '../views/form.ts';

export interface LoginFormOptions {
  /** Where the form posts (the portal's `/{tenant}/login`, or an OIDC interaction URL). */
  action: string;
  username?: string | undefined;
  /** A localized message about the last attempt. */
  error?: string | undefined;
  /** The challenge to solve, when the policy asks for one. */
  captcha: Challenge | undefined;
  /** Extra hidden fields carried through the attempt (e.g. `next`). */
  hidden?: Record<string, string>;
  headingLevel?: 1 | 2;
}

/**
 * The county login form (帳號, 密碼, and the proof-of-work challenge when the policy asks): the portal home, the
 * login page and the OIDC login interaction all render this one.
 */
export function loginForm(request: FastifyRequest, options: LoginFormOptions): SafeHtml {
  const t = request.t;
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
${options.captcha ? challengeField(request, options.captcha) : ''}
<button type="submit">${t('login.submit')}</button>
</form>`;
}
