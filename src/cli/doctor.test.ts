import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config/load.ts';
import { openDatabase, roleDatabaseTarget } from '../platform/database/connect.ts';
import { migrate } from '../platform/database/migrations.ts';
import { platformMigrations } from '../platform/database/platform-migrations.ts';
import { generateSecrets, SECRET_VARIABLES } from '../platform/runtime/secrets.ts';
import { SecretBox } from '../platform/security/secret-box.ts';
import { scratchDatabase } from '../platform/testing/scratch-database.ts';
import {
  missingService,
  postgresAvailable,
  redisAvailable,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
} from '../platform/testing/services.ts';
import { ROLES } from '../roles.ts';
import type { Finding } from './doctor/check.ts';
import { diagnose } from './doctor.ts';

const work = mkdtempSync(join(tmpdir(), 'edugate-doctor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function secretsEnv(): Record<string, string> {
  const secrets = generateSecrets();
  return Object.fromEntries(
    Object.entries(secrets).map(([k, v]) => [SECRET_VARIABLES[k as keyof typeof SECRET_VARIABLES], v]),
  );
}

function line(findings: Finding[], check: string): Finding {
  const found = findings.find((f) => f.check === check);
  if (!found) throw new Error(`no ${check} in ${JSON.stringify(findings)}`);
  return found;
}

/** A TCP server that accepts connections and never says anything (a stuck SMTP relay). */
async function silentServer(): Promise<{ port: number; server: Server }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.on('close', () => {
    for (const s of sockets) s.destroy();
  });
  return { port: (server.address() as { port: number }).port, server };
}

describe('edugate doctor', () => {
  it('with no configuration reports what production lacks as errors, each with what to do', async () => {
    const findings = await diagnose(loadConfig({ EDUGATE_DATA_DIR: join(work, 'none') }), {
      timeoutMs: 1000,
    });
    const failed = findings.filter((f) => f.level === 'fail').map((f) => f.check);
    expect(failed).toEqual(
      expect.arrayContaining([
        'secrets',
        'database (county)',
        'database (cloud)',
        'database (workspace)',
        'smtp',
        'url EDUGATE_COUNTY_URL',
        'url EDUGATE_CLOUD_URL',
        'google',
      ]),
    );
    expect(line(findings, 'secrets').message).toContain('edugate secrets generate');
    expect(line(findings, 'database (county)').message).toContain('DATABASE_URL');
    expect(line(findings, 'smtp').message).toContain('SMTP_URL');
  });

  it('in demo mode generated secrets are a warning, not an error', async () => {
    const findings = await diagnose(loadConfig({ EDUGATE_DATA_DIR: join(work, 'demo') }), {
      demo: true,
      roles: ['county'],
      timeoutMs: 500,
    });
    expect(line(findings, 'secrets').level).toBe('warn');
    expect(line(findings, 'database (county)').level).toBe('warn');
  });

  it('in demo mode says how to leave the old layout of the embedded database (one per role)', async () => {
    const dataDir = join(work, 'old-layout');
    mkdirSync(join(dataDir, 'db', 'county'), { recursive: true });
    writeFileSync(join(dataDir, 'db', 'county', 'PG_VERSION'), '17\n');
    const findings = await diagnose(loadConfig({ EDUGATE_DATA_DIR: dataDir }), {
      demo: true,
      roles: ['county'],
      timeoutMs: 500,
    });
    expect(line(findings, 'embedded database layout').level).toBe('warn');
    expect(line(findings, 'embedded database layout').message).toContain('edugate demo --reset');
    expect(line(findings, 'database (county)').message).toContain(join(dataDir, 'db', 'county'));
  });

  it('reports an unreachable or silent SMTP server with a timeout and what to check', async () => {
    const refused = await diagnose(loadConfig({ SMTP_URL: 'smtp://127.0.0.1:1' }), {
      roles: [],
      timeoutMs: 1000,
    });
    expect(line(refused, 'smtp')).toMatchObject({ level: 'fail' });
    expect(line(refused, 'smtp').message).toMatch(/ECONNREFUSED[\s\S]*check SMTP_URL/);

    const { port, server } = await silentServer();
    try {
      const started = Date.now();
      const silent = await diagnose(loadConfig({ SMTP_URL: `smtp://127.0.0.1:${port}` }), {
        roles: [],
        timeoutMs: 800,
      });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(line(silent, 'smtp').level).toBe('fail');
      expect(line(silent, 'smtp').message).toMatch(
        /127\.0\.0\.1:\d+ \(.*(timeout|Greeting never received|no answer).*\)/i,
      );
    } finally {
      server.close();
    }
  });

  it('PINGs Redis with a timeout and says why it cannot reach it', async () => {
    const refused = await diagnose(loadConfig({ REDIS_URL: 'redis://127.0.0.1:1' }), {
      roles: [],
      timeoutMs: 1000,
    });
    expect(line(refused, 'redis').level).toBe('fail');
    expect(line(refused, 'redis').message).toContain('cannot reach Redis at 127.0.0.1:1 (ECONNREFUSED');
    expect(line(refused, 'redis').message).not.toContain('Connection is closed');

    const { port, server } = await silentServer();
    try {
      const silent = await diagnose(loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }), {
        roles: [],
        timeoutMs: 800,
      });
      expect(line(silent, 'redis').level).toBe('fail');
      expect(line(silent, 'redis').message).toContain('within 0.8 s');
    } finally {
      server.close();
    }

    if (!(await redisAvailable())) {
      missingService('Redis', `start it or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);
      return;
    }
    const live = await diagnose(loadConfig({ REDIS_URL: TEST_REDIS_URL }), { roles: [], timeoutMs: 2000 });
    expect(line(live, 'redis')).toMatchObject({ level: 'ok', message: expect.stringContaining('PING PONG') });
  });

  it('warns on plain http public URLs outside loopback and on an open client registration', async () => {
    const findings = await diagnose(
      loadConfig({
        EDUGATE_COUNTY_URL: 'http://sso.example.tw',
        EDUGATE_CLOUD_URL: 'https://cloud.example.tw',
        EDUGATE_WORKSPACE_URL: 'http://127.0.0.1:4003',
        EDUGATE_REGISTRATION_TOKEN: 'let-me-in-0123456789',
      }),
      { roles: ['county', 'cloud'], timeoutMs: 500 },
    );
    expect(line(findings, 'url EDUGATE_COUNTY_URL')).toMatchObject({ level: 'warn' });
    expect(line(findings, 'url EDUGATE_COUNTY_URL').message).toContain('https');
    expect(line(findings, 'url EDUGATE_CLOUD_URL').level).toBe('ok');
    expect(line(findings, 'url EDUGATE_WORKSPACE_URL').level).toBe('ok');
    expect(line(findings, 'cookies').level).toBe('warn');
    expect(line(findings, 'registration').level).toBe('warn');
    expect(line(findings, 'registration').message).toContain('/oidc/v1/registration');
  });

  it('checks the Google service-account file, domain and admin subject of the workspace role', async () => {
    const missing = join(work, 'missing.json');
    const broken = join(work, 'broken.json');
    writeFileSync(broken, '{ not json');
    const good = join(work, 'key.json');
    writeFileSync(
      good,
      JSON.stringify({
        type: 'service_account',
        client_email: 'edugate@project.iam.gserviceaccount.com',
        private_key: '-----BEGIN PRIVATE KEY-----\nMII…\n-----END PRIVATE KEY-----\n',
      }),
    );
    const check = async (env: Record<string, string>) =>
      (await diagnose(loadConfig(env), { roles: ['workspace'], timeoutMs: 500 })).filter(
        (f) => f.check === 'google',
      );

    const none = await check({});
    expect(none.map((f) => f.level)).toEqual(['fail', 'fail']);
    expect(none[0]?.message).toContain('GOOGLE_SERVICE_ACCOUNT_FILE');
    expect(none[1]?.message).toContain('GOOGLE_ADMIN_SUBJECT');

    const unreadable = await check({
      GOOGLE_SERVICE_ACCOUNT_FILE: missing,
      GOOGLE_ADMIN_SUBJECT: 'admin@go.edu.tw',
    });
    expect(unreadable[0]).toMatchObject({ level: 'fail', message: expect.stringContaining('ENOENT') });
    const notJson = await check({
      GOOGLE_SERVICE_ACCOUNT_FILE: broken,
      GOOGLE_ADMIN_SUBJECT: 'admin@go.edu.tw',
    });
    expect(notJson[0]?.level).toBe('fail');

    const otherDomain = await check({
      GOOGLE_SERVICE_ACCOUNT_FILE: good,
      GOOGLE_ADMIN_SUBJECT: 'admin@example.org',
    });
    expect(otherDomain.map((f) => f.level)).toEqual(['ok', 'warn']);
    const fine = await check({ GOOGLE_SERVICE_ACCOUNT_FILE: good, GOOGLE_ADMIN_SUBJECT: 'admin@go.edu.tw' });
    expect(fine.map((f) => f.level)).toEqual(['ok', 'ok']);

    // Against a stand-in the key and the subject are checked as for Google, after the warning.
    const standIn = await check({ GOOGLE_ROOT_URL: 'http://127.0.0.1:4004', GOOGLE_ADMIN_SUBJECT: 'admin' });
    expect(standIn.map((f) => f.level)).toEqual(['warn', 'fail', 'fail']);
    const rehearsal = await check({
      GOOGLE_ROOT_URL: 'http://127.0.0.1:4004',
      GOOGLE_SERVICE_ACCOUNT_FILE: good,
      GOOGLE_ADMIN_SUBJECT: 'admin@go.edu.tw',
    });
    expect(rehearsal.map((f) => f.level)).toEqual(['warn', 'ok', 'ok']);
  });
});

describe('edugate doctor on PostgreSQL', async () => {
  if (!(await postgresAvailable())) {
    missingService('PostgreSQL', `start it or set EDUGATE_TEST_DATABASE_URL (tried ${TEST_DATABASE_URL})`);
    return;
  }
  const scratch = await scratchDatabase('edugate_ops');
  afterAll(() => scratch.drop());

  it('lists pending migrations, then checks that EDUGATE_SECRET opens the sealed keys', async () => {
    const env = { ...secretsEnv(), DATABASE_URL: scratch.url };
    const config = loadConfig(env);
    const before = await diagnose(config, { roles: ['cloud'], timeoutMs: 3000 });
    expect(line(before, 'secrets').level).toBe('ok');
    expect(line(before, 'database (cloud)').level).toBe('fail');
    expect(line(before, 'database (cloud)').message).toMatch(
      /migration\(s\) pending \(0001_[^)]*2010_oidc_provider[^)]*\): run `edugate migrate --role cloud`/,
    );

    const database = await openDatabase(roleDatabaseTarget(config, 'cloud'));
    try {
      await migrate(database.db, database.schema, platformMigrations, ROLES.cloud.migrations);
      const after = await diagnose(config, { roles: ['cloud'], timeoutMs: 3000 });
      expect(line(after, 'database (cloud)')).toMatchObject({
        level: 'ok',
        message: expect.stringContaining('edugate_cloud'),
      });

      const other = new SecretBox('another-installation-secret-0123456789', 'cloud-county-client');
      await database.db
        .insertInto('cloud_counties' as never)
        .values({
          code: 'cyc',
          name: '嘉義縣',
          issuer: 'https://cyc.example/cyc',
          client_id: 'cloud',
          client_secret_sealed: other.seal('s3cret'),
        } as never)
        .execute();
      const wrong = await diagnose(config, { roles: ['cloud'], timeoutMs: 3000 });
      expect(line(wrong, 'database (cloud)').level).toBe('fail');
      expect(line(wrong, 'database (cloud)').message).toMatch(
        /^EDUGATE_SECRET does not decrypt the stored county client secrets: cloud_counties \(code=cyc\)/,
      );
    } finally {
      await database.close();
    }
  });

  it('reports an unreachable PostgreSQL with the host and what to check', async () => {
    const findings = await diagnose(
      loadConfig({ DATABASE_URL: 'postgresql://edugate@127.0.0.1:1/edugate' }),
      {
        roles: ['county'],
        timeoutMs: 1000,
      },
    );
    expect(line(findings, 'database (county)').message).toMatch(
      /cannot reach PostgreSQL at 127\.0\.0\.1:1 \(ECONNREFUSED.*check DATABASE_URL/,
    );
  });
});
