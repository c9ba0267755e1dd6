import { existsSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Migrator } from 'kysely/migration';
import nodemailer from 'nodemailer';
import { options } from '../../platform/config/options.ts';
import { openDatabase, type RoleName, roleDatabaseTarget } from '../../platform/database/connect.ts';
import { legacyEmbeddedDirectories } from '../../platform/database/embedded.ts';
import { platformMigrations } from '../../platform/database/platform-migrations.ts';
import { checkSealedColumns } from '../../platform/security/sealed-columns.ts';
import { ROLES } from '../../roles.ts';
import { type Finding, reason, type Setup, within } from './check.ts';

/** The checks of the services a node talks to: its database, Redis, the SMTP relay. */

const DEFAULT_SMTP = options.smtpUrl.schema.parse(undefined);

/** Each role's database: reachable, migrated, its sealed columns readable with the secret. */
export async function databases(setup: Setup): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const role of setup.roles) {
    const url = setup.config.databaseUrl;
    findings.push(url ? await postgres(setup, role, url) : embedded(setup, role));
  }
  return findings;
}

/** The embedded database (demo only), not opened: one process at a time. */
function embedded({ config, demo }: Setup, role: RoleName): Finding {
  const check = `database (${role})`;
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

async function postgres({ config, timeoutMs }: Setup, role: RoleName, url: string): Promise<Finding> {
  const check = `database (${role})`;
  const target = { ...roleDatabaseTarget(config, role), poolSize: 1, timeouts: { connectMs: timeoutMs } };
  const host = new URL(url).host;
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

export async function redis({ config, demo, timeoutMs }: Setup): Promise<Finding[]> {
  if (!config.redisUrl) {
    return [
      {
        level: 'ok',
        check: 'redis',
        message: demo
          ? 'not set (sessions and throttling in the database)'
          : 'REDIS_URL not set: sessions, throttling and short-lived OIDC artifacts live in PostgreSQL',
      },
    ];
  }
  const target = new URL(config.redisUrl);
  const where = `Redis at ${target.host}`;
  let last: unknown;
  const client = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on('error', (error) => {
    last = error;
  });
  try {
    await within(timeoutMs, where, client.connect());
    const answer = await within(timeoutMs, where, client.ping());
    return [{ level: 'ok', check: 'redis', message: `${where}: PING ${answer}` }];
  } catch (error) {
    return [
      {
        level: 'fail',
        check: 'redis',
        message: `cannot reach ${where} (${reason(last ?? error)}): check REDIS_URL (rediss:// for TLS, password), that Redis runs and the firewall`,
      },
    ];
  } finally {
    client.disconnect();
  }
}

export async function smtp({ config, demo, timeoutMs }: Setup): Promise<Finding[]> {
  if (config.smtpUrl === DEFAULT_SMTP && !demo) {
    return [
      {
        level: 'fail',
        check: 'smtp',
        message: `SMTP_URL not set: mail would go to the demo sink ${DEFAULT_SMTP}. Set SMTP_URL=smtp://user:pass@relay:587 (or smtps://…)`,
      },
    ];
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
    return [{ level: 'ok', check: 'smtp', message: `${host} accepts connections` }];
  } catch (error) {
    const hint =
      config.smtpUrl === DEFAULT_SMTP
        ? 'the demo sink runs with `edugate demo`'
        : 'check SMTP_URL (host, port, user, password, smtps:// for TLS) and the firewall';
    return [{ level: 'fail', check: 'smtp', message: `cannot use ${host} (${reason(error)}): ${hint}` }];
  } finally {
    transport.close();
  }
}
