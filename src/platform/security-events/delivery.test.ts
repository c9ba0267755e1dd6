// The transmitter's outbox and the receiver, over real HTTP, on PGlite and PostgreSQL: SETs signed
// with an OIDC issuer's own signing key and verified against the JWKS that issuer publishes.
import type { FastifyInstance } from 'fastify';
import { decodeProtectedHeader } from 'jose';
import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../database/connect.ts';
import { platformView } from '../database/platform-schema.ts';
import { createRoleApp } from '../http/role-app.ts';
import { JobRunner } from '../jobs/runner.ts';
import { createLogger } from '../observability/logger.ts';
import { oidcMigrations } from '../oidc/migrations.ts';
import { startTestIssuer, type TestIssuer } from '../oidc/testing.ts';
import { testDatabases } from '../testing/databases.ts';
import { freePort } from '../testing/ports.ts';
import { oidcIssuerSigningKeys } from './keys.ts';
import { securityEventMigrations } from './migrations.ts';
import { mountSecurityEventReceiver, SecurityEventReceiver } from './receiver.ts';
import { ReceiverRegistry } from './registry.ts';
import {
  accountDisabled,
  accountEnabled,
  RISC_ACCOUNT_DISABLED,
  SECEVENT_CONTENT_TYPE,
  signSecurityEvent,
  type VerifiedSecurityEvent,
} from './set.ts';
import { DELIVER_SECURITY_EVENT_JOB, emitSecurityEvent, securityEventDelivery } from './transmitter.ts';

const SECRET = 'test-installation-secret-0123456789';
const AUDIENCE = 'rp-1';
const log = createLogger('silent');

describe.each(await testDatabases())('security event delivery ($name)', (kind) => {
  let transmitterDb: Database<unknown>;
  let receiverDb: Database<unknown>;
  let issuer: TestIssuer;
  let receiverApp: FastifyInstance;
  let receiverUrl: string;
  let runner: JobRunner;
  let registry: ReceiverRegistry;
  const signingKeys = () => oidcIssuerSigningKeys(transmitterDb.db, SECRET);
  const received: VerifiedSecurityEvent[] = [];
  const control = { failNext: false, issuerEnabled: true };

  async function startReceiver(port: number) {
    receiverApp = await createRoleApp({ role: 'receiver', logger: log });
    const receiver = new SecurityEventReceiver({
      db: receiverDb.db,
      log,
      transmitter: async (iss) =>
        iss === issuer.issuer
          ? {
              issuer: issuer.issuer,
              audience: AUDIENCE,
              jwksUri: `${issuer.issuer}/oidc/v1/jwksets`,
              enabled: control.issuerEnabled,
            }
          : undefined,
      handle: async (tx, event) => {
        // The handler runs in the receiver's transaction.
        await sql`select 1`.execute(tx);
        if (control.failNext) {
          control.failNext = false;
          throw new Error('storage hiccup');
        }
        received.push(event);
      },
    });
    await mountSecurityEventReceiver(receiverApp, '/secevent', receiver);
    await receiverApp.listen({ port, host: '127.0.0.1' });
  }

  const deliveries = () =>
    platformView(transmitterDb.db)
      .selectFrom('jobs')
      .selectAll()
      .where('type', '=', DELIVER_SECURITY_EVENT_JOB)
      .orderBy('created_at')
      .execute();

  const dueNow = () =>
    platformView(transmitterDb.db)
      .updateTable('jobs')
      .set({ run_at: new Date(Date.now() - 1000) })
      .where('state', '=', 'queued')
      .execute();

  async function post(token: string, contentType = SECEVENT_CONTENT_TYPE) {
    const response = await fetch(receiverUrl, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: token,
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, string>) : null };
  }

  async function sign(overrides: { subject?: string; txn?: string; toe?: number; events?: object } = {}) {
    const key = await signingKeys()('t1');
    if (!key) throw new Error('no key');
    return signSecurityEvent(key, {
      issuer: issuer.issuer,
      audience: AUDIENCE,
      subject: overrides.subject ?? 'acc-1',
      events: (overrides.events as never) ?? accountDisabled('suspended'),
      txn: overrides.txn ?? crypto.randomUUID(),
      toe: overrides.toe ?? Date.now() / 1000,
    });
  }

  beforeAll(async () => {
    transmitterDb = await kind.open(oidcMigrations('0901_oidc_test'), securityEventMigrations('0902_events'));
    receiverDb = await kind.open(securityEventMigrations('0902_events'));
    issuer = await startTestIssuer({ db: transmitterDb.db, accounts: [] });
    const port = await freePort();
    receiverUrl = `http://127.0.0.1:${port}/secevent`;
    await startReceiver(port);
    registry = new ReceiverRegistry(transmitterDb.db);
    runner = new JobRunner(platformView(transmitterDb.db), log);
    runner.register(
      DELIVER_SECURITY_EVENT_JOB,
      securityEventDelivery({ db: transmitterDb.db, log, signingKey: signingKeys(), timeoutMs: 3000 }),
    );
  });

  afterAll(async () => {
    await receiverApp?.close();
    await issuer?.close();
    await transmitterDb?.close();
    await receiverDb?.close();
  });

  beforeEach(async () => {
    received.length = 0;
    control.failNext = false;
    control.issuerEnabled = true;
    await platformView(transmitterDb.db).deleteFrom('jobs').execute();
    await transmitterDb.db.deleteFrom('security_event_receivers' as never).execute();
    await registry.save({ tenant: 't1', url: receiverUrl, audience: AUDIENCE });
  });

  it("delivers a committed change, verified against the issuer's published JWKS", async () => {
    await transmitterDb.db.transaction().execute((tx) =>
      emitSecurityEvent(tx, {
        tenant: 't1',
        issuer: issuer.issuer,
        subject: 'acc-1',
        events: accountDisabled('departed'),
        txn: 'txn-departed',
      }),
    );
    expect(await runner.drain()).toBe(1);
    expect(received).toHaveLength(1);
    expect(received[0]?.subject).toEqual({ format: 'iss_sub', iss: issuer.issuer, sub: 'acc-1' });
    expect(received[0]?.events[RISC_ACCOUNT_DISABLED]).toEqual({ reason: 'departed' });
    expect(received[0]?.txn).toBe('txn-departed');
    const [job] = await deliveries();
    expect(job?.state).toBe('done');
  });

  it('sends nothing for a change that is rolled back', async () => {
    await expect(
      transmitterDb.db.transaction().execute(async (tx) => {
        const { queued } = await emitSecurityEvent(tx, {
          tenant: 't1',
          issuer: issuer.issuer,
          subject: 'acc-2',
          events: accountDisabled('suspended'),
        });
        expect(queued).toBe(1);
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await deliveries()).toHaveLength(0);
    expect(await runner.drain()).toBe(0);
    expect(received).toHaveLength(0);
  });

  it('queues one delivery per enabled receiver of the tenant, once per change', async () => {
    const other = await registry.save({ tenant: 't1', url: 'http://127.0.0.1:9/other', audience: 'x' });
    await registry.setEnabled(other.id, false);
    await registry.save({ tenant: 't2', url: 'http://127.0.0.1:9/t2', audience: 'y' });
    const input = {
      tenant: 't1',
      issuer: issuer.issuer,
      subject: 'acc-3',
      events: accountEnabled(),
      txn: 'txn-once',
    };
    expect((await emitSecurityEvent(transmitterDb.db, input)).queued).toBe(1);
    expect((await emitSecurityEvent(transmitterDb.db, input)).queued).toBe(0);
    const jobs = await deliveries();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.idempotency_key).toMatch(/^secevent:txn-once:/);
  });

  it('keeps retrying while the receiver is down and delivers once it is back', async () => {
    const port = await freePort();
    const downUrl = `http://127.0.0.1:${port}/secevent`;
    await transmitterDb.db.deleteFrom('security_event_receivers' as never).execute();
    await registry.save({ tenant: 't1', url: downUrl, audience: AUDIENCE });
    await emitSecurityEvent(transmitterDb.db, {
      tenant: 't1',
      issuer: issuer.issuer,
      subject: 'acc-4',
      events: accountDisabled('suspended'),
    });
    await runner.drain();
    let [job] = await deliveries();
    expect(job?.state).toBe('queued');
    expect(job?.attempts).toBe(1);
    expect(job?.last_error).toContain('unreachable');
    expect(new Date(job?.run_at ?? 0).getTime()).toBeGreaterThan(Date.now());
    await dueNow();
    await runner.drain();
    [job] = await deliveries();
    expect(job?.attempts).toBe(2);
    expect(received).toHaveLength(0);

    // The receiver comes back on that address.
    const previous = receiverApp;
    await startReceiver(port);
    try {
      await dueNow();
      expect(await runner.drain()).toBe(1);
      [job] = await deliveries();
      expect(job?.state).toBe('done');
      expect(job?.attempts).toBe(3);
      expect(received.map((e) => e.subject.sub)).toEqual(['acc-4']);
    } finally {
      await receiverApp.close();
      receiverApp = previous;
    }
  });

  it("fails a delivery the receiver refuses for good, keeping the receiver's error", async () => {
    await registry.save({ tenant: 't1', url: receiverUrl, audience: 'not-the-audience' });
    await emitSecurityEvent(transmitterDb.db, {
      tenant: 't1',
      issuer: issuer.issuer,
      subject: 'acc-5',
      events: accountDisabled('suspended'),
    });
    await runner.drain();
    const [job] = await deliveries();
    expect(job?.state).toBe('failed');
    expect(job?.last_error).toContain('invalid_audience');
    expect(received).toHaveLength(0);
  });

  it('retries when the receiver could not apply the event, without recording it', async () => {
    control.failNext = true;
    await emitSecurityEvent(transmitterDb.db, {
      tenant: 't1',
      issuer: issuer.issuer,
      subject: 'acc-6',
      events: accountDisabled('suspended'),
    });
    await runner.drain();
    let [job] = await deliveries();
    expect(job?.state).toBe('queued');
    expect(job?.last_error).toContain('500');
    await dueNow();
    await runner.drain();
    [job] = await deliveries();
    expect(job?.state).toBe('done');
    expect(received.map((e) => e.subject.sub)).toEqual(['acc-6']);
  });

  it('refuses a replayed SET (same jti) and applies it once', async () => {
    const token = await sign({ subject: 'acc-7' });
    expect(await post(token)).toEqual({ status: 202, body: null });
    expect(await post(token)).toEqual({
      status: 400,
      body: { err: 'invalid_request', description: 'this jti was already received' },
    });
    expect(received).toHaveLength(1);
  });

  it('answers an unknown issuer, a turned-off issuer and a wrong body with RFC 8935 errors', async () => {
    const token = await sign();
    expect(await post(token, 'application/jwt')).toMatchObject({
      status: 400,
      body: { err: 'invalid_request' },
    });
    expect(await post('not a jwt')).toMatchObject({ status: 400, body: { err: 'invalid_request' } });
    control.issuerEnabled = false;
    expect(await post(token)).toMatchObject({ status: 400, body: { err: 'access_denied' } });
    control.issuerEnabled = true;
    const forged = token.replace(/^[^.]+\.[^.]+/, (head) => {
      const [h, p] = head.split('.');
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
      return `${h}.${Buffer.from(JSON.stringify({ ...claims, iss: 'https://evil.example' })).toString('base64url')}`;
    });
    expect(await post(forged)).toMatchObject({ status: 400, body: { err: 'invalid_issuer' } });
    expect(received).toHaveLength(0);
  });

  it('never lets an older event or a retry of the same change override a newer one', async () => {
    const t = Date.now() / 1000;
    expect(
      (await post(await sign({ subject: 'acc-8', txn: 'enable', toe: t, events: accountEnabled() }))).status,
    ).toBe(202);
    // The suspension happened before the reactivation but arrives after it (its retry was slower).
    expect((await post(await sign({ subject: 'acc-8', txn: 'suspend', toe: t - 5 }))).status).toBe(202);
    // A new SET (new jti) for the change already applied: a retry after a lost answer.
    expect(
      (await post(await sign({ subject: 'acc-8', txn: 'enable', toe: t, events: accountEnabled() }))).status,
    ).toBe(202);
    expect(received.map((e) => e.txn)).toEqual(['enable']);
    expect((await post(await sign({ subject: 'acc-8', txn: 'later', toe: t + 1 }))).status).toBe(202);
    expect(received.map((e) => e.txn)).toEqual(['enable', 'later']);
  });

  it("signs with the issuer's current key after a rotation", async () => {
    const rotated = await issuer.oidc.rotateKeys();
    const token = await sign({ subject: 'acc-9' });
    expect(decodeProtectedHeader(token).kid).toBe(rotated.kid);
    // A receiver that has not seen that key yet fetches the issuer's key set again.
    const fresh = new SecurityEventReceiver({
      db: receiverDb.db,
      log,
      transmitter: async () => ({
        issuer: issuer.issuer,
        audience: AUDIENCE,
        jwksUri: `${issuer.issuer}/oidc/v1/jwksets`,
      }),
      handle: async (_tx, event) => {
        received.push(event);
      },
    });
    expect(await fresh.receive(token, SECEVENT_CONTENT_TYPE)).toEqual({ status: 202, applied: true });
    expect(received.map((e) => e.subject.sub)).toEqual(['acc-9']);
  });
});
