import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { createLogger } from '../observability/logger.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { createRoleApp } from './role-app.ts';
import { DatabaseSessionStore, type SessionData } from './session-store.ts';
import { sessions } from './sessions.ts';

let app: FastifyInstance;
let database: Database<PlatformTables>;

beforeAll(async () => {
  database = await embeddedTestDatabase.open<PlatformTables>();
  app = await createRoleApp({ role: 'test', logger: createLogger('silent') });
  await app.register(
    async (site) => {
      await site.register(sessions, {
        store: new DatabaseSessionStore(database.db),
        cookieName: 'edugate_test_tn',
        cookiePath: '/tn',
        secure: false,
        formTokenKey: 'a key only this test knows',
      });
      site.get('/login', async (request) => ({ token: request.session.csrfToken() }));
      site.post('/login', async (request) => {
        request.session.regenerate();
        request.session.set('account', 'teacher01');
        return { token: request.session.csrfToken() };
      });
      site.post('/note', async (request) => ({ account: request.session.get('account') ?? null }));
      site.post('/remember', async (request) => {
        request.session.set('remembered', 'yes');
        return { token: request.session.csrfToken() };
      });
      // A sign-in whose own statement writes the session row (as the county login's does).
      site.post<{ Querystring: { fail?: string; more?: string } }>('/login-within', async (request) => {
        const pending = request.session.prepareSignIn({ account: 'teacher02' });
        const { row } = pending;
        if (!row) return { prepared: false };
        if (request.query.fail) return { prepared: true, token: request.session.csrfToken() };
        await pending.save();
        await database.db.transaction().execute(async (tx) => {
          if (row.previous) await tx.deleteFrom('sessions').where('id', '=', row.previous).execute();
          await tx
            .insertInto('sessions')
            .values({ id: row.id, data: row.data, expires_at: row.expires })
            .execute();
        });
        pending.commit();
        if (request.query.more) request.session.set('more', 'after the sign-in');
        return { prepared: true, token: request.session.csrfToken() };
      });
    },
    { prefix: '/tn' },
  );
  await app.register(
    async (site) => {
      const rows = new Map<string, SessionData>();
      await site.register(sessions, {
        store: {
          get: async (id) => rows.get(id),
          set: async (id, data) => void rows.set(id, data),
          destroy: async (id) => void rows.delete(id),
          replace: async (previous, id, data) => {
            rows.delete(previous);
            rows.set(id, data);
          },
        },
        cookieName: 'edugate_test_mem',
        cookiePath: '/mem',
        secure: false,
        formTokenKey: 'a key only this test knows',
      });
      site.get('/login', async (request) => ({ token: request.session.csrfToken() }));
      site.post('/note', async (request) => ({ account: request.session.get('account') ?? null }));
      // A sign-in whose session the store writes itself, beside the sign-in's own writes.
      site.post<{ Querystring: { fail?: string } }>('/login-within', async (request) => {
        const pending = request.session.prepareSignIn({ account: 'teacher02' });
        const stored = rows.size;
        await pending.save();
        const written = rows.size - stored;
        // The sign-in's other writes failed: no commit.
        if (!request.query.fail) pending.commit();
        return { row: pending.row !== undefined, written, token: request.session.csrfToken() };
      });
    },
    { prefix: '/mem' },
  );
});

afterAll(async () => {
  await app.close();
  await database.close();
});

const storedSessions = async () => (await database.db.selectFrom('sessions').select('id').execute()).length;

function cookiesOf(response: { headers: Record<string, unknown> }): Record<string, string> {
  const set = response.headers['set-cookie'];
  const list = set === undefined ? [] : Array.isArray(set) ? set : [String(set)];
  return Object.fromEntries(
    list.map((line: string) => {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

const header = (cookies: Record<string, string>) =>
  Object.entries(cookies)
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');

const post = (url: string, cookies: Record<string, string>, token: string) =>
  app.inject({
    method: 'POST',
    url,
    headers: { cookie: header(cookies), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token }).toString(),
  });

describe('form tokens of visitors without a session', () => {
  it('gives an anonymous visitor a signed token cookie and stores no session', async () => {
    const before = await storedSessions();
    const page = await app.inject('/tn/login');
    const cookies = cookiesOf(page);
    expect(Object.keys(cookies)).toEqual(['edugate_test_tn_form']);
    expect(cookies.edugate_test_tn_form?.startsWith(`${page.json().token}.`)).toBe(true);
    expect(String(page.headers['set-cookie'])).toMatch(/HttpOnly/);
    expect(String(page.headers['set-cookie'])).toMatch(/SameSite=Lax/);
    expect(await storedSessions()).toBe(before);
    // The same visitor keeps its token (no new cookie on the next page).
    const again = await app.inject({ url: '/tn/login', headers: { cookie: header(cookies) } });
    expect(again.json().token).toBe(page.json().token);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('accepts the token only with its own signed cookie', async () => {
    const page = await app.inject('/tn/login');
    const cookies = cookiesOf(page);
    const token = page.json().token as string;
    expect((await post('/tn/note', cookies, token)).statusCode).toBe(200);
    expect((await post('/tn/note', {}, token)).statusCode).toBe(403);
    expect((await post('/tn/note', cookies, 'another token')).statusCode).toBe(403);
    // A cookie whose signature does not hold (forged, or from another site's key) is refused.
    const forged = { edugate_test_tn_form: `${token}.${'A'.repeat(43)}` };
    expect((await post('/tn/note', forged, token)).statusCode).toBe(403);
    const unsigned = { edugate_test_tn_form: token };
    expect((await post('/tn/note', unsigned, token)).statusCode).toBe(403);
    // Another visitor's valid cookie does not go with this token.
    const other = cookiesOf(await app.inject('/tn/login'));
    expect((await post('/tn/note', other, token)).statusCode).toBe(403);
  });

  it('signs in with the cookie token; from then on only the session’s new token is accepted', async () => {
    const page = await app.inject('/tn/login');
    const anonymous = cookiesOf(page);
    const oldToken = page.json().token as string;
    const signIn = await post('/tn/login', anonymous, oldToken);
    expect(signIn.statusCode).toBe(200);
    const newToken = signIn.json().token as string;
    expect(newToken).not.toBe(oldToken);
    const cookies = { ...anonymous, ...cookiesOf(signIn) };
    expect(cookies.edugate_test_tn).toBeDefined();
    expect((await post('/tn/note', cookies, oldToken)).statusCode).toBe(403);
    const note = await post('/tn/note', cookies, newToken);
    expect(note.statusCode).toBe(200);
    expect(note.json()).toEqual({ account: 'teacher01' });
  });
});

describe('a sign-in’s session, written beside the sign-in’s own writes', () => {
  async function rememberingVisitor() {
    const page = await app.inject('/tn/login');
    const anonymous = cookiesOf(page);
    const stored = await post('/tn/remember', anonymous, page.json().token as string);
    return { cookies: { ...anonymous, ...cookiesOf(stored) }, token: stored.json().token as string };
  }

  it('replaces the visitor’s stored session: new id and token, same data, the old id worthless', async () => {
    const before = await rememberingVisitor();
    expect(before.cookies.edugate_test_tn).toBeDefined();
    const count = await storedSessions();
    const signIn = await post('/tn/login-within', before.cookies, before.token);
    expect(signIn.json()).toMatchObject({ prepared: true });
    const after = { ...before.cookies, ...cookiesOf(signIn) };
    expect(after.edugate_test_tn).not.toBe(before.cookies.edugate_test_tn);
    expect(String(signIn.headers['set-cookie'])).toMatch(/edugate_test_tn=.*HttpOnly/);
    // One row replaced by one, nothing written twice.
    expect(await storedSessions()).toBe(count);
    const note = await post('/tn/note', after, signIn.json().token as string);
    expect(note.json()).toEqual({ account: 'teacher02' });
    // The id from before names no session any more (a planted id signs nobody in).
    expect((await post('/tn/note', before.cookies, before.token)).json()).toEqual({ account: null });
    expect((await post('/tn/note', before.cookies, signIn.json().token as string)).statusCode).toBe(403);
  });

  it('changes nothing when the statement did not commit', async () => {
    const before = await rememberingVisitor();
    const count = await storedSessions();
    const failed = await post('/tn/login-within?fail=1', before.cookies, before.token);
    expect(failed.json()).toEqual({ prepared: true, token: before.token });
    expect(cookiesOf(failed).edugate_test_tn).toBeUndefined();
    expect(await storedSessions()).toBe(count);
    expect((await post('/tn/note', before.cookies, before.token)).json()).toEqual({ account: null });
  });

  it('saves a change made after the sign-in as any other', async () => {
    const page = await app.inject('/tn/login');
    const anonymous = cookiesOf(page);
    const signIn = await post('/tn/login-within?more=1', anonymous, page.json().token as string);
    const cookies = { ...anonymous, ...cookiesOf(signIn) };
    const id = cookies.edugate_test_tn ?? '';
    const row = await database.db
      .selectFrom('sessions')
      .select('data')
      .where('id', '=', createHash('sha256').update(id).digest('base64url'))
      .executeTakeFirst();
    expect(row?.data).toMatchObject({ account: 'teacher02', more: 'after the sign-in' });
  });

  it('is written by the store itself when sessions live outside the role’s database', async () => {
    const page = await app.inject('/mem/login');
    const signIn = await post('/mem/login-within', cookiesOf(page), page.json().token as string);
    expect(signIn.json()).toMatchObject({ row: false, written: 1 });
    const cookies = { ...cookiesOf(page), ...cookiesOf(signIn) };
    expect(cookies.edugate_test_mem).toBeDefined();
    const note = await post('/mem/note', cookies, signIn.json().token as string);
    expect(note.json()).toEqual({ account: 'teacher02' });
    // Not committed (the sign-in's other writes failed): no session cookie, nobody signed in.
    const other = await app.inject('/mem/login');
    const failed = await post('/mem/login-within?fail=1', cookiesOf(other), other.json().token as string);
    expect(cookiesOf(failed).edugate_test_mem).toBeUndefined();
    expect(failed.json().token).toBe(other.json().token);
  });
});
