// Test support for the county role: a booted county app on a throw-away database, its outbox, and
// signed-in clients (`TestClient`, platform/testing/test-client.ts).
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
import { TestClient } from '../platform/testing/test-client.ts';
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

export { TestClient };

/** Extracts the links of a mail body. */
export function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"']+/g)].map((m) => m[0]);
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
