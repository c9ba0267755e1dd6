import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Migrator } from 'kysely/migration';
import nodemailer from 'nodemailer';
import { type Config, options } from '../platform/config/options.ts';
import { openDatabase, type RoleName, roleDatabaseTarget } from '../platform/database/connect.ts';
import { legacyEmbeddedDirectories, legacyLayoutAdvice } from '../platform/database/embedded.ts';
import { platformMigrations } from '../platform/database/platform-migrations.ts';
import { isRoleName } from '../platform/runtime/roles.ts';
import { missingProductionSecrets } from '../platform/runtime/secrets.ts';
import { checkSealedColumns } from '../platform/security/sealed-columns.ts';
import { ROLES } from '../roles.ts';

export type Level = 'ok' | 'warn' | 'fail';

/** One line of `edugate doctor`: what was checked, how it went and, when not ok, what to do. */
export interface Finding {
  level: Level;
  check: string;
  message: string;
}

export interface DoctorOptions {
  /** The roles this machine runs (default: county, cloud and workspace). */
  roles?: RoleName[];
  /** Check a demo set-up: what production needs is a warning instead of an error. */
  demo?: boolean;
  /** How long a network check waits for its server. */
  timeoutMs?: number;
}

const PRODUCTION_ROLES: RoleName[] = ['county', 'cloud', 'workspace'];
const DEFAULT_SMTP = options.smtpUrl.schema.parse(undefined);

const URL_OPTIONS: Record<RoleName, Array<[keyof Config, string]>> = {
  county: [['countyUrl', 'EDUGATE_COUNTY_URL']],
  cloud: [
    ['cloudUrl', 'EDUGATE_CLOUD_URL'],
    ['workspaceUrl', 'EDUGATE_WORKSPACE_URL'],
  ],
  workspace: [
    ['workspaceUrl', 'EDUGATE_WORKSPACE_URL'],
    ['cloudUrl', 'EDUGATE_CLOUD_URL'],
  ],
  google: [['googleUrl', 'EDUGATE_GOOGLE_URL']],
};

function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

function reason(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  if (Array.isArray(e.errors) && e.errors.length > 0) return reason(e.errors[0]);
  return [e.code, e.message].filter(Boolean).join(' ') || String(error);
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\./.test(h);
}

function secretsCheck(config: Config, demo: boolean): Finding[] {
  const missing = missingProductionSecrets(config);
  if (missing.length === 0) return [{ level: 'ok', check: 'secrets', message: 'all set in the environment' }];
  return [
    {
      level: demo ? 'warn' : 'fail',
      check: 'secrets',
      message:
        `${missing.join(', ')} not set: generated into ${join(config.dataDir, 'secrets.json')} ` +
        '(demo only; every node needs the same values). Run `edugate secrets generate` and put the ' +
        'lines in the environment file of every node (e.g. /etc/edugate/ROLE.env).',
    },
  ];
}

/** A data directory still in the embedded database's old layout (one PGlite directory per role). */
function embeddedLayoutCheck(config: Config): Finding[] {
  if (config.databaseUrl || legacyEmbeddedDirectories(config.dataDir).length === 0) return [];
  return [{ level: 'warn', check: 'embedded database layout', message: legacyLayoutAdvice(config.dataDir) }];
}

async function databaseCheck(
  config: Config,
  role: RoleName,
  demo: boolean,
  timeoutMs: number,
): Promise<Finding> {
  const check = `database (${role})`;
  if (!config.databaseUrl) {
    const dir = roleDatabaseTarget(config, role).dataDir ?? '';
    if (!demo) {
      return {
        level: 'fail',
        check,
        message: `DATABASE_URL not set: the embedded database in ${dir} serves the demo only. Set DATABASE_URL=postgresql://…`,
      };
    }
    const where =
      legacyEmbeddedDirectories(config.dataDir).length > 0 ? dir : `schema edugate_${role} of ${dir}`;
    return existsSync(dir)
      ? { level: 'ok', check, message: `embedded PGlite, ${where} (not opened: one process at a time)` }
      : {
          level: 'warn',
          check,
          message: `${dir} does not exist yet: \`edugate migrate --role ${role}\` creates it`,
        };
  }
  const target = { ...roleDatabaseTarget(config, role), poolSize: 1, timeouts: { connectMs: timeoutMs } };
  const host = new URL(config.databaseUrl).host;
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await within(timeoutMs, `PostgreSQL at ${host}`, openDatabase(target));
  } catch (error) {
    return {
      level: 'fail',
      check,
      message: `cannot reach PostgreSQL at ${host} (${reason(error)}): check DATABASE_URL, the server and the firewall`,
    };
  }
  try {
    const migrator = new Migrator({
      db: database.db,
      provider: { getMigrations: async () => ({ ...platformMigrations, ...ROLES[role].migrations }) },
      allowUnorderedMigrations: true,
      migrationTableSchema: database.schema,
    });
    const pending = (await migrator.getMigrations()).filter((m) => !m.executedAt).map((m) => m.name);
    if (pending.length > 0) {
      return {
        level: 'fail',
        check,
        message: `schema ${database.schema}: ${pending.length} migration(s) pending (${pending.join(', ')}): run \`edugate migrate --role ${role}\``,
      };
    }
    if (config.secret) await checkSealedColumns(database.db, ROLES[role].sealedColumns ?? [], config.secret);
    return { level: 'ok', check, message: `schema ${database.schema} at ${host} is up to date` };
  } catch (error) {
    return { level: 'fail', check, message: (error as Error).message };
  } finally {
    await database.close();
  }
}

async function redisCheck(config: Config, demo: boolean, timeoutMs: number): Promise<Finding> {
  if (!config.redisUrl) {
    return {
      level: 'ok',
      check: 'redis',
      message: demo
        ? 'not set (sessions and throttling in the database)'
        : 'REDIS_URL not set: sessions, throttling and short-lived OIDC artifacts live in PostgreSQL',
    };
  }
  const target = new URL(config.redisUrl);
  const where = `Redis at ${target.host}`;
  let last: unknown;
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  redis.on('error', (error) => {
    last = error;
  });
  try {
    await within(timeoutMs, where, redis.connect());
    const answer = await within(timeoutMs, where, redis.ping());
    return { level: 'ok', check: 'redis', message: `${where}: PING ${answer}` };
  } catch (error) {
    return {
      level: 'fail',
      check: 'redis',
      message: `cannot reach ${where} (${reason(last ?? error)}): check REDIS_URL (rediss:// for TLS, password), that Redis runs and the firewall`,
    };
  } finally {
    redis.disconnect();
  }
}

async function smtpCheck(config: Config, demo: boolean, timeoutMs: number): Promise<Finding> {
  if (config.smtpUrl === DEFAULT_SMTP && !demo) {
    return {
      level: 'fail',
      check: 'smtp',
      message: `SMTP_URL not set: mail would go to the demo sink ${DEFAULT_SMTP}. Set SMTP_URL=smtp://user:pass@relay:587 (or smtps://…)`,
    };
  }
  let host = config.smtpUrl;
  try {
    host = new URL(config.smtpUrl).host;
  } catch {
    // nodemailer also accepts other forms; show it as given
  }
  const transport = nodemailer.createTransport({
    url: config.smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
  });
  try {
    await within(timeoutMs + 500, `the SMTP server at ${host}`, transport.verify());
    return { level: 'ok', check: 'smtp', message: `${host} accepts connections` };
  } catch (error) {
    const hint =
      config.smtpUrl === DEFAULT_SMTP
        ? 'the demo sink runs with `edugate demo`'
        : 'check SMTP_URL (host, port, user, password, smtps:// for TLS) and the firewall';
    return { level: 'fail', check: 'smtp', message: `cannot use ${host} (${reason(error)}): ${hint}` };
  } finally {
    transport.close();
  }
}

function urlChecks(config: Config, roles: RoleName[], demo: boolean): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  let https = false;
  for (const role of roles) {
    for (const [key, env] of URL_OPTIONS[role]) {
      if (seen.has(env)) continue;
      seen.add(env);
      const value = config[key] as string | undefined;
      const check = `url ${env}`;
      if (!value) {
        findings.push({
          level: demo ? 'ok' : 'fail',
          check,
          message: demo
            ? `not set: http://${config.publicHost}:… (demo)`
            : `not set: issuers and links in mails would point at http://${config.publicHost}:…. Set ${env}=https://…`,
        });
        continue;
      }
      const url = new URL(value);
      if (url.protocol === 'https:') {
        https = true;
        findings.push({ level: 'ok', check, message: value });
      } else if (isLoopback(url.hostname)) {
        findings.push({ level: 'ok', check, message: `${value} (loopback)` });
      } else {
        findings.push({
          level: 'warn',
          check,
          message: `${value} is plain http outside loopback: passwords and tokens would cross the network unencrypted. Serve it over https (TLS at the proxy) and set ${env}=https://…`,
        });
      }
    }
  }
  if (https && !config.secureCookies) {
    findings.push({
      level: 'warn',
      check: 'cookies',
      message: 'public URLs are https but EDUGATE_SECURE_COOKIES is false: set EDUGATE_SECURE_COOKIES=true',
    });
  }
  if (https && !config.trustProxy) {
    findings.push({
      level: 'warn',
      check: 'proxy',
      message:
        'EDUGATE_TRUST_PROXY not set: behind a TLS proxy every client shares the proxy address (throttling) and requests look like http. Set it to the address of the proxy (see docs/OPERATIONS.md)',
    });
  }
  return findings;
}

function registrationCheck(config: Config, roles: RoleName[]): Finding[] {
  const issuers = roles.filter((r) => r === 'county' || r === 'cloud');
  if (issuers.length === 0) return [];
  if (!config.registrationToken) {
    return [{ level: 'ok', check: 'registration', message: 'Dynamic Client Registration closed (no token)' }];
  }
  return [
    {
      level: 'warn',
      check: 'registration',
      message:
        `EDUGATE_REGISTRATION_TOKEN is set: whoever holds it can register OIDC clients (any redirect URI) at /oidc/v1/registration of every issuer of ${issuers.join(' and ')}. ` +
        'Unset it unless you hand it out on purpose; register clients with `edugate client add` instead.',
    },
  ];
}

function googleChecks(config: Config, demo: boolean): Finding[] {
  const findings: Finding[] = [];
  const check = 'google';
  if (config.googleRootUrl) {
    findings.push({
      level: demo ? 'ok' : 'warn',
      check,
      message: `GOOGLE_ROOT_URL=${config.googleRootUrl}: provisioning talks to a stand-in, not to Google. Unset it in production`,
    });
  }
  const file = config.googleServiceAccountFile;
  if (!file) {
    findings.push({
      level: demo ? 'warn' : 'fail',
      check,
      message:
        'GOOGLE_SERVICE_ACCOUNT_FILE not set: activations cannot create Google accounts. Create a service account key with domain-wide delegation (docs/OPERATIONS.md, Google Workspace) and set its path',
    });
  } else {
    let key: Record<string, unknown> | undefined;
    try {
      key = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    } catch (error) {
      findings.push({
        level: 'fail',
        check,
        message: `GOOGLE_SERVICE_ACCOUNT_FILE ${file} cannot be read as JSON (${reason(error)}): download the service account's JSON key again`,
      });
    }
    if (key) {
      const usable =
        key.type === 'service_account' &&
        typeof key.client_email === 'string' &&
        typeof key.private_key === 'string' &&
        key.private_key.includes('PRIVATE KEY');
      findings.push(
        usable
          ? { level: 'ok', check, message: `service account ${String(key.client_email)}` }
          : {
              level: 'fail',
              check,
              message: `${file} is not a service account key (needs type "service_account", client_email, private_key): download a JSON key of the service account`,
            },
      );
    }
  }
  const subject = config.googleAdminSubject;
  const domain = config.workspaceDomain;
  if (!subject) {
    findings.push({
      level: demo ? 'warn' : 'fail',
      check,
      message: `GOOGLE_ADMIN_SUBJECT not set: set it to a super-admin of ${domain} that the service account impersonates`,
    });
  } else if (!subject.includes('@')) {
    findings.push({
      level: 'fail',
      check,
      message: `GOOGLE_ADMIN_SUBJECT ${subject} is not an address: set it to admin@${domain}`,
    });
  } else if (!subject.toLowerCase().endsWith(`@${domain.toLowerCase()}`)) {
    findings.push({
      level: 'warn',
      check,
      message: `GOOGLE_ADMIN_SUBJECT ${subject} is not in EDUGATE_WORKSPACE_DOMAIN ${domain}: make sure it administers ${domain}`,
    });
  } else {
    findings.push({ level: 'ok', check, message: `acting as ${subject} for ${domain}` });
  }
  if (!config.workspaceClientId || !config.workspaceClientSecret) {
    findings.push({
      level: demo ? 'ok' : 'fail',
      check: 'workspace client',
      message: demo
        ? 'demo registration at the cloud'
        : 'WORKSPACE_OIDC_CLIENT_ID / WORKSPACE_OIDC_CLIENT_SECRET not set: register the portal at the cloud (`edugate client add --role cloud …`) and set both',
    });
  }
  return findings;
}

/** Every check of `edugate doctor`, in the order printed. */
export async function diagnose(config: Config, opts: DoctorOptions = {}): Promise<Finding[]> {
  const demo = opts.demo ?? false;
  const roles = opts.roles ?? PRODUCTION_ROLES;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const findings: Finding[] = [
    {
      level: 'ok',
      check: 'configuration',
      message: `valid; checking ${roles.join(', ')} for ${demo ? 'the demo' : 'production'}`,
    },
    ...secretsCheck(config, demo),
  ];
  findings.push(...embeddedLayoutCheck(config));
  for (const role of roles) findings.push(await databaseCheck(config, role, demo, timeoutMs));
  findings.push(await redisCheck(config, demo, timeoutMs));
  findings.push(await smtpCheck(config, demo, timeoutMs));
  findings.push(...urlChecks(config, roles, demo), ...registrationCheck(config, roles));
  if (roles.includes('workspace')) findings.push(...googleChecks(config, demo));
  return findings;
}

const LABEL: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** `edugate doctor [--role R]… [--demo]`: one line per check; exit 1 when any failed. */
export async function runDoctor(config: Config, opts: { roles: string[]; demo: boolean }): Promise<number> {
  const { roles } = opts;
  for (const role of roles) {
    if (!isRoleName(role)) {
      console.error(`unknown role ${role}; use county|cloud|workspace|google`);
      return 2;
    }
  }
  const findings = await diagnose(config, {
    ...(roles.length > 0 ? { roles: roles as RoleName[] } : {}),
    demo: opts.demo,
  });
  for (const f of findings) console.log(`${LABEL[f.level]}  ${f.check}: ${f.message}`);
  const failed = findings.filter((f) => f.level === 'fail').length;
  const warned = findings.filter((f) => f.level === 'warn').length;
  console.log(
    failed > 0
      ? `\n${failed} error(s), ${warned} warning(s): fix the errors before going live.`
      : `\nno errors, ${warned} warning(s).`,
  );
  return failed > 0 ? 1 : 0;
}
