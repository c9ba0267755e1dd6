import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { type I18n, negotiateLocale } from '../../i18n/i18n.ts';

const LANG_COOKIE = 'edugate_lang';

/**
 * `request.locale` and `request.t` on every request: `?lang=` (remembered in a cookie), the cookie,
 * then Accept-Language. Register after the cookie plugin.
 */
export const language = fp(async (app: FastifyInstance, { i18n }: { i18n: I18n }) => {
  app.decorateRequest('locale', 'zh-TW');
  // Until the hook below runs (a request refused earlier): the default language.
  app.decorateRequest('t', i18n.translator('zh-TW'));
  app.addHook('onRequest', async (request, reply) => {
    const query = request.query as Record<string, unknown> | undefined;
    const asked = typeof query?.lang === 'string' ? query.lang : undefined;
    if (asked === 'en' || asked === 'zh-TW') {
      reply.setCookie(LANG_COOKIE, asked, { path: '/', sameSite: 'lax', maxAge: 365 * 86400 });
    }
    request.locale = negotiateLocale(
      asked ?? request.cookies[LANG_COOKIE],
      request.headers['accept-language'],
    );
    request.t = i18n.translator(request.locale);
  });
});
