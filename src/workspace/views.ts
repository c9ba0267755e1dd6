import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from '../platform/views/html.ts';
import { page } from '../platform/views/layout.ts';

/** The hidden form field every portal form carries. */
export function csrfField(request: FastifyRequest): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">`;
}

/**
 * A page of the activation portal: its brand, 登入 or 登出 in the header, and the script that
 * reloads a page showing an activation still under way.
 */
export function portalPage(request: FastifyRequest, title: string, main: SafeHtml, signedIn: boolean) {
  const nav = signedIn
    ? html`<form method="post" action="/auth/logout" class="inline">${csrfField(request)}<button type="submit" class="link">${request.t('ws.logout')}</button></form>`
    : html`<a href="/auth/login">${request.t('ws.login')}</a>`;
  return page(request, {
    title,
    brand: { name: request.t('ws.brand'), href: '/' },
    nav,
    main,
    tail: html`<script src="/assets/workspace/progress.js" defer></script>`,
  });
}
