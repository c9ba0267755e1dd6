// The county portal as operators run it, for the benches: `edugate start --role county` in a
// process of its own on a PostgreSQL database of its own and Redis, with one county (cyc), one
// school, `accounts` active teachers (bulk-loaded with SQL) and one registered OIDC client.
import { spawn } from 'node:child_process';
import { hash } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import { NationalIdVault, parseKeyRing } from '../src/identity/national-id/vault.ts';
import { OIDC_ROUTES } from '../src/platform/oidc/paths.ts';
import { generateSecrets } from '../src/platform/runtime/secrets.ts';
import { collectOutput } from '../src/platform/testing/child-output.ts';
import { CookieBrowser, formOf } from '../src/platform/testing/cookie-browser.ts';
import { type ProcessGroups, postgresBackends, redisProcessId } from '../src/platform/testing/process-cpu.ts';
import { type ProcessStage, processStage } from '../src/platform/testing/process-stage.ts';
import { RoleProcess } from '../src/platform/testing/role-process.ts';
import { type Issuer, REDIRECT } from './oidc-scenarios.ts';

export const BENCH_PASSWORD = 'bench login password 2026';
/** The county's password parameters (argon2id, m=19 MiB, t=2, p=1). */
export const ARGON2_PARAMETERS = { memoryCost: 19456, timeCost: 2, parallelism: 1, algorithm: 2 } as const;
export const COUNTY_SCOPE = 'openid profile email eduinfo';

/** The n-th bench account's username. */
export const teacherUsername = (n: number) => `bench${String(n).padStart(7, '0')}`;

export interface CountyUnderTest {
  node: RoleProcess;
  stage: ProcessStage;
  /** The environment the role process runs with (database, Redis, secrets): for other roles. */
  env: Record<string, string>;
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The processes whose CPU time a measurement splits: the role process, PostgreSQL, Redis. */
  processes(): Promise<ProcessGroups>;
  /** Registers another OIDC client at the county (e.g. the cloud); its id and secret. */
  registerClient(redirectUris: string[], scope: string): Promise<{ clientId: string; clientSecret: string }>;
  /** A browser signed in as `username` that consented for the client: its cookie header. */
  signIn(username: string, redirectUri: string): Promise<string>;
  /** Gives the account `username` a national ID of its own (the bulk-loaded accounts share one). */
  giveNationalId(username: string, nationalId: string): Promise<void>;
  close(): Promise<void>;
}

const ROOT = new URL('../', import.meta.url).pathname;

function edugate(args: string[], env: Record<string, string>, root = ROOT): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/edugate.js', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = collectOutput(child);
    child.on('exit', (code) =>
      code === 0 ? resolve(output.text) : reject(new Error(`edugate ${args.join(' ')}: ${output.text}`)),
    );
  });
}

/**
 * `accounts` active teachers of cyc with a complete profile (usernames `teacherUsername(n)`, all with
 * the same password hash and the same sealed national ID, without a blind index), inserted by
 * PostgreSQL itself in batches: a million take a few minutes.
 */
async function loadAccounts(stage: ProcessStage, accounts: number, passwordHash: string, nationalId: string) {
  const batch = 100_000;
  for (let from = 0; from < accounts; from += batch) {
    const to = Math.min(accounts, from + batch) - 1;
    await stage.query(
      `insert into edugate_county.county_accounts (id, tenant, username, username_normalized, password_hash,
         email, email_normalized, email_verified_at, role, status, real_name, family_name, given_name,
         national_id_encrypted, unit_code, unit_confirmed_at, titles, terms_version, terms_accepted_at, password_changed_at)
       select gen_random_uuid(), 'cyc', u, u, $3, u || '@bench.cyc.edu.tw', u || '@bench.cyc.edu.tw', now(),
         'teacher', 'active', '王小明', '王', '小明', $4, '454503', now(),
         '[{"schoolid":"454503","titles":["教師"]}]'::jsonb, '1', now(), now()
       from (select 'bench' || lpad(n::text, 7, '0') as u from generate_series($1::int, $2::int) n) s`,
      [from, to, passwordHash, nationalId],
    );
  }
  await stage.query('analyze edugate_county.county_accounts');
}

export async function startCounty(options: {
  accounts: number;
  redirectUris: string[];
  /** The checkout to run (default this one; see compare.ts). */
  root?: string;
  /** A Redis of the bench's own (see redis-server.ts) instead of the machine's shared one. */
  redisUrl?: string;
  /** More environment for the role process (e.g. `EDUGATE_ARGON2_CONCURRENCY`). */
  env?: Record<string, string>;
}): Promise<CountyUnderTest> {
  const root = options.root ?? ROOT;
  const stage = await processStage('edugate_bench');
  const secrets = generateSecrets();
  const env: Record<string, string> = {
    ...stage.directEnv,
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
    LOG_LEVEL: 'warn',
    EDUGATE_SECRET: secrets.secret,
    EDUGATE_ADMIN_TOKEN: secrets.adminToken,
    EDUGATE_NATIONAL_ID_KEYS: secrets.nationalIdKeys,
    EDUGATE_BLIND_INDEX_KEY: secrets.blindIndexKey,
    EDUGATE_CAPTCHA: 'off',
    EDUGATE_PUBLIC_HOST: '127.0.0.1',
    // E.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`: a CPU profile of each role process (written when it stops).
    ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
  };
  let node: RoleProcess | undefined;
  const redis = new Redis(options.redisUrl ?? stage.redisUrl, { lazyConnect: true });
  const close = async () => {
    await node?.stop();
    redis.disconnect();
    await stage.close();
  };
  try {
    await edugate(['migrate', '--role', 'county'], env, root);
    await stage.query(
      `insert into edugate_county.county_tenants (code, name, portal_name, mail_domain)
       values ('cyc', '嘉義縣', '嘉義縣教育網路中心', 'cyc.edu.tw')`,
    );
    await stage.query(
      `insert into edugate_county.county_units (tenant, code, name, mailbox, mailbox_normalized)
       values ('cyc', '454503', '嘉義縣立測試國小', 'school@cyc.edu.tw', 'school@cyc.edu.tw')`,
    );
    const vault = new NationalIdVault({
      keyRing: parseKeyRing(secrets.nationalIdKeys),
      blindIndexKey: secrets.blindIndexKey,
    });
    await loadAccounts(
      stage,
      options.accounts,
      await hash(BENCH_PASSWORD, ARGON2_PARAMETERS),
      await vault.encrypt('A123456789'),
    );
    node = await RoleProcess.start('county', env, undefined, root);
    await node.until(200, '/readyz', 90_000);
    const running = node;
    const registerClient = async (redirectUris: string[], scope: string) => {
      const response = await fetch(`${running.adminBase}/admin/api/oidc/cyc/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secrets.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'bench', redirect_uris: redirectUris, scopes: scope.split(' ') }),
      });
      if (response.status >= 300)
        throw new Error(`client registration answered ${response.status}: ${await response.text()}`);
      const issued = (await response.json()) as { client_id: string; client_secret: string };
      return { clientId: issued.client_id, clientSecret: issued.client_secret };
    };
    const registered = await registerClient(options.redirectUris, COUNTY_SCOPE);
    const client = { client_id: registered.clientId, client_secret: registered.clientSecret };
    const issuer = `${running.base}/cyc`;
    const info = await redis.info('server');
    return {
      node: running,
      stage,
      env,
      issuer,
      clientId: client.client_id,
      clientSecret: client.client_secret,
      registerClient,
      processes: async () => ({
        edugate: [running.child.pid ?? 0],
        postgresql: await postgresBackends((sql, values) => stage.query(sql, values), stage.name),
        redis: [redisProcessId(info)],
      }),
      signIn: (username, redirectUri) =>
        signInAtCounty({
          issuer,
          clientId: client.client_id,
          username,
          password: BENCH_PASSWORD,
          redirectUri,
        }),
      giveNationalId: async (username, nationalId) => {
        await stage.query(
          'update edugate_county.county_accounts set national_id_encrypted = $2 where username_normalized = $1',
          [username, await vault.encrypt(nationalId)],
        );
      },
      close,
    };
  } catch (error) {
    const output = node?.output ?? '';
    await close();
    throw output ? new Error(`${(error as Error).message}\n${output.slice(-2000)}`) : error;
  }
}

/**
 * A browser that signs in at a county issuer through the authorization endpoint (login form, then
 * consent when asked) until sent to `redirectUri` with a code: its cookie header.
 */
export async function signInAtCounty(options: {
  issuer: string;
  clientId: string;
  username: string;
  password: string;
  redirectUri: string;
  scope?: string;
}): Promise<string> {
  const { issuer, redirectUri } = options;
  const browser = new CookieBrowser();
  const url = `${issuer}${OIDC_ROUTES.authorization}?${new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    scope: options.scope ?? COUNTY_SCOPE,
    redirect_uri: redirectUri,
    state: 's',
  })}`;
  let step = await browser.follow(url, { stopBefore: redirectUri });
  const login = formOf(step.text, step.url);
  step = await browser.follow(login.action, {
    stopBefore: redirectUri,
    form: { ...login.fields, username: options.username, password: options.password },
  });
  if (!step.url.searchParams.get('code')) {
    // The page's header holds a sign-out form: the consent form is the one with the decision.
    const consent = formOf(step.text.replace(/<form[^>]*logout[\s\S]*?<\/form>/g, ''), step.url);
    step = await browser.follow(consent.action, {
      stopBefore: redirectUri,
      form: { ...consent.fields, decision: 'allow' },
    });
  }
  if (!step.url.searchParams.get('code')) {
    throw new Error(`county sign-in of ${options.username} ended at ${step.url.href}`);
  }
  return browser.cookieHeader(new URL(url));
}

/** The county of `startCounty` as an issuer of the scenarios: its client, eduinfo, a signed-in teacher. */
export async function countyIssuer(county: CountyUnderTest): Promise<Issuer> {
  return {
    issuer: county.issuer,
    clientId: county.clientId,
    clientSecret: county.clientSecret,
    scope: COUNTY_SCOPE,
    resource: `${county.issuer}/cncresource/api/v1/eduinfo`,
    cookie: await county.signIn(teacherUsername(1), REDIRECT),
  };
}
