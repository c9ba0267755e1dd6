import type { FastifyRequest } from 'fastify';
import type { KoaContextWithOIDC } from 'oidc-provider';
import { type I18n, negotiateLocale } from '../i18n/i18n.ts';
import { html, type SafeHtml } from '../views/html.ts';
import { type Brand, page } from '../views/layout.ts';

/**
 * Renders a page of the shared layout from inside oidc-provider (a Koa app): logout and protocol
 * error pages. The layout reads only the locale, the translator and the URL of the request.
 */
export function koaPage(
  ctx: KoaContextWithOIDC,
  i18n: I18n,
  brand: Brand,
  title: string,
  main: SafeHtml,
): string {
  const locale = negotiateLocale(ctx.cookies.get('edugate_lang'), ctx.get('accept-language'));
  const request = { locale, t: i18n.translator(locale), url: ctx.originalUrl } as unknown as FastifyRequest;
  return page(request, { title, brand, main }).value;
}

export function koaTranslator(ctx: KoaContextWithOIDC, i18n: I18n) {
  return i18n.translator(negotiateLocale(ctx.cookies.get('edugate_lang'), ctx.get('accept-language')));
}

export { html };
