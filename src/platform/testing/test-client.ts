import type { FastifyInstance } from 'fastify';
import { CookieBrowser, injectInto } from './cookie-browser.ts';

export interface TestResponse {
  status: number;
  body: string;
  /** Each header once; `set-cookie` as the list of its lines. */
  headers: Record<string, string | string[] | undefined>;
}

/**
 * A browser-like client for form tests: a `CookieBrowser` that also reads the CSRF token from the
 * last page and sends it with the next form. Given the app, it calls `app.inject()` from `ip`;
 * given a base URL (`http://127.0.0.1:PORT`), it talks HTTP to a listening server, as a browser
 * does (the client address is then the loopback one). A full URL (a mailed link) goes to the same
 * server.
 */
export class TestClient {
  readonly browser: CookieBrowser;
  readonly #base: URL;
  csrf = '';
  ip: string;

  constructor(target: FastifyInstance | string, ip = '203.0.113.10') {
    this.ip = ip;
    if (typeof target === 'string') {
      this.#base = new URL(target);
      this.browser = new CookieBrowser();
    } else {
      this.#base = new URL('http://inject.test');
      this.browser = new CookieBrowser(injectInto(target, () => this.ip));
    }
  }

  async #send(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<TestResponse> {
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    const response = await this.browser.request(new URL(path, this.#base), {
      method,
      ...(form ? { form } : {}),
    });
    const headers: TestResponse['headers'] = Object.fromEntries(response.headers);
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) headers['set-cookie'] = cookies;
    const body = await response.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(body)?.[1];
    if (token) this.csrf = token;
    return { status: response.status, body, headers };
  }

  get(url: string): Promise<TestResponse> {
    return this.#send('GET', url);
  }

  /** Posts a form; `_csrf` is the last page's token unless given (pass `_csrf: ''` to omit it). */
  post(url: string, form: Record<string, string>): Promise<TestResponse> {
    const fields = { _csrf: this.csrf, ...form };
    if (fields._csrf === '') delete (fields as Record<string, string>)._csrf;
    return this.#send('POST', url, fields);
  }
}
