import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accountDisabled,
  accountEnabled,
  RISC_ACCOUNT_DISABLED,
  RISC_ACCOUNT_ENABLED,
  SetRejected,
  type SetSigningKey,
  signSecurityEvent,
  verifySecurityEvent,
} from './set.ts';

const ISSUER = 'https://tn.sso.example/tn';
const AUDIENCE = 'educloud';

let issuerKey: SetSigningKey;
let otherKey: SetSigningKey;
let publishedJwks: { keys: JWK[] };

async function rsaKey(kid: string): Promise<{ signing: SetSigningKey; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return {
    signing: { key: privateKey, kid, alg: 'RS256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
}

beforeAll(async () => {
  const issuer = await rsaKey('k1');
  // Another party's key, even under the issuer's kid, is not the issuer's key.
  const other = await rsaKey('k1');
  issuerKey = issuer.signing;
  otherKey = other.signing;
  publishedJwks = { keys: [issuer.publicJwk] };
});

const keys = () => createLocalJWKSet(publishedJwks);
const now = () => Date.now() / 1000;

function content(overrides: Partial<Parameters<typeof signSecurityEvent>[1]> = {}) {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    subject: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e12',
    events: accountDisabled('departed'),
    txn: 'txn-1',
    toe: now(),
    ...overrides,
  };
}

async function refusal(promise: Promise<unknown>): Promise<SetRejected> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SetRejected);
  return error as SetRejected;
}

describe('security event tokens (RFC 8417, RISC, iss_sub)', () => {
  it('signs a SET that verifies against the issuer key set, with its claims intact', async () => {
    const toe = now() - 2.5;
    const token = await signSecurityEvent(issuerKey, content({ toe }));
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toEqual({
      alg: 'RS256',
      kid: 'k1',
      typ: 'secevent+jwt',
    });
    const event = await verifySecurityEvent(token, { issuer: ISSUER, audience: AUDIENCE, keys: keys() });
    expect(event.subject).toEqual({
      format: 'iss_sub',
      iss: ISSUER,
      sub: '6f1c1a52-0c7e-4d8e-9a51-1b2f3c4d5e12',
    });
    expect(event.events).toEqual({
      'https://schemas.openid.net/secevent/risc/event-type/account-disabled': { reason: 'departed' },
    });
    expect(event.txn).toBe('txn-1');
    expect(event.toe).toBeCloseTo(toe, 3);
    expect(event.jti).toMatch(/^[0-9a-f-]{36}$/);
    const again = await signSecurityEvent(issuerKey, content());
    expect(
      (await verifySecurityEvent(again, { issuer: ISSUER, audience: AUDIENCE, keys: keys() })).jti,
    ).not.toBe(event.jti);
  });

  it('carries account-enabled with an empty payload', async () => {
    const token = await signSecurityEvent(issuerKey, content({ events: accountEnabled() }));
    const event = await verifySecurityEvent(token, { issuer: ISSUER, audience: AUDIENCE, keys: keys() });
    expect(event.events[RISC_ACCOUNT_ENABLED]).toEqual({});
    expect(event.events[RISC_ACCOUNT_DISABLED]).toBeUndefined();
  });

  it('refuses a SET meant for another audience', async () => {
    const token = await signSecurityEvent(issuerKey, content({ audience: 'another-client' }));
    const error = await refusal(
      verifySecurityEvent(token, { issuer: ISSUER, audience: AUDIENCE, keys: keys() }),
    );
    expect(error.err).toBe('invalid_audience');
    expect(error.status).toBe(400);
  });

  it('refuses a SET signed with a key the issuer does not publish', async () => {
    const token = await signSecurityEvent(otherKey, content());
    const error = await refusal(
      verifySecurityEvent(token, { issuer: ISSUER, audience: AUDIENCE, keys: keys() }),
    );
    expect(error.err).toBe('invalid_key');
  });

  it('refuses a SET of another issuer', async () => {
    const token = await signSecurityEvent(issuerKey, content({ issuer: 'https://cyc.sso.example/cyc' }));
    const error = await refusal(
      verifySecurityEvent(token, { issuer: ISSUER, audience: AUDIENCE, keys: keys() }),
    );
    expect(error.err).toBe('invalid_issuer');
  });

  it('refuses a SET issued too long ago, and one issued in the future', async () => {
    const old = await signSecurityEvent(issuerKey, content({ iat: Math.floor(now()) - 400 }));
    const stale = await refusal(
      verifySecurityEvent(old, { issuer: ISSUER, audience: AUDIENCE, keys: keys() }),
    );
    expect(stale.err).toBe('invalid_request');
    expect(stale.message).toContain('too old');
    // The same SET is fine with a longer allowed age: only its age was the problem.
    await expect(
      verifySecurityEvent(old, { issuer: ISSUER, audience: AUDIENCE, keys: keys(), maxAgeSeconds: 600 }),
    ).resolves.toBeDefined();
    const future = await signSecurityEvent(issuerKey, content({ iat: Math.floor(now()) + 600 }));
    expect(
      (await refusal(verifySecurityEvent(future, { issuer: ISSUER, audience: AUDIENCE, keys: keys() }))).err,
    ).toBe('invalid_request');
  });

  it('refuses a token that is not typed secevent+jwt (an ID token, say)', async () => {
    const idToken = await new SignJWT({
      sub_id: { format: 'iss_sub', iss: ISSUER, sub: 'x' },
      events: accountDisabled('suspended'),
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setJti('j1')
      .sign(issuerKey.key);
    const error = await refusal(
      verifySecurityEvent(idToken, { issuer: ISSUER, audience: AUDIENCE, keys: keys() }),
    );
    expect(error.err).toBe('invalid_request');
    expect(error.message).toContain('typ');
  });

  it('refuses a SET about a subject of another issuer, or without events', async () => {
    const foreign = await new SignJWT({
      sub_id: { format: 'iss_sub', iss: 'https://cyc.sso.example/cyc', sub: 'x' },
      events: accountDisabled('suspended'),
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'secevent+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setJti('j2')
      .sign(issuerKey.key);
    expect(
      (await refusal(verifySecurityEvent(foreign, { issuer: ISSUER, audience: AUDIENCE, keys: keys() })))
        .message,
    ).toContain('iss_sub');
    const empty = await signSecurityEvent(issuerKey, content({ events: {} }));
    expect(
      (await refusal(verifySecurityEvent(empty, { issuer: ISSUER, audience: AUDIENCE, keys: keys() })))
        .message,
    ).toContain('no events');
  });

  it("reads RISC's older subject member inside the event when sub_id is absent", async () => {
    const token = await new SignJWT({
      events: {
        [RISC_ACCOUNT_DISABLED]: {
          subject: { format: 'iss_sub', iss: ISSUER, sub: 'abc' },
          reason: 'hijacking',
        },
      },
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'secevent+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setJti('j3')
      .sign(issuerKey.key);
    const event = await verifySecurityEvent(token, { issuer: ISSUER, audience: AUDIENCE, keys: keys() });
    expect(event.subject.sub).toBe('abc');
    expect(event.txn).toBeUndefined();
    expect(event.toe).toBe(event.iat);
  });
});
