// The floor of the login bench: a login server that makes the storage round trips a county login
// makes and nothing else, in a process of its own on the same Node binary. A login there is a form
// POST whose browser session is read from Redis (its CSRF value compared), the sign-in budgets
// taken in one Redis script beside the account read from PostgreSQL, argon2id verified on libuv's
// threads (one per core, as the raw baseline), then the budgets settled, the old session deleted
// and the new one written in one Redis round trip beside one PostgreSQL statement (the account's
// sign-in time, the audit record, the row in the account's list of sessions), and a 303. No
// framework, no CSRF or cookie signing, no device cookie, no logging: what is left between its
// figure and raw argon2id's is what those round trips cost on the machine, so EduGate's figure
// is read against both.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { verify } from '@node-rs/argon2';
import { Redis } from 'ioredis';
import pg from 'pg';
import { SETTLE, TAKE } from '../src/platform/security/throttle.ts';
import { freePort } from '../src/platform/testing/ports.ts';
import { measureThreads } from '../src/platform/testing/process-cpu.ts';
import type { LoadProcess } from './http-load.ts';
import { startServerProcess } from './server-process.ts';

const FLAG = 'EDUGATE_BENCH_LOGIN_FLOOR';

export interface FloorOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Accounts `usernames`, each with the stored argon2id hash `storedHash`. */
  usernames: string[];
  storedHash: string;
}

export interface LoginFloor {
  /** The login form's URL (GET: a form and a session; POST: a login). */
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const SESSION_SECONDS = 3600;
const CONNECTIONS = 8;
const WINDOW_MS = '3600000';

const SCHEMA = `
create table if not exists floor_accounts (
  id bigserial primary key, username text not null unique, password_hash text not null, last_login_at timestamptz
);
create table if not exists floor_audit (
  id bigserial primary key, at timestamptz not null default now(), actor text not null, action text not null,
  target text, ip text, details jsonb not null default '{}'
);
create table if not exists floor_sessions (
  id text primary key, account_id bigint not null references floor_accounts (id), ip text, user_agent text,
  created_at timestamptz not null default now()
);`;

const READ_ACCOUNT = 'select id, password_hash from floor_accounts where username = $1';
const SIGN_IN = `with signed_in as (
  update floor_accounts set last_login_at = now() where id = $1 returning id
), audited as (
  insert into floor_audit (actor, action, target, ip) values ($2, 'login.succeeded', $1, $3)
), listed as (
  insert into floor_sessions (id, account_id, ip, user_agent) values ($4, $1, $3, $5)
)
select id from signed_in`;

async function serve(options: FloorOptions, port: number): Promise<void> {
  // Every connection opened at the start and kept: the bench counts the CPU time of the backends
  // it finds at the start of each slice, as it does for the role's.
  const db = new pg.Pool({ connectionString: options.databaseUrl, max: CONNECTIONS, min: CONNECTIONS });
  const opened = await Promise.all(Array.from({ length: CONNECTIONS }, () => db.connect()));
  for (const connection of opened) connection.release();
  await db.query(SCHEMA);
  await db.query(
    `insert into floor_accounts (username, password_hash) select unnest($1::text[]), $2
     on conflict (username) do nothing`,
    [options.usernames, options.storedHash],
  );
  const redis = new Redis(options.redisUrl);
  // The sign-in budgets' scripts of the county's Redis store (security/throttle.ts), run by their SHA1.
  for (const script of [TAKE, SETTLE]) await redis.script('LOAD', script.text);

  const sessionOf = (request: IncomingMessage) =>
    /(?:^|; )sid=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1];
  const answer = (response: ServerResponse, status: number, headers: Record<string, string>, body = '') => {
    response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
    response.end(body);
  };

  async function form(response: ServerResponse): Promise<void> {
    const sid = randomBytes(18).toString('base64url');
    const csrf = randomBytes(18).toString('base64url');
    await redis.set(`sess:${sid}`, JSON.stringify({ csrf }), 'EX', SESSION_SECONDS);
    answer(
      response,
      200,
      {
        'content-type': 'text/html; charset=utf-8',
        'set-cookie': `sid=${sid}; Path=/; HttpOnly; SameSite=Lax`,
      },
      `<form method="post"><input type="hidden" name="_csrf" value="${csrf}"><input name="username"><input name="password" type="password"></form>`,
    );
  }

  async function login(request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
    const posted = new URLSearchParams(body);
    const sid = sessionOf(request) ?? '';
    const session = JSON.parse((await redis.get(`sess:${sid}`)) ?? '{}') as { csrf?: string };
    if (!session.csrf || session.csrf !== posted.get('_csrf')) return answer(response, 403, {});
    const username = posted.get('username') ?? '';
    const keys = [`acct:${username}`, `ip:${request.socket.remoteAddress ?? ''}`];
    const [, found] = await Promise.all([
      redis.evalsha(TAKE.sha, keys.length, ...keys, WINDOW_MS),
      db.query<{ id: string; password_hash: string }>({
        name: 'read',
        text: READ_ACCOUNT,
        values: [username],
      }),
    ]);
    const account = found.rows[0];
    if (!account || !(await verify(account.password_hash, posted.get('password') ?? ''))) {
      return answer(response, 401, {});
    }
    const next = randomBytes(18).toString('base64url');
    const ip = request.socket.remoteAddress ?? '';
    await Promise.all([
      redis
        .pipeline()
        .evalsha(SETTLE.sha, keys.length, ...keys, '1')
        .del(`sess:${sid}`)
        .set(`sess:${next}`, JSON.stringify({ account: account.id, at: Date.now() }), 'EX', SESSION_SECONDS)
        .exec(),
      db.query({
        name: 'sign-in',
        text: SIGN_IN,
        values: [account.id, username, ip, next, request.headers['user-agent'] ?? ''],
      }),
    ]);
    answer(response, 303, { location: '/home', 'set-cookie': `sid=${next}; Path=/; HttpOnly; SameSite=Lax` });
  }

  const server = createServer((request, response) => {
    const failed = (error: unknown) => answer(response, 500, {}, String(error));
    if (request.method !== 'POST') return void form(response).catch(failed);
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => void login(request, response, Buffer.concat(chunks).toString()).catch(failed));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
}

/** Starts the floor's login server in a process of its own, on `process.execPath`. */
export async function startLoginFloor(options: FloorOptions): Promise<LoginFloor> {
  const port = await freePort();
  const { pid, stop } = await startServerProcess('login floor', fileURLToPath(import.meta.url), {
    [FLAG]: JSON.stringify({ options, port }),
    // One verification per core at once, as the raw baseline's first process.
    UV_THREADPOOL_SIZE: String(availableParallelism()),
  });
  return { url: `http://127.0.0.1:${port}/login`, pid, stop };
}

/**
 * Wraps the floor's login load: around each of its runs but the first (the warm-up) it reads the
 * CPU time of the floor's libuv threads, where its verifications run; `argon2Ms` gives it per login.
 */
export function floorVerifications(
  load: LoadProcess,
  floorPid: number,
): { load: LoadProcess; argon2Ms(): number } {
  let ms = 0;
  let logins = 0;
  let runs = 0;
  return {
    load: {
      pid: load.pid,
      stop: () => load.stop(),
      async run(slice, rate) {
        if (runs++ === 0) return load.run(slice, rate);
        const used = measureThreads(floorPid, ({ name }) => (name === 'libuv-worker' ? 'argon2id' : 'rest'));
        const result = await load.run(slice, rate);
        ms += (used().argon2id ?? 0) * 1000;
        logins += result.done;
        return result;
      },
    },
    argon2Ms: () => ms / Math.max(1, logins),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env[FLAG]) {
  const { options, port } = JSON.parse(process.env[FLAG]) as { options: FloorOptions; port: number };
  await serve(options, port);
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => process.exit(0));
}
