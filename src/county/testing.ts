// Test support for the county role: a booted county app on a throw-away database, its outbox, and
// a small cookie-keeping client for `app.inject()`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../platform/config/load.ts';
import type { Config } from '../platform/config/options.ts';
import type { PlatformTables } from '../platform/database/platform-schema.ts';
import type { MailTransport } from '../platform/mail/mailer.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { bootRole } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { loadSecrets } from '../platform/runtime/secrets.ts';
import type { TestDatabaseKind } from '../platform/testing/databases.ts';
import { freePort } from '../platform/testing/ports.ts';
import { countyMigrations } from './migrations.ts';
import { countyRole } from './role.ts';
import type { CountyTables } from './schema.ts';
import { type County, countyServices } from './services.ts';

export interface SentMail {
  to: string;
  subject: string;
  text: string;
}

export interface CountyTestApp {
  app: FastifyInstance;
  county: County;
  ctx: RoleContext<CountyTables>;
  sent: SentMail[];
  /** Runs due jobs (mail delivery, reminders…) now. */
  drain(): Promise<number>;
  /** The links (`http…`) of the last mail to `to`. */
  lastMailTo(to: string): SentMail | undefined;
  close(): Promise<void>;
}

/** A county role with the demo seed, on a fresh database of the given kind; jobs run on `drain()`. */
export async function startCountyTestApp(
  kind: TestDatabaseKind,
  overrides: Partial<Config> = {},
  options: { listen?: boolean } = {},
): Promise<CountyTestApp & { config: Config }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-county-'));
  const countyPort = options.listen ? await freePort() : 0;
  const config = loadConfig({}, { dataDir, logLevel: 'silent', captcha: 'off', countyPort, ...overrides });
  const database = await kind.open<PlatformTables>(countyMigrations);
  const sent: SentMail[] = [];
  const transport: MailTransport = {
    async send(message) {
      sent.push({ to: message.to, subject: message.subject, text: message.text });
      return `<${sent.length}@test>`;
    },
    close() {},
  };
  const running = await bootRole(countyRole, {
    config,
    // Listening like a real server: the CLI finds the admin token in the data directory.
    secrets: loadSecrets(config, options.listen === true),
    log: createLogger('silent'),
    demo: true,
    database,
    mailTransport: transport,
    startJobs: false,
  });
  const ctx = running.ctx as unknown as RoleContext<CountyTables>;
  if (options.listen) await running.app.listen({ port: countyPort, host: '127.0.0.1' });
  return {
    config,
    app: running.app,
    ctx,
    county: countyServices(ctx),
    sent,
    drain: () => running.ctx.jobs.drain(),
    lastMailTo: (to) => sent.filter((m) => m.to.toLowerCase() === to.toLowerCase()).at(-1),
    async close() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Extracts the links of a mail body. */
export function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"']+/g)].map((m) => m[0]);
}

interface Response {
  status: number;
  body: string;
  headers: Record<string, string | string[] | number | undefined>;
}

/** A browser-like client for inject(): keeps cookies and reads the CSRF token from the last page. */
export class TestClient {
  readonly #app: FastifyInstance;
  readonly #cookies = new Map<string, string>();
  csrf = '';
  ip: string;

  constructor(app: FastifyInstance, ip = '203.0.113.10') {
    this.#app = app;
    this.ip = ip;
  }

  #cookieHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  #keep(headers: Record<string, unknown>): void {
    const set = headers['set-cookie'];
    for (const line of Array.isArray(set) ? set : set ? [String(set)] : []) {
      const [pair = ''] = String(line).split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(String(line)) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  async get(url: string): Promise<Response> {
    const r = await this.#app.inject({
      method: 'GET',
      url: url.replace(/^https?:\/\/[^/]+/, ''),
      headers: { cookie: this.#cookieHeader(), accept: 'text/html' },
      remoteAddress: this.ip,
    });
    this.#keep(r.headers);
    const token = /name="_csrf" value="([^"]+)"/.exec(r.body)?.[1];
    if (token) this.csrf = token;
    return { status: r.statusCode, body: r.body, headers: r.headers };
  }

  /** Posts a form; `_csrf` is the last page's token unless given (pass `_csrf: ''` to omit it). */
  async post(url: string, form: Record<string, string>): Promise<Response> {
    const fields = { _csrf: this.csrf, ...form };
    if (fields._csrf === '') delete (fields as Record<string, string>)._csrf;
    const r = await this.#app.inject({
      method: 'POST',
      url: url.replace(/^https?:\/\/[^/]+/, ''),
      headers: {
        cookie: this.#cookieHeader(),
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: new URLSearchParams(fields).toString(),
      remoteAddress: this.ip,
    });
    this.#keep(r.headers);
    const token = /name="_csrf" value="([^"]+)"/.exec(r.body)?.[1];
    if (token) this.csrf = token;
    return { status: r.statusCode, body: r.body, headers: r.headers };
  }
}
