import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { createLogger } from '../observability/logger.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { createRoleApp } from './role-app.ts';
import { DatabaseSessionStore } from './session-store.ts';
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
    },
    { prefix: '/tn' },
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
