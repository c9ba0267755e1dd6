import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RedisNotifications, SUBSCRIBER_NAME } from '../runtime/redis-notifications.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../testing/services.ts';
import { RedisAdapter } from './adapter.ts';
import { ArtifactCopies } from './artifact-copies.ts';
import { ConsumedBefore } from './grant-revocation.ts';

/** One node: its Redis connection, its subscriber, its copies, its token and session stores. */
function node(prefix: string) {
  const redis = new Redis(TEST_REDIS_URL);
  const notifications = new RedisNotifications(redis);
  const copies = new ArtifactCopies(`${prefix}changes`);
  return {
    redis,
    notifications,
    copies,
    tokens: new RedisAdapter(redis, prefix, 'AccessToken', { withSession: true, copies }),
    codes: new RedisAdapter(redis, prefix, 'AuthorizationCode', { copies }),
    sessions: new RedisAdapter(redis, prefix, 'Session', { copies }),
    async start() {
      await copies.follow(notifications, copies.channel);
      await vi.waitFor(() => expect(notifications.listening).toBe(true), { timeout: 5000 });
    },
    async close() {
      await copies.close();
      await notifications.close();
      redis.disconnect();
    },
  };
}

const token = (id: string, extra: Record<string, unknown> = {}) =>
  ({ jti: id, accountId: 'teacher', grantId: 'g1', sessionUid: 'u1', ...extra }) as AdapterPayload;
const session = (extra: Record<string, unknown> = {}) =>
  ({ jti: 's1', uid: 'u1', accountId: 'teacher', ...extra }) as AdapterPayload;

if (await redisAvailable()) {
  describe('each node keeps the tokens and sessions it read, and drops them when any node changes them', () => {
    const prefix = `edugate:test:${randomBytes(4).toString('hex')}:`;
    const a = node(prefix);
    const b = node(prefix);
    beforeAll(async () => {
      await a.start();
      await b.start();
    });
    afterAll(async () => {
      const keys = await a.redis.keys(`${prefix}*`);
      if (keys.length > 0) await a.redis.del(...keys);
      await a.close();
      await b.close();
    });
    /** Deletes keys behind EduGate's back: announced by nobody, seen only by a node reading Redis. */
    const deleteByHand = (...keys: string[]) => a.redis.del(...keys.map((key) => `${prefix}${key}`));

    it('answers a token again from memory, with its session, and keeps nothing for unknown tokens', async () => {
      await a.sessions.upsert('s1', session(), 600);
      await a.tokens.upsert('at1', token('at1'), 600);
      expect(await b.tokens.find('at1')).toMatchObject({ jti: 'at1' });
      const kept = b.copies.size;
      expect(kept).toBe(2);
      await deleteByHand('AccessToken:at1', 'Session:s1', 'uid:Session:u1');
      expect(await b.tokens.find('at1')).toMatchObject({ jti: 'at1' });
      expect(await b.sessions.findByUid('u1')).toMatchObject({ jti: 's1' });
      // A node that never read them reads Redis.
      expect(await a.tokens.find('at1')).toBeUndefined();
      expect(await b.tokens.find('not-a-token')).toBeUndefined();
      expect(b.copies.size).toBe(kept);
    });

    it('stops answering a token another node revoked, destroyed or changed', async () => {
      await a.sessions.upsert('s1', session(), 600);
      for (const id of ['at2', 'at3', 'at4']) await a.tokens.upsert(id, token(id), 600);
      for (const id of ['at2', 'at3', 'at4']) expect(await b.tokens.find(id)).toMatchObject({ jti: id });
      await a.tokens.destroy('at2');
      await a.tokens.upsert('at3', token('at3', { scope: 'openid eduinfo' }), 600);
      await vi.waitFor(async () => {
        expect(await b.tokens.find('at2')).toBeUndefined();
        expect(await b.tokens.find('at3')).toMatchObject({ scope: 'openid eduinfo' });
      });
      await a.tokens.revokeByGrantId('g1');
      await vi.waitFor(async () => expect(await b.tokens.find('at4')).toBeUndefined());
      await a.tokens.upsert('at5', token('at5'), 600);
      expect(await b.tokens.find('at5')).toBeDefined();
      await a.tokens.consume('at5');
      await vi.waitFor(async () => expect((await b.tokens.find('at5'))?.consumed).toBeTypeOf('number'));
    });

    it('refuses a code a second time on any node, without announcing its first use', async () => {
      await a.codes.upsert('c1', { jti: 'c1', accountId: 'teacher', grantId: 'g9' } as AdapterPayload, 60);
      expect(await b.codes.find('c1')).toMatchObject({ jti: 'c1' });
      const kept = b.copies.size;
      await a.codes.consume('c1');
      // Not announced: node b still holds its copy, which says nothing of the use…
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(b.copies.size).toBe(kept);
      expect((await b.codes.find('c1'))?.consumed).toBeUndefined();
      // …and the use that counts is Redis's: the second one, on either node, is refused.
      await expect(b.codes.consume('c1')).rejects.toBeInstanceOf(ConsumedBefore);
      await expect(a.codes.consume('c1')).rejects.toBeInstanceOf(ConsumedBefore);
      // Another artifact's consumption is announced, as before.
      await a.tokens.upsert('at6', token('at6'), 600);
      expect(await b.tokens.find('at6')).toBeDefined();
      await a.tokens.consume('at6');
      await vi.waitFor(async () => expect((await b.tokens.find('at6'))?.consumed).toBeTypeOf('number'));
    });

    it('stops answering a session another node signed out or changed', async () => {
      await a.sessions.upsert('s1', session(), 600);
      expect(await b.sessions.find('s1')).toMatchObject({ accountId: 'teacher' });
      expect(await b.sessions.findByUid('u1')).toMatchObject({ accountId: 'teacher' });
      await a.sessions.upsert('s1', session({ authorizations: { app: { grantId: 'g2' } } }), 600);
      await vi.waitFor(async () => {
        expect(await b.sessions.find('s1')).toMatchObject({ authorizations: { app: { grantId: 'g2' } } });
        expect(await b.sessions.findByUid('u1')).toMatchObject({
          authorizations: { app: { grantId: 'g2' } },
        });
      });
      // A new id for the same session (its id is renewed at sign-in): the uid now names it.
      await a.sessions.upsert(
        's1b',
        { ...session(), jti: 's1b', accountId: 'teacher2' } as AdapterPayload,
        600,
      );
      await vi.waitFor(async () =>
        expect(await b.sessions.findByUid('u1')).toMatchObject({ jti: 's1b', accountId: 'teacher2' }),
      );
      await a.sessions.destroy('s1');
      await a.sessions.destroy('s1b');
      await vi.waitFor(async () => {
        expect(await b.sessions.find('s1')).toBeUndefined();
        expect(await b.sessions.findByUid('u1')).toBeUndefined();
      });
    });

    it('hands every read of a token the payload parsed once, and each read of anything nested its own', async () => {
      await a.sessions.upsert('s1', session({ authorizations: { rp: { sid: 'x', grantId: 'g1' } } }), 600);
      await a.tokens.upsert('at9', token('at9', { scope: 'openid' }), 600);
      await a.tokens.upsert('at10', token('at10', { extra: { school: '454503' } }), 600);
      const first = await b.tokens.find('at9');
      expect(await b.tokens.find('at9')).toBe(first);
      expect(Object.isFrozen(first)).toBe(true);
      // What oidc-provider does with it: a model of its own from the top-level values.
      const model = { ...first, scope: 'openid eduinfo' };
      expect(model.scope).toBe('openid eduinfo');
      expect(await b.tokens.find('at9')).toMatchObject({ scope: 'openid' });
      // Nested values may be changed by whoever reads them: never shared.
      const nested = (await b.tokens.find('at10')) as { extra: { school: string } };
      nested.extra.school = 'changed';
      expect(await b.tokens.find('at10')).toMatchObject({ extra: { school: '454503' } });
      const signedIn = (await b.sessions.find('s1')) as { authorizations: Record<string, unknown> };
      signedIn.authorizations.other = {};
      expect(await b.sessions.find('s1')).toEqual(
        expect.objectContaining({ authorizations: { rp: { sid: 'x', grantId: 'g1' } } }),
      );
    });

    it('the node that changes a token or session never answers its old copy', async () => {
      await b.sessions.upsert('s1', session(), 600);
      await b.tokens.upsert('at6', token('at6'), 600);
      expect(await b.tokens.find('at6')).toBeDefined();
      expect(await b.sessions.find('s1')).toBeDefined();
      await b.tokens.destroy('at6');
      await b.sessions.destroy('s1');
      expect(await b.tokens.find('at6')).toBeUndefined();
      expect(await b.sessions.find('s1')).toBeUndefined();
    });

    it('reads Redis while its subscriber is cut off, and keeps copies again once it hears itself', async () => {
      await a.sessions.upsert('s1', session(), 600);
      await a.tokens.upsert('at7', token('at7'), 600);
      expect(await b.tokens.find('at7')).toBeDefined();
      // Every subscriber of this Redis loses its connection (what is announced meanwhile is lost).
      const clients = (await a.redis.client('LIST')) as string;
      for (const line of clients.split('\n').filter((l) => l.includes(`name=${SUBSCRIBER_NAME}`))) {
        const id = /\bid=(\d+)/.exec(line)?.[1];
        if (id) await a.redis.client('KILL', 'ID', id).catch(() => 0);
      }
      // Losing the subscriber drops every copy: what was announced meanwhile is unknown.
      await vi.waitFor(() => expect(b.copies.size).toBe(0));
      await deleteByHand('AccessToken:at7');
      expect(await b.tokens.find('at7')).toBeUndefined();
      await vi.waitFor(() => expect(b.notifications.listening).toBe(true), { timeout: 10_000 });
      await a.tokens.upsert('at8', token('at8'), 600);
      expect(await b.tokens.find('at8')).toBeDefined();
      await deleteByHand('AccessToken:at8');
      expect(await b.tokens.find('at8')).toBeDefined();
    });
  });
} else {
  missingService('Redis', `start it or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);
}
