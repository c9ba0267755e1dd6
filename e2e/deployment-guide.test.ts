// docs/DEPLOYMENT.md, followed literally: its `<!-- walk: NAME -->` shell blocks run with bash on
// PostgreSQL and Redis, behind a real nginx doing TLS, with two county nodes, the cloud, the activation
// portal and the Google stand-in each started with the systemd unit's ExecStart line. A teacher then
// signs in through the whole chain in Chromium over https (a teacher of the second county at the cloud
// too), and the guide's backup is restored into fresh databases and signed in to with the keys of before.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { createLocalJWKSet, decodeJwt, type JSONWebKeySet, jwtVerify } from 'jose';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailSink } from '../src/platform/mail/sink.ts';
import { launchBrowser } from '../src/platform/testing/browser.ts';
import { freeAdminPortBase, freePort } from '../src/platform/testing/ports.ts';
import {
  missingService,
  postgresAvailable,
  redisAvailable,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
} from '../src/platform/testing/services.ts';
import { consentIfAsked, finishCloudAccount, signInWithCounty, startCloudAccount } from './steps/cloud.ts';
import { activateGSuite, expectPortalSignedIn, typeGoogleAddress } from './steps/workspace.ts';

const APP_DIR = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const GUIDE = readFileSync(join(APP_DIR, 'docs/DEPLOYMENT.md'), 'utf8');
const UNIT = readFileSync(join(APP_DIR, 'deploy/systemd/edugate@.service'), 'utf8');
const NGINX = '/usr/sbin/nginx';

/** The guide's walked blocks by name, in the order they appear. */
function walkBlocks(markdown: string): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const match of markdown.matchAll(/<!-- walk: ([\w-]+) -->\n```sh\n([\s\S]*?)\n```/g)) {
    blocks.set(match[1] as string, match[2] as string);
  }
  return blocks;
}
const BLOCKS = walkBlocks(GUIDE);

async function services(): Promise<boolean> {
  if (!existsSync(NGINX)) return !missingService('nginx', 'apt-get install nginx');
  if (!(await postgresAvailable()))
    return !missingService('PostgreSQL', 'start PostgreSQL on 127.0.0.1:5432');
  if (!(await redisAvailable())) return !missingService('Redis', 'start Redis on 127.0.0.1:6379');
  return true;
}

const work = mkdtempSync(join(tmpdir(), 'edugate-guide-'));
const prefix = `edugate_g${randomBytes(4).toString('hex')}`;
const settings: Record<string, string> = {};
const processes: ChildProcess[] = [];
let ready = false;
let browser: Browser | undefined;
let sink: MailSink;
let ports: Record<'county2' | 'county2Admin' | 'callback', number>;

/** The test's stand-ins for the guide's site settings (see the guide's "How this guide is tested"). */
async function siteSettings(): Promise<Record<string, string>> {
  const [https, http, county, county2, cloud, workspace, google, smtp, callback] = await Promise.all(
    Array.from({ length: 9 }, () => freePort()),
  );
  const admin = await freeAdminPortBase();
  let county2Admin = await freeAdminPortBase();
  while (Math.abs(county2Admin - admin) < 5) county2Admin = await freeAdminPortBase();
  ports = { county2: county2 as number, county2Admin, callback: callback as number };
  const database = new URL(TEST_DATABASE_URL);
  const redis = new URL(TEST_REDIS_URL);
  redis.pathname = `/${1 + Math.floor(Math.random() * 15)}`;
  for (const dir of ['bin', 'etc', 'tls', 'nginx', 'backup']) mkdirSync(join(work, dir));
  return {
    APP_DIR,
    BIN_DIR: join(work, 'bin'),
    ETC_DIR: join(work, 'etc'),
    TLS_DIR: join(work, 'tls'),
    NGINX_SITE: join(work, 'nginx/edugate.conf'),
    BACKUP_DIR: join(work, 'backup'),
    HTTPS_PORT: String(https),
    HTTP_PORT: String(http),
    COUNTY_HOST: '127.0.0.2',
    CLOUD_HOST: '127.0.0.3',
    WORKSPACE_HOST: '127.0.0.4',
    COUNTY_URL: `https://127.0.0.2:${https}`,
    CLOUD_URL: `https://127.0.0.3:${https}`,
    WORKSPACE_URL: `https://127.0.0.4:${https}`,
    NODE_HOST: '127.0.0.1',
    COUNTY_PORT: String(county),
    CLOUD_PORT: String(cloud),
    WORKSPACE_PORT: String(workspace),
    GOOGLE_PORT: String(google),
    ADMIN_PORT: String(admin),
    COUNTY_NODE_1: `127.0.0.1:${county}`,
    COUNTY_NODE_2: `127.0.0.1:${county2}`,
    CLOUD_NODE_1: `127.0.0.1:${cloud}`,
    CLOUD_NODE_2: `127.0.0.1:${cloud}`,
    WORKSPACE_NODE_1: `127.0.0.1:${workspace}`,
    WORKSPACE_NODE_2: `127.0.0.1:${workspace}`,
    PROXY_ADDRESS: 'loopback',
    PSQL_ADMIN: `psql ${TEST_DATABASE_URL}`,
    DB_HOST: database.hostname,
    DB_PREFIX: prefix,
    REDIS_URL: redis.toString(),
    SMTP_URL: `smtp://127.0.0.1:${smtp}`,
    MAIL_FROM: '教師資訊服務 <no-reply@example.tw>',
    CLOUD_MAIL_DOMAIN: 'mail.edu.tw',
    WORKSPACE_DOMAIN: 'go.edu.tw',
  };
}

/** A clean environment: nothing of the test runner's EDUGATE_* or DATABASE_URL leaks in. */
function baseEnv(): Record<string, string> {
  return {
    PATH: `${settings.BIN_DIR}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: process.env.HOME ?? work,
    LANG: 'C.UTF-8',
    TMPDIR: tmpdir(),
  };
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runProcess(file: string, args: string[], env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the named blocks of the guide, as written, in one bash with `set -euo pipefail`. */
async function walk(names: string[], extra: Record<string, string> = {}): Promise<string> {
  progress(`walk ${names.join(' + ')}`);
  const script = names
    .map((name) => {
      const block = BLOCKS.get(name);
      if (block === undefined) throw new Error(`docs/DEPLOYMENT.md has no block <!-- walk: ${name} -->`);
      return block;
    })
    .join('\n');
  const result = await runProcess('bash', ['-euo', 'pipefail', '-c', script], {
    ...baseEnv(),
    ...settings,
    ...extra,
  });
  if (result.code !== 0) {
    throw new Error(
      `walk ${names.join(' + ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

/** A systemd EnvironmentFile as systemd reads these lines (KEY=value, KEY="value with spaces"). */
function environmentFile(path: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    const value = match[2] as string;
    env[match[1] as string] = /^"[^"]*"$/.test(value) ? value.slice(1, -1) : value;
  }
  return env;
}

/** The unit's ExecStart and environment for a role, with the application where the test has it. */
function unitCommand(role: string, etcDir: string): { argv: string[]; env: Record<string, string> } {
  const setting = (name: string) =>
    (new RegExp(`^${name}=(.*)$`, 'm').exec(UNIT)?.[1] ?? '').replaceAll('%i', role);
  const argv = setting('ExecStart').replaceAll('/opt/edugate', APP_DIR).split(' ');
  const file = setting('EnvironmentFile').replace('/etc/edugate', etcDir);
  const [key, value] = setting('Environment').split('=');
  return { argv, env: { ...environmentFile(file), [key as string]: value as string } };
}

interface Node {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startNode(role: string, etcDir: string, overrides: Record<string, string> = {}): Node {
  const { argv, env } = unitCommand(role, etcDir);
  const child = spawn(argv[0] as string, argv.slice(1), {
    env: { ...baseEnv(), ...env, ...overrides },
    cwd: work,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  child.stderr?.on('data', (chunk) => {
    output = (output + chunk).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitReady(node: Node, port: string | number, what: string): Promise<void> {
  let exitCode: number | null | undefined;
  void node.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) throw new Error(`${what} exited with ${exitCode}:\n${node.output()}`);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`)
      .then((r) => r.status === 200)
      .catch(() => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} not ready within 60 s:\n${node.output()}`);
}

async function stopNode(node: Node): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => node.child.kill('SIGKILL'), 15_000);
  await node.exited;
  clearTimeout(timer);
}

function listening(port: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** nginx with the guide's site included in a minimal main configuration of the test's own. */
async function startNginx(): Promise<Node> {
  const dir = join(work, 'nginx');
  const temp = join(dir, 'temp');
  mkdirSync(temp, { mode: 0o777 });
  const main = join(dir, 'nginx.conf');
  writeFileSync(
    main,
    [
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      'error_log stderr warn;',
      'events {}',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${temp}/body;`,
      `  proxy_temp_path ${temp}/proxy;`,
      `  fastcgi_temp_path ${temp}/fastcgi;`,
      `  uwsgi_temp_path ${temp}/uwsgi;`,
      `  scgi_temp_path ${temp}/scgi;`,
      `  include ${settings.NGINX_SITE};`,
      '}',
      '',
    ].join('\n'),
  );
  const test = await runProcess(NGINX, ['-t', '-q', '-c', main, '-p', `${dir}/`, '-e', 'stderr'], baseEnv());
  expect(test.stderr).toBe('');
  const child = spawn(NGINX, ['-c', main, '-p', `${dir}/`, '-e', 'stderr'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  processes.push(child);
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const node: Node = {
    child,
    output: () => output,
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  for (let i = 0; i < 100 && !(await listening(settings.HTTPS_PORT as string)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return node;
}

/** `edugate …` with a role's environment file, as the guide's blocks call it (for the test's own steps). */
async function edugate(role: string, args: string[], etcDir = settings.ETC_DIR as string): Promise<string> {
  const env = { ...baseEnv(), ...environmentFile(join(etcDir, `${role}.env`)) };
  const result = await runProcess(join(settings.BIN_DIR as string, 'edugate'), args, env);
  if (result.code !== 0) throw new Error(`edugate ${args.join(' ')}: ${result.code}\n${result.stderr}`);
  return result.stdout;
}

const nodes: Record<string, Node> = {};
const started = Date.now();
/** One line per step on stderr: where a slow or stuck run is. */
function progress(step: string): void {
  process.stderr.write(`[deployment guide ${((Date.now() - started) / 1000).toFixed(1)} s] ${step}\n`);
}
const TEACHER = {
  username: 'teacher01',
  password: 'Puzi-teacher-2026',
  realName: '王小明',
  nationalId: 'A123456789',
  cloudPassword: 'Chiayi-cloud-2026',
};
const TN_TEACHER = {
  username: 'tnteach02',
  password: 'Tainan-teacher-2026',
  realName: '林美華',
  nationalId: 'D223456784',
  cloudPassword: 'Tainan-cloud-2026',
};
let idToken = '';
let countyJwks: JSONWebKeySet;

beforeAll(async () => {
  if (!(await services())) return;
  browser = await launchBrowser();
  if (!browser) return;
  Object.assign(settings, await siteSettings());
  sink = new MailSink();
  await sink.listen(Number(new URL(settings.SMTP_URL as string).port));
  ready = true;
}, 60_000);

afterAll(async () => {
  await browser?.close();
  for (const child of processes) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
  await Promise.all(
    processes.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
  await sink?.close();
  if (ready) {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(
      'select datname from pg_database where datname like $1',
      [`${prefix}%`],
    );
    for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`);
    const roles = await admin.query<{ rolname: string }>(
      'select rolname from pg_roles where rolname like $1',
      [`${prefix}%`],
    );
    for (const { rolname } of roles.rows) await admin.query(`drop role if exists ${rolname}`);
    await admin.end();
  }
  rmSync(work, { recursive: true, force: true });
}, 60_000);

async function newContext(): Promise<BrowserContext> {
  return (browser as Browser).newContext({ locale: 'zh-TW', ignoreHTTPSErrors: true });
}

async function signInAtCounty(page: Page, username: string, password: string, tenant = 'cyc'): Promise<void> {
  await page.goto(`${settings.COUNTY_URL}/${tenant}/login`);
  await page.locator('#login-username').fill(username);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', { name: '登入', exact: true }).click();
  await page.waitForLoadState();
}

describe('docs/DEPLOYMENT.md, followed literally', () => {
  it('walks its blocks in order, and the test sets every site setting the guide reads', () => {
    expect([...BLOCKS.keys()]).toEqual([
      'settings',
      'command',
      'databases',
      'secrets',
      'tls',
      'env',
      'migrate',
      'nginx',
      'workspace-client',
      'county-values',
      'county-wiring',
      'second-county-values',
      'google-standin',
      'google-standin-domain',
      'workspace-admin',
      'backup',
      'restore',
    ]);
    const names = [...(BLOCKS.get('settings') ?? '').matchAll(/(?:^|\s)([A-Z_0-9]+)=/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(20);
    const provided = Object.keys({
      ...Object.fromEntries(names.map((n) => [n, 1])),
    });
    if (ready) for (const name of provided) expect(settings, name).toHaveProperty(name as string);
  });

  it('installs, wires and serves a teacher through nginx: county login → cloud first login → Google', async (context) => {
    if (!ready) return context.skip();
    for (const block of ['command', 'databases', 'secrets', 'tls', 'env', 'migrate', 'nginx'])
      await walk([block]);
    nodes.nginx = await startNginx();

    // systemd's part: the unit's ExecStart with its EnvironmentFile; the second county node is a
    // second machine with the same file (here: another port and admin port on this one).
    nodes.county1 = startNode('county', settings.ETC_DIR as string);
    nodes.county2 = startNode('county', settings.ETC_DIR as string, {
      EDUGATE_COUNTY_PORT: String(ports.county2),
      EDUGATE_ADMIN_PORT: String(ports.county2Admin),
    });
    nodes.cloud = startNode('cloud', settings.ETC_DIR as string);
    await Promise.all([
      waitReady(nodes.county1, settings.COUNTY_PORT as string, 'county node 1'),
      waitReady(nodes.county2, ports.county2, 'county node 2'),
      waitReady(nodes.cloud, settings.CLOUD_PORT as string, 'cloud node'),
    ]);

    await walk(['workspace-client']);
    await walk(['county-values', 'county-wiring']);
    await walk(['second-county-values', 'county-wiring']);
    await walk(['google-standin']);
    nodes.google = startNode('google', settings.ETC_DIR as string);
    await waitReady(nodes.google, settings.GOOGLE_PORT as string, 'Google stand-in');
    // The portal's key and delegation made at the stand-in as at Google; doctor fails on nothing.
    const doctor = await walk(['google-standin-domain']);
    expect(doctor).toMatch(
      /^ok +google: service account edugate-provisioning@go\.iam\.gserviceaccount\.com$/m,
    );
    expect(doctor).toMatch(/^ok +google: acting as admin@go\.edu\.tw for go\.edu\.tw$/m);
    expect(doctor).toContain('no errors');
    nodes.workspace = startNode('workspace', settings.ETC_DIR as string);
    await waitReady(nodes.workspace, settings.WORKSPACE_PORT as string, 'workspace node');

    // Both counties are wired at the cloud.
    const counties = await edugate('cloud', ['cloud', 'county', 'list']);
    expect(counties).toContain(`${settings.COUNTY_URL}/cyc`);
    expect(counties).toContain(`${settings.COUNTY_URL}/tn`);

    // Each county's administrator: the mailed link (through nginx, https), a password, a school; a
    // teacher's account imported as an older portal's would be.
    await countyReady('cyc', '076501', '縣立朴子國民中學', TEACHER);
    await countyReady('tn', '213501', '市立後甲國民中學', TN_TEACHER);

    // The whole chain over https through nginx.
    const teacherContext = await newContext();
    const page = await teacherContext.newPage();
    await explained(page, () => chain(page));
    // The portal's first administrator (the guide's block), who then reaches the administration page.
    const portal = await walk(['workspace-admin']);
    expect(portal).toMatch(/"admins": \[\s*"teacher01"\s*\]/);
    expect(portal).toMatch(/"google_email": "teacher01@go\.edu\.tw",\s*"state": "active"/);
    await page.goto(`${settings.WORKSPACE_URL}/admin`);
    await page.getByRole('heading', { name: '啟用入口管理', level: 1 }).waitFor();

    // A teacher of the second county signs in at the cloud through 臺南市 (county node 2 knows the
    // tenant from the database, whichever node nginx picks) and gets a cloud account.
    const tnContext = await newContext();
    const tnPage = await tnContext.newPage();
    await explained(tnPage, async () => {
      expect(await firstCloudLogin(tnPage, '臺南市', TN_TEACHER)).toBe(TN_TEACHER.username);
    });
    await tnContext.close();
    // An ID token of the county issuer, kept for the restore below.
    const callback = `http://127.0.0.1:${ports.callback}/cb`;
    const client = JSON.parse(
      await edugate('county', [
        'client',
        'add',
        '--role',
        'county',
        '--tenant',
        'cyc',
        '--name',
        '備份檢查',
        '--redirect-uri',
        callback,
      ]),
    ) as { client_id: string; client_secret: string };
    await explained(page, async () => {
      idToken = await countyIdToken(teacherContext, page, client, callback);
    });
    expect(decodeJwt(idToken).iss).toBe(`${settings.COUNTY_URL}/cyc`);
    await teacherContext.close();
    // Every secret in the environment: no node and no command wrote a data directory.
    expect(existsSync(join(work, '.edugate'))).toBe(false);
  }, 600_000);

  it('backs up the running installation, restores it into fresh databases with its secrets, and the old keys still verify', async (context) => {
    if (!ready || !idToken) return context.skip();
    const keysBefore = await countyKeys();
    countyJwks = keysBefore;
    await walk(['backup']);

    // Fresh databases and users (step 2 again), the backup's env files pointing at them.
    const restored = join(work, 'restored');
    mkdirSync(restored);
    await walk(['databases'], { ETC_DIR: restored, DB_PREFIX: `${prefix}r` });
    for (const role of ['county', 'cloud', 'workspace']) {
      const url = readFileSync(join(restored, `${role}.database.env`), 'utf8').trim();
      const backedUp = readFileSync(join(settings.BACKUP_DIR as string, `${role}.env`), 'utf8');
      writeFileSync(join(restored, `${role}.env`), backedUp.replace(/^DATABASE_URL=.*$/m, url));
    }
    const restoredOut = await walk(['restore'], { ETC_DIR: restored });
    expect(restoredOut).toContain('county: up to date');

    // The old nodes go; a county node on the restored database takes node 1's place behind nginx.
    await Promise.all([stopNode(nodes.county1 as Node), stopNode(nodes.county2 as Node)]);

    // With another EDUGATE_SECRET the restored role refuses to start, naming the secret.
    const wrong = startNode('county', restored, { EDUGATE_SECRET: randomBytes(32).toString('base64url') });
    expect(await wrong.exited).not.toBe(0);
    expect(wrong.output()).toContain('EDUGATE_SECRET does not decrypt the stored signing keys');

    nodes.restored = startNode('county', restored);
    await waitReady(nodes.restored, settings.COUNTY_PORT as string, 'restored county node');

    // The ID token of before verifies with the restored node's keys.
    const keysAfter = await countyKeys();
    expect(keysAfter.keys.map((k) => k.kid)).toEqual(countyJwks.keys.map((k) => k.kid));
    const verified = await jwtVerify(idToken, createLocalJWKSet(keysAfter), {
      issuer: `${settings.COUNTY_URL}/cyc`,
    });
    expect(verified.payload.sub).toBeTruthy();

    // The teacher signs in on the restored data.
    const browserContext = await newContext();
    const page = await browserContext.newPage();
    await signInAtCounty(page, TEACHER.username, TEACHER.password);
    expect(new URL(page.url()).pathname).not.toMatch(/\/login$/);
    expect(await page.content()).toContain('登出');
    await browserContext.close();
  }, 300_000);
});

/** The county issuer's published keys, fetched over https through nginx. */
async function countyKeys(): Promise<JSONWebKeySet> {
  const context = await newContext();
  try {
    const discovery = (await (
      await context.request.get(`${settings.COUNTY_URL}/cyc/.well-known/openid-configuration`)
    ).json()) as { jwks_uri: string };
    return (await (await context.request.get(discovery.jwks_uri)).json()) as JSONWebKeySet;
  } finally {
    await context.close();
  }
}

/** An authorization code flow (PKCE) of a client the test registered, in the teacher's browser. */
async function countyIdToken(
  context: BrowserContext,
  page: Page,
  client: { client_id: string; client_secret: string },
  callback: string,
): Promise<string> {
  const discovery = (await (
    await context.request.get(`${settings.COUNTY_URL}/cyc/.well-known/openid-configuration`)
  ).json()) as { authorization_endpoint: string; token_endpoint: string };
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL(discovery.authorization_endpoint);
  authorize.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: callback,
    state: 'backup-check',
    nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  let code = '';
  await page.route(`${callback}**`, async (route) => {
    code = new URL(route.request().url()).searchParams.get('code') ?? '';
    await route.fulfill({ body: 'ok' });
  });
  await page.goto(authorize.toString());
  if (!code) await consentIfAsked(page, async () => {}, 'client-consent');
  await expect.poll(() => code, { timeout: 15_000 }).not.toBe('');
  const response = await context.request.post(discovery.token_endpoint, {
    form: { grant_type: 'authorization_code', code, redirect_uri: callback, code_verifier: verifier },
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
    },
  });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { id_token: string }).id_token;
}

/** A county's administrator follows the mailed link, sets a password and adds a school; a teacher is imported. */
async function countyReady(
  tenant: string,
  unit: string,
  school: string,
  teacher: typeof TEACHER,
): Promise<void> {
  const mail = sink.list({ to: `admin@${tenant}.edu.tw` }).at(-1);
  const link = /https:\/\/\S+/.exec(mail?.text ?? '')?.[0] ?? '';
  expect(link.startsWith(`${settings.COUNTY_URL}/${tenant}/`)).toBe(true);
  const password = `${tenant}-Admin-2026`;
  const adminContext = await newContext();
  const admin = await adminContext.newPage();
  await admin.goto(link);
  await admin.locator('[name=password]').fill(password);
  await admin.locator('[name=password_confirm]').fill(password);
  await admin.locator('main form button[type=submit]').click();
  await admin.waitForLoadState();
  expect(await admin.content()).toContain('密碼已重設');
  await signInAtCounty(admin, `${tenant}admin`, password, tenant);
  await admin.goto(`${settings.COUNTY_URL}/${tenant}/manage/units`);
  await admin.locator('[name=code]').fill(unit);
  await admin.locator('[name=name]').fill(school);
  await admin.locator('[name=mailbox]').fill(`school@${tenant}.edu.tw`);
  await admin.locator('main form button[type=submit]').first().click();
  await admin.waitForLoadState();
  expect(await admin.content()).toContain(school);
  await adminContext.close();

  const csv = join(work, `teachers-${tenant}.csv`);
  writeFileSync(
    csv,
    'username,email,password_hash,unit_code,real_name,family_name,given_name,national_id,titles,status\n' +
      `${teacher.username},${teacher.username}@example.org,${bcrypt.hashSync(teacher.password, 8)},${unit},` +
      `${teacher.realName},${teacher.realName.slice(0, 1)},${teacher.realName.slice(1)},${teacher.nationalId},教師,active\n`,
  );
  expect(await edugate('county', ['county', 'import-accounts', '--tenant', tenant, csv])).toContain(
    'imported 1',
  );
}

/** 縣市帳號登入 with a county at the cloud: the county's profile check once, then the first login. */
async function firstCloudLogin(page: Page, county: string, teacher: typeof TEACHER): Promise<string> {
  const none = async () => {};
  await page.goto(settings.CLOUD_URL as string);
  await page.getByRole('link', { name: '登入' }).first().click();
  await page.getByRole('heading', { name: '縣市帳號登入' }).waitFor();
  // Both counties wired in the guide are listed.
  expect(await page.content()).toContain('嘉義縣');
  expect(await page.content()).toContain('臺南市');
  await signInWithCounty(page, { county, username: teacher.username, password: teacher.password }, none);
  // The first OpenID sign-in of an imported account: the county's profile check (認證資料檢核).
  // Once complete, the cloud login goes on where it stopped.
  await page.getByRole('button', { name: '確認資料正確' }).click();
  await page.waitForLoadState();
  await consentIfAsked(page, none, 'county-consent');
  const name = await startCloudAccount(page, teacher.realName, none);
  await page.getByRole('button', { name: '下一步' }).click();
  await finishCloudAccount(page, { email: `${name}@mail.edu.tw`, password: teacher.cloudPassword }, none);
  return name;
}

/** 縣市帳號登入 at the cloud, the first login (name@mail.edu.tw), activation, Google through the cloud. */
async function chain(page: Page): Promise<void> {
  const none = async () => {};
  expect(await firstCloudLogin(page, '嘉義縣', TEACHER)).toBe('teacher01');
  await page.goto(settings.WORKSPACE_URL as string);
  await page.locator('#cloud-login').click();
  await consentIfAsked(page, none, 'portal-consent');
  await expectPortalSignedIn(page, 'teacher01@mail.edu.tw', none);
  await activateGSuite(page, 'teacher01@go.edu.tw', none);
  await page.locator('#google-signin').click();
  await typeGoogleAddress(page, 'teacher01@go.edu.tw', none);
  await page.locator('#signed-in').waitFor({ timeout: 30_000 });
  expect(new URL(page.url()).port).toBe(settings.GOOGLE_PORT);
  expect(await page.locator('#signed-in').textContent()).toBe('已登入 Google Workspace：teacher01@go.edu.tw');
}

/** A failing step says what the page showed. */
async function explained(page: Page, steps: () => Promise<void>): Promise<void> {
  try {
    await steps();
  } catch (error) {
    const text = await page.textContent('body').catch(() => '');
    const warnings = Object.entries(nodes).flatMap(([name, node]) =>
      node
        .output()
        .split('\n')
        .filter((line) => /"level":[45]0/.test(line))
        .slice(-5)
        .map((line) => `${name}: ${line.slice(0, 600)}`),
    );
    throw new Error(
      `${(error as Error).message}\nat ${page.url()}:\n${text?.replace(/\s+/g, ' ').slice(0, 2000)}\n${warnings.join('\n')}`,
    );
  }
}
