import type { FastifyRequest } from 'fastify';
import { html, type SafeHtml } from './html.ts';

export interface Brand {
  /** Site name shown in the header, e.g. 嘉義縣教師資訊應用服務入口. */
  name: string;
  /** The catalogue key of the name, when the site's name is translated (e.g. 教育雲, Education cloud). */
  nameKey?: string;
  href: string;
}

export interface PageOptions {
  title: string;
  main: SafeHtml;
  brand?: Brand;
  /** Links on the right of the header (sign-in state, register, …). */
  nav?: SafeHtml;
  /** Extra markup before </body>, e.g. a small script. */
  tail?: SafeHtml;
}

function langSwitchHref(request: FastifyRequest): string {
  const url = new URL(request.url, 'http://x');
  url.searchParams.set('lang', request.locale === 'en' ? 'zh-TW' : 'en');
  return `${url.pathname}${url.search}`;
}

/** The brand with its name in the reader's language. */
export function brandIn(request: FastifyRequest, brand: Brand): Brand {
  return brand.nameKey ? { name: request.t(brand.nameKey), href: brand.href } : brand;
}

/** The shared page layout of every role: header, language switch, main landmark, footer. */
export function page(request: FastifyRequest, options: PageOptions): SafeHtml {
  const t = request.t;
  const brand = brandIn(request, options.brand ?? { name: 'EduGate', href: '/' });
  return html`<!doctype html>
<html lang="${request.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${brand.name}</title>
<link rel="stylesheet" href="/assets/edugate.css">
</head>
<body>
<a class="skip" href="#main">${t('layout.skip')}</a>
<header class="site">
  <a class="brand" href="${brand.href}">${brand.name}</a>
  <nav aria-label="${t('layout.nav')}">${options.nav ?? ''}
    <a class="lang" href="${langSwitchHref(request)}" hreflang="${request.locale === 'en' ? 'zh-TW' : 'en'}">${t('lang.switch')}</a>
  </nav>
</header>
<main id="main" tabindex="-1">
${options.main}
</main>
<footer class="site">${t('layout.footer')}</footer>
${options.tail ?? ''}
</body>
</html>`;
}
