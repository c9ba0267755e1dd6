// A browser without JavaScript for HTTP tests of every role: keeps cookies (by name and path, as
// browsers do across the ports of one host) and follows redirects across sites. It reaches servers
// over the network, or a Fastify app in process through `inject()` (`injectInto`).
import type { FastifyInstance } from 'fastify';

export interface PageResult {
  url: URL;
  status: number;
  text: string;
}

/** How a request reaches its server; redirects are not followed (`CookieBrowser.follow` does). */
export type Transport = (
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<Response>;

/**
 * The network, as a browser uses it: a request whose kept-alive connection the other side closed
 * before answering (a server or proxy that went away between two requests) goes again once, on a
 * new connection.
 */
const network: Transport = async (url, init) => {
  try {
    return await fetch(url, { ...init, redirect: 'manual' });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetch(url, { ...init, redirect: 'manual' });
  }
};

/** HTTP responses without a body. */
const NO_BODY = new Set([101, 204, 205, 304]);

/**
 * Requests go to `app` in process (`app.inject()`, no socket), from the client address
 * `remoteAddress()` returns at the time; the URL's host is not looked at.
 */
export function injectInto(app: FastifyInstance, remoteAddress: () => string): Transport {
  return async (url, init) => {
    const response = await app.inject({
      method: init.method as 'GET' | 'POST',
      url: `${url.pathname}${url.search}`,
      headers: init.headers,
      ...(init.body === undefined ? {} : { payload: init.body }),
      remoteAddress: remoteAddress(),
    });
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
        headers.append(name, String(one));
      }
    }
    const body = NO_BODY.has(response.statusCode) ? null : new Uint8Array(response.rawPayload);
    return new Response(body, { status: response.statusCode, headers });
  };
}

export class CookieBrowser {
  readonly cookies = new Map<string, { value: string; path: string }>();
  readonly #transport: Transport;

  constructor(transport: Transport = network) {
    this.#transport = transport;
  }

  /** The Cookie header this browser sends to `url`. */
  cookieHeader(url: URL): string {
    return [...this.cookies.entries()]
      .filter(([, c]) => url.pathname.startsWith(c.path))
      .map(([key, c]) => `${key.split('|')[0]}=${c.value}`)
      .join('; ');
  }

  #store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const path = attributes.find((a) => a.toLowerCase().startsWith('path='))?.slice(5) ?? '/';
      const expired = attributes.some((a) => /^expires=thu, 01 jan 1970/i.test(a) || /^max-age=0$/i.test(a));
      const key = `${name}|${path}`;
      if (expired || value === '') this.cookies.delete(key);
      else this.cookies.set(key, { value, path });
    }
  }

  async request(
    url: string | URL,
    init: { form?: Record<string, string>; accept?: string; method?: string } = {},
  ): Promise<Response> {
    const target = new URL(url);
    const headers: Record<string, string> = { accept: init.accept ?? 'text/html' };
    const cookie = this.cookieHeader(target);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await this.#transport(target, {
      method: init.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      ...(body === undefined ? {} : { body }),
    });
    this.#store(response);
    return response;
  }

  /**
   * Requests `url` and follows redirects until a page is shown, or until the next hop would go to
   * a URL starting with `stopBefore` (returned without requesting it).
   */
  async follow(
    url: string | URL,
    init: { form?: Record<string, string>; method?: string; stopBefore?: string } = {},
  ): Promise<PageResult> {
    let current = new URL(url);
    const first = {
      ...(init.form ? { form: init.form } : {}),
      ...(init.method ? { method: init.method } : {}),
    };
    let response = await this.request(current, first);
    for (let hops = 0; hops < 25; hops++) {
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) break;
      current = new URL(location, current);
      if (init.stopBefore && current.href.startsWith(init.stopBefore)) {
        return { url: current, status: response.status, text: '' };
      }
      response = await this.request(current);
    }
    return { url: current, status: response.status, text: await response.text() };
  }
}

/** The action and hidden fields of the form whose action contains `actionPart`. */
export function formOn(
  page: PageResult,
  actionPart: string,
): { action: URL; fields: Record<string, string> } {
  for (const match of page.text.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const action = (match[1] ?? '').replaceAll('&amp;', '&');
    if (!action.includes(actionPart)) continue;
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name) fields[name] = value.replaceAll('&amp;', '&');
    }
    return { action: new URL(action, page.url), fields };
  }
  throw new Error(`no form posting to ${actionPart} on ${page.url.href}: ${page.text.slice(0, 400)}`);
}

/** The hidden inputs and action of the first form on a page. */
export function formOf(pageText: string, base: URL): { action: URL; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(pageText);
  if (!form) throw new Error(`no form on the page: ${pageText.slice(0, 300)}`);
  const fields: Record<string, string> = {};
  for (const input of (form[2] ?? '').matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
    if (name) fields[name] = value.replaceAll('&amp;', '&');
  }
  return { action: new URL((form[1] ?? '').replaceAll('&amp;', '&'), base), fields };
}
