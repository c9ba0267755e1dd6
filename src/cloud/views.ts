import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendPage } from '../platform/http/role-app.ts';
import { html, type SafeHtml } from '../platform/views/html.ts';
import { page } from '../platform/views/layout.ts';
import type { CloudAccount } from './account/accounts.ts';
import { currentCloudAccount } from './session.ts';

export interface CloudPageOptions {
  title: string;
  main: SafeHtml;
  /** Account to show in the header (looked up when not given). */
  account?: CloudAccount | undefined;
  /** Same-origin scripts (`/assets/cloud/*.js`); inline scripts are blocked by the CSP. */
  scripts?: string[];
  status?: number;
}

/** The hidden form field every cloud form carries. */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">`;
}

/** Notices (`?notice=key`) shown after a redirect, limited to known keys. */
export function notice(request: FastifyRequest, allowed: string[]): SafeHtml {
  const key = (request.query as Record<string, unknown> | undefined)?.notice;
  if (typeof key !== 'string' || !allowed.includes(key)) return html``;
  return html`<div class="notice" role="status"><p>${request.t(key)}</p></div>`;
}

/** A list of violation codes as an alert (the codes are catalogue keys). */
export function violations(request: FastifyRequest, codes: string[]): SafeHtml {
  if (codes.length === 0) return html``;
  return html`<div class="alert" role="alert"><ul>${codes.map((c) => html`<li>${request.t(c)}</li>`)}</ul></div>`;
}

export async function sendCloudPage(request: FastifyRequest, reply: FastifyReply, options: CloudPageOptions) {
  const account = options.account ?? (await currentCloudAccount(request));
  const t = request.t;
  const nav = account
    ? html`<a href="/account">${request.server.cloud.emailOf(account)}</a>
${account.isAdmin ? html`<a href="/admin">${t('cloud.nav.admin')}</a>` : ''}
<form method="post" action="/logout" class="inline">${csrfField(request)}<button type="submit" class="link">${t('cloud.nav.logout')}</button></form>`
    : html`<a href="/login">${t('cloud.nav.login')}</a>`;
  const tail = html`${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}`;
  return sendPage(
    reply,
    page(request, {
      title: options.title,
      brand: { name: t('cloud.brand'), href: '/' },
      nav,
      main: options.main,
      tail,
    }),
    options.status,
  );
}
