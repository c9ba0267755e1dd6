// Test support for the county role: a booted county app on a throw-away database, its outbox, and
// a small cookie-keeping client for `app.inject()`.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { isValidNationalId } from '../identity/index.ts';
import { loadConfig } from '../platform/config/load.ts';
import type { Config } from '../platform/config/options.ts';
import type { PlatformTables } from '../platform/database/platform-schema.ts';
import { DEMO_PASSWORD } from '../platform/federation/seed-data.ts';
import type { MailTransport } from '../platform/mail/mailer.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { bootRole } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { listenRole } from '../platform/runtime/roles.ts';
import { loadSecrets } from '../platform/runtime/secrets.ts';
import type { TestDatabaseKind } from '../platform/testing/databases.ts';
import { freeAdminPortBase, freePort } from '../platform/testing/ports.ts';
import { type Account, insertAccount } from './accounts/repository.ts';
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
  /** A client signed in at 嘉義縣 as `username` (the demo password unless given), from `ip`. */
  signIn(username: string, options?: { ip?: string; password?: string }): Promise<TestClient>;
  /** An active account of 嘉義縣 with the demo password, at `unitCode` (a 嘉義縣 school by default). */
  newTeacher(
    username: string,
    options?: { unitCode?: string; role?: 'teacher' | 'reviewer' },
  ): Promise<Account>;
  close(): Promise<void>;
}

/**
 * A county role with the demo seed, on a fresh database of the given kind; jobs run on `drain()`.
 * `log`: where the role logs (silent otherwise).
 */
export async function startCountyTestApp(
  kind: TestDatabaseKind,
  overrides: Partial<Config> = {},
  options: { listen?: boolean; log?: Logger } = {},
): Promise<CountyTestApp & { config: Config }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-county-'));
  const countyPort = options.listen ? await freePort() : 0;
  const adminPort = options.listen ? await freeAdminPortBase() : 0;
  const config = loadConfig(
    {},
    { dataDir, logLevel: 'silent', captcha: 'off', countyPort, adminPort, ...overrides },
  );
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
    log: options.log ?? createLogger('silent'),
    demo: true,
    database,
    mailTransport: transport,
    startJobs: false,
  });
  const ctx = running.ctx;
  if (options.listen) await listenRole(running, config);
  const county = countyServices(ctx);
  let demoHash: Promise<string> | undefined;
  return {
    config,
    app: running.app,
    ctx,
    county,
    sent,
    drain: () => running.ctx.jobs.drain(),
    lastMailTo: (to) => sent.filter((m) => m.to.toLowerCase() === to.toLowerCase()).at(-1),
    async signIn(username, { ip = '203.0.113.20', password = DEMO_PASSWORD } = {}) {
      const client = new TestClient(running.app, ip);
      await client.get('/cyc/login');
      const response = await client.post('/cyc/login', { username, password });
      if (response.status !== 303) {
        throw new Error(`${username} could not sign in (${response.status}): ${response.body.slice(0, 200)}`);
      }
      return client;
    },
    async newTeacher(username, { unitCode = '454503', role = 'teacher' } = {}) {
      demoHash ??= county.hasher.hash(DEMO_PASSWORD);
      return insertAccount(county.db, {
        tenant: 'cyc',
        username,
        passwordHash: await demoHash,
        email: `${username}@example.org`,
        role,
        state: 'active',
        unitCode,
      });
    },
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

/**
 * A browser-like client: keeps cookies and reads the CSRF token from the last page. Given the app,
 * it calls `app.inject()`; given a base URL (`http://127.0.0.1:PORT`), it talks HTTP to a
 * listening server, as a browser does (the client address is then the loopback one).
 */
export class TestClient {
  readonly #target: FastifyInstance | string;
  readonly #cookies = new Map<string, string>();
  csrf = '';
  ip: string;

  constructor(target: FastifyInstance | string, ip = '203.0.113.10') {
    this.#target = target;
    this.ip = ip;
  }

  #cookieHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  #keep(set: string[]): void {
    for (const line of set) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  async #send(method: 'GET' | 'POST', url: string, form?: Record<string, string>): Promise<Response> {
    const path = url.replace(/^https?:\/\/[^/]+/, '');
    const headers: Record<string, string> = { cookie: this.#cookieHeader(), accept: 'text/html' };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const payload = form ? new URLSearchParams(form).toString() : undefined;
    let response: Response;
    if (typeof this.#target === 'string') {
      const r = await fetch(`${this.#target}${path}`, {
        method,
        headers,
        redirect: 'manual',
        ...(payload !== undefined ? { body: payload } : {}),
      });
      this.#keep(r.headers.getSetCookie());
      response = { status: r.status, body: await r.text(), headers: Object.fromEntries(r.headers) };
    } else {
      const r = await this.#target.inject({
        method,
        url: path,
        headers,
        ...(payload !== undefined ? { payload } : {}),
        remoteAddress: this.ip,
      });
      const set = r.headers['set-cookie'];
      this.#keep((Array.isArray(set) ? set : set ? [set] : []).map(String));
      response = { status: r.statusCode, body: r.body, headers: r.headers };
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body)?.[1];
    if (token) this.csrf = token;
    return response;
  }

  get(url: string): Promise<Response> {
    return this.#send('GET', url);
  }

  /** Posts a form; `_csrf` is the last page's token unless given (pass `_csrf: ''` to omit it). */
  post(url: string, form: Record<string, string>): Promise<Response> {
    const fields = { _csrf: this.csrf, ...form };
    if (fields._csrf === '') delete (fields as Record<string, string>)._csrf;
    return this.#send('POST', url, fields);
  }
}

/** A valid national ID (checksum included) for each `index`, all different: `A1` + seven digits + check. */
export function sampleNationalId(index: number): string {
  const stem = `A1${String(index).padStart(7, '0')}`;
  for (let check = 0; check < 10; check++) {
    const id = `${stem}${check}`;
    if (isValidNationalId(id)) return id;
  }
  throw new Error(`no check digit for ${stem}`);
}

/**
 * A CSV for `edugate county import-accounts` of `count` teachers of the demo county `cyc` with MD5
 * hashes as an older portal stored them; every fourth has a national ID. Usernames `import<N>`.
 */
export function legacyAccountsCsv(count: number, from = 0): string {
  const lines = ['username,email,password_hash,unit_code,real_name,national_id,titles'];
  for (let i = from; i < from + count; i++) {
    const id = i % 4 === 0 ? sampleNationalId(i) : '';
    lines.push(
      `import${i},import${i}@school.example.org,md5$${md5(`password ${i}`)},454503,老師${i},${id},教師`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
