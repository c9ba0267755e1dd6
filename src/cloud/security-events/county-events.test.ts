// What the cloud does with a county's account events (policy in county-events.ts), on PGlite and
// PostgreSQL: the linked identity, the cloud account's state, and the event it passes on.
import { randomUUID } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RoleUrls } from '../../platform/runtime/role.ts';
import {
  accountDisabled,
  accountEnabled,
  DELIVER_SECURITY_EVENT_JOB,
  ReceiverRegistry,
  type SecurityEvents,
  type VerifiedSecurityEvent,
} from '../../platform/security-events/index.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { type CloudAccount, CloudAccounts } from '../account/accounts.ts';
import { changeAccountState } from '../account/lifecycle.ts';
import type { CloudDb } from '../db.ts';
import { cloudTestDatabase } from '../testing/database.ts';
import { applyCountyEvent } from './county-events.ts';

const TN = 'http://county.test/tn';
const CYC = 'http://county.test/cyc';
const urls: RoleUrls = {
  landing: 'http://landing.test',
  county: 'http://county.test',
  cloud: 'http://cloud.test/',
  workspace: 'http://workspace.test',
  google: 'http://google.test',
};
const snapshot = {
  username: 'u',
  name: '吳弘凱',
  familyName: '吳',
  givenName: '弘凱',
  email: null,
  schoolid: '114620',
  titles: [],
  classinfo: [],
  openid2Id: null,
};

describe.each(await testDatabases())('county events at the cloud ($name)', (kind) => {
  let db: CloudDb;
  let accounts: CloudAccounts;
  let toe = Date.now() / 1000;

  const database = cloudTestDatabase(kind);
  beforeAll(async () => {
    db = database.db;
    accounts = new CloudAccounts(db);
    await new ReceiverRegistry(db).save({
      tenant: 'default',
      url: 'http://workspace.test/secevent/cloud',
      audience: 'k12cc-workspace',
    });
  });
  beforeEach(async () => {
    await db.deleteFrom('jobs').execute();
  });

  async function person(options: {
    password: boolean;
    identities: Array<{ issuer: string; subject: string }>;
  }) {
    const account = await accounts.create({
      name: `t${randomUUID().slice(0, 8)}`,
      displayName: '吳弘凱',
      passwordHash: options.password ? 'argon2-hash' : null,
    });
    for (const identity of options.identities) {
      await accounts.link(account.id, { countyCode: identity.issuer.slice(-2), ...identity, snapshot });
    }
    return account;
  }

  function apply(issuer: string, subject: string, events: SecurityEvents) {
    toe += 1;
    const event: VerifiedSecurityEvent = {
      issuer,
      jti: randomUUID(),
      iat: Math.floor(toe),
      txn: randomUUID(),
      toe,
      subject: { format: 'iss_sub', iss: issuer, sub: subject },
      events,
    };
    return db.transaction().execute((tx) => applyCountyEvent({ urls }, tx, event));
  }

  const stateOf = async (account: CloudAccount) =>
    db
      .selectFrom('cloud_accounts')
      .select(['state', 'suspended_by'])
      .where('id', '=', account.id)
      .executeTakeFirstOrThrow();

  const identityOf = (issuer: string, subject: string) =>
    db
      .selectFrom('cloud_identities')
      .select(['disabled_at', 'disabled_reason'])
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirstOrThrow();

  /** What the cloud passed on to its receivers: [subject, event type, reason]. */
  const passedOn = async () =>
    (
      await db
        .selectFrom('jobs')
        .select('payload')
        .where('type', '=', DELIVER_SECURITY_EVENT_JOB)
        .orderBy('created_at')
        .execute()
    ).map(({ payload }) => {
      const [type, body] = Object.entries(payload.events as SecurityEvents)[0] ?? [];
      return [payload.subject, type?.split('/').at(-1), (body as { reason?: string } | undefined)?.reason];
    });

  it('ignores a county account that has no cloud account, and event types it does not know', async () => {
    await expect(apply(TN, 'nobody', accountDisabled('departed'))).resolves.toBeUndefined();
    const a = await person({ password: false, identities: [{ issuer: TN, subject: 's-ignored' }] });
    await apply(TN, 's-ignored', {
      'https://schemas.openid.net/secevent/risc/event-type/account-purged': {},
    });
    expect(await stateOf(a)).toEqual({ state: 'active', suspended_by: null });
    expect(await passedOn()).toEqual([]);
  });

  it('a suspended county account with a cloud password: the identity is disabled, the account stays active', async () => {
    const a = await person({ password: true, identities: [{ issuer: TN, subject: 's-pw' }] });
    await apply(TN, 's-pw', accountDisabled('suspended'));
    expect(await identityOf(TN, 's-pw')).toMatchObject({ disabled_reason: 'suspended' });
    expect((await identityOf(TN, 's-pw')).disabled_at).not.toBeNull();
    expect(await stateOf(a)).toEqual({ state: 'active', suspended_by: null });
    expect(await passedOn()).toEqual([]);
    await apply(TN, 's-pw', accountEnabled());
    expect(await identityOf(TN, 's-pw')).toEqual({ disabled_at: null, disabled_reason: null });
  });

  it('a suspended county account that was the only way in suspends the cloud account until it returns', async () => {
    const a = await person({ password: false, identities: [{ issuer: TN, subject: 's-only' }] });
    await apply(TN, 's-only', accountDisabled('suspended'));
    expect(await stateOf(a)).toEqual({ state: 'suspended', suspended_by: 'county' });
    await apply(TN, 's-only', accountEnabled());
    expect(await stateOf(a)).toEqual({ state: 'active', suspended_by: null });
    expect(await passedOn()).toEqual([
      [a.id, 'account-disabled', 'suspended'],
      [a.id, 'account-enabled', undefined],
    ]);
  });

  it('the only county identity departed: suspended even with a password; another usable identity keeps it active', async () => {
    const alone = await person({ password: true, identities: [{ issuer: TN, subject: 's-left' }] });
    await apply(TN, 's-left', accountDisabled('departed'));
    expect(await stateOf(alone)).toEqual({ state: 'suspended', suspended_by: 'county' });

    const moved = await person({
      password: false,
      identities: [
        { issuer: TN, subject: 's-moved-tn' },
        { issuer: CYC, subject: 's-moved-cyc' },
      ],
    });
    await apply(TN, 's-moved-tn', accountDisabled('departed'));
    expect(await stateOf(moved)).toEqual({ state: 'active', suspended_by: null });
    await apply(CYC, 's-moved-cyc', accountDisabled('departed'));
    expect(await stateOf(moved)).toEqual({ state: 'suspended', suspended_by: 'county' });
    expect(await passedOn()).toEqual([
      [alone.id, 'account-disabled', 'departed'],
      [moved.id, 'account-disabled', 'departed'],
    ]);
  });

  it("never lifts an administrator's suspension, even one made over a county suspension", async () => {
    const a = await person({ password: false, identities: [{ issuer: TN, subject: 's-admin' }] });
    await db
      .transaction()
      .execute((tx) =>
        changeAccountState({ urls }, tx, { accountId: a.id, state: 'suspended', actor: 'cloudadmin' }),
      );
    await apply(TN, 's-admin', accountDisabled('suspended'));
    await apply(TN, 's-admin', accountEnabled());
    expect(await stateOf(a)).toEqual({ state: 'suspended', suspended_by: 'admin' });

    const b = await person({ password: false, identities: [{ issuer: TN, subject: 's-admin-2' }] });
    await apply(TN, 's-admin-2', accountDisabled('suspended'));
    expect(await stateOf(b)).toEqual({ state: 'suspended', suspended_by: 'county' });
    const tookOver = await db
      .transaction()
      .execute((tx) =>
        changeAccountState({ urls }, tx, { accountId: b.id, state: 'suspended', actor: 'cloudadmin' }),
      );
    expect(tookOver).toBe(true);
    await apply(TN, 's-admin-2', accountEnabled());
    expect(await stateOf(b)).toEqual({ state: 'suspended', suspended_by: 'admin' });
  });

  it('an administrator suspending an already suspended account changes and sends nothing', async () => {
    const a = await person({ password: true, identities: [] });
    const suspend = () =>
      db
        .transaction()
        .execute((tx) =>
          changeAccountState({ urls }, tx, { accountId: a.id, state: 'suspended', actor: 'cloudadmin' }),
        );
    expect(await suspend()).toBe(true);
    expect(await suspend()).toBe(false);
    const jobs = await db.selectFrom('jobs').select('payload').execute();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.payload).toMatchObject({ issuer: 'http://cloud.test', subject: a.id, tenant: 'default' });
  });
});
