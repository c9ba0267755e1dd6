// The resource APIs' token check (resource.ts) reads the stored records as they are; oidc-provider's
// `AccessToken.find` (with its session binding) and `Grant.find` are the reference it must agree
// with. Each case stores a token as oidc-provider does, bends one record, and asks both.
import { Redis } from 'ioredis';
import type { AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { embeddedTestDatabase } from '../testing/databases.ts';
import { missingService, redisAvailable, TEST_REDIS_URL } from '../testing/services.ts';
import { oidcMigrations } from './migrations.ts';
import { startTestIssuer, type TestAccount, type TestIssuer } from './testing.ts';

const ALICE: TestAccount = {
  id: 'acc-alice',
  username: 'alice',
  password: 'pw-alice',
  state: 'active',
  claims: { secret_number: '42' },
};
const CAROL: TestAccount = { ...ALICE, id: 'acc-carol', username: 'carol', state: 'suspended' };

const redisUp = await redisAvailable();
if (!redisUp) missingService('Redis', `start it or set EDUGATE_TEST_REDIS_URL (tried ${TEST_REDIS_URL})`);

/** A token as issued: its value, and what it names (grant, sign-in session). */
interface Issued {
  value: string;
  grantId: string;
  sessionUid: string;
  sessionId: string;
}

describe.each([
  { storage: 'the database', redis: false },
  { storage: 'Redis (codes, tokens and sessions)', redis: true },
])('a resource API checks access tokens kept in $storage as oidc-provider would', ({ redis: withRedis }) => {
  let database: Database<unknown>;
  let redis: Redis | undefined;
  let issuer: TestIssuer;
  let clientId: string;
  const api = () => `${issuer.origin}/t1/api/secret`;

  beforeAll(async () => {
    if (withRedis && !redisUp) return;
    redis = withRedis ? new Redis(TEST_REDIS_URL) : undefined;
    database = await embeddedTestDatabase.open(oidcMigrations('0905_oidc_resource_test'));
    issuer = await startTestIssuer({
      db: database.db,
      redis,
      accounts: [ALICE, CAROL],
      resources: [
        {
          path: '/api/secret',
          scopes: ['secret'],
          respond: async (token) => ({ sub: token.accountId, secret: token.account.claims.secret_number }),
        },
      ],
    });
    clientId = (
      await issuer.oidc.clients.add({
        name: 'R',
        redirectUris: ['https://rp.example.org/cb'],
        scopes: ['openid', 'secret'],
      })
    ).client_id;
  });

  afterAll(async () => {
    await issuer?.close();
    await database?.close();
    if (redis) {
      const keys = await redis.keys('edugate:oidc:t1:*');
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });

  /** Issues a token through oidc-provider's own models, as its token endpoint does. */
  async function issue(
    options: {
      account?: TestAccount;
      scope?: string;
      endsWithSession?: boolean;
      extra?: { jkt: string };
    } = {},
  ): Promise<Issued> {
    const { Grant, Session, AccessToken } = issuer.oidc.provider;
    const accountId = (options.account ?? ALICE).id;
    const scope = options.scope ?? 'openid secret';
    const grant = new Grant({ accountId, clientId });
    grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const session = new Session();
    session.loginAccount({ accountId, loginTs: Math.floor(Date.now() / 1000) });
    session.grantIdFor(clientId, grantId);
    await session.save(600);
    const client = await issuer.oidc.provider.Client.find(clientId);
    if (!client) throw new Error('no client');
    const token = new AccessToken({
      accountId,
      client,
      gty: 'authorization_code',
      grantId,
      scope,
      expiresIn: 600,
      ...(options.endsWithSession === false ? {} : { sessionUid: session.uid, expiresWithSession: true }),
      ...options.extra,
    });
    return { value: await token.save(), grantId, sessionUid: session.uid, sessionId: session.jti };
  }

  /** What the API answers (status) and what oidc-provider finds (token, then its grant). */
  async function verdicts(value: string) {
    const answer = await fetch(api(), { headers: { authorization: `Bearer ${value}` } });
    const { AccessToken, Grant } = issuer.oidc.provider;
    const token = await AccessToken.find(value);
    const grant = token?.grantId ? await Grant.find(token.grantId) : undefined;
    const libraryAccepts = Boolean(token && !token.isExpired && grant && grant.accountId === token.accountId);
    return { status: answer.status, body: await answer.json(), libraryAccepts };
  }

  /** Rewrites a stored record through its model's adapter, as another node would. */
  async function rewrite(model: 'AccessToken' | 'Session' | 'Grant', id: string, change: AdapterPayload) {
    const adapter = issuer.oidc.provider[model].adapter;
    const stored = await adapter.find(id);
    if (!stored) throw new Error(`no ${model} ${id}`);
    await adapter.upsert(id, { ...structuredClone(stored), ...change }, 600);
  }

  it.runIf(!withRedis || redisUp)('answers for a live token, and both agree', async () => {
    const { value } = await issue();
    expect(await verdicts(value)).toEqual({
      status: 200,
      body: { sub: ALICE.id, secret: '42' },
      libraryAccepts: true,
    });
    const bound = await issue({ endsWithSession: false });
    expect((await verdicts(bound.value)).status).toBe(200);
  });

  it.runIf(!withRedis || redisUp)('refuses what oidc-provider refuses', async () => {
    const refusedByBoth = async (value: string) =>
      expect(await verdicts(value)).toMatchObject({
        status: 401,
        body: { error: 'invalid_token' },
        libraryAccepts: false,
      });

    await refusedByBoth('no-such-token');

    const expired = await issue();
    await rewrite('AccessToken', expired.value, { exp: Math.floor(Date.now() / 1000) - 1 });
    await refusedByBoth(expired.value);

    const revoked = await issue();
    await issuer.oidc.provider.AccessToken.adapter.destroy(revoked.value);
    await refusedByBoth(revoked.value);

    const signedOut = await issue();
    await issuer.oidc.provider.Session.adapter.destroy(signedOut.sessionId);
    await refusedByBoth(signedOut.value);

    const sessionEnded = await issue();
    await rewrite('Session', sessionEnded.sessionId, { exp: Math.floor(Date.now() / 1000) - 60 });
    await refusedByBoth(sessionEnded.value);

    const reauthorized = await issue();
    await rewrite('Session', reauthorized.sessionId, {
      authorizations: { [clientId]: { grantId: 'another-grant' } },
    });
    await refusedByBoth(reauthorized.value);

    const otherPerson = await issue();
    await rewrite('Session', otherPerson.sessionId, { accountId: CAROL.id });
    await refusedByBoth(otherPerson.value);

    const grantRevoked = await issue();
    await issuer.oidc.provider.Grant.adapter.destroy(grantRevoked.grantId);
    await refusedByBoth(grantRevoked.value);

    const grantOfAnother = await issue();
    await rewrite('Grant', grantOfAnother.grantId, { accountId: CAROL.id });
    await refusedByBoth(grantOfAnother.value);

    const grantEnded = await issue();
    await rewrite('Grant', grantEnded.grantId, { exp: Math.floor(Date.now() / 1000) - 60 });
    await refusedByBoth(grantEnded.value);
  });

  it.runIf(!withRedis || redisUp)(
    'refuses what only EduGate knows about: accounts, clients, scopes, proofs',
    async () => {
      const suspended = await issue({ account: CAROL });
      expect(await verdicts(suspended.value)).toMatchObject({ status: 401, libraryAccepts: true });

      const narrow = await issue({ scope: 'openid' });
      const answer = await verdicts(narrow.value);
      expect(answer).toMatchObject({ status: 403, body: { error: 'insufficient_scope' } });

      // A token bound to a DPoP key is not accepted without its proof.
      const proven = await issue({ extra: { jkt: 'thumbprint-of-a-dpop-key' } });
      expect((await verdicts(proven.value)).status).toBe(401);

      const { value } = await issue();
      await issuer.oidc.clients.update(clientId, { disabled: true });
      try {
        expect((await verdicts(value)).status).toBe(401);
      } finally {
        await issuer.oidc.clients.update(clientId, { disabled: false });
      }
      expect((await verdicts(value)).status).toBe(200);
    },
  );
});
