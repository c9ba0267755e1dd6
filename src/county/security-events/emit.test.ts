// Every way a county account's status changes queues a security event for the county's receivers
// (the demo registers the education cloud), in the transaction of the change.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_COUNTY_ACCOUNTS } from '../../platform/federation/seed-data.ts';
import { DELIVER_SECURITY_EVENT_JOB, ReceiverRegistry } from '../../platform/security-events/index.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { departAccount, reactivateAccount, suspendAccount } from '../accounts/lifecycle.ts';
import { closeCampaign, undoCampaignSuspensions } from '../campaigns/close.ts';
import { openCampaign } from '../campaigns/open.ts';
import { findTenant, type Tenant } from '../tenants/tenants.ts';
import { type CountyTestApp, startCountyTestApp } from '../testing.ts';

const TEACHER01 = DEMO_COUNTY_ACCOUNTS.find((a) => a.username === 'teacher01')?.id ?? '';
const TEACHER02 = DEMO_COUNTY_ACCOUNTS.find((a) => a.username === 'teacher02')?.id ?? '';

describe('county account events', () => {
  let t: CountyTestApp;
  let cyc: Tenant;
  let tn: Tenant;

  beforeAll(async () => {
    t = await startCountyTestApp(embeddedTestDatabase);
    cyc = (await findTenant(t.county.db, 'cyc')) as Tenant;
    tn = (await findTenant(t.county.db, 'tn')) as Tenant;
  });
  afterAll(async () => t?.close());
  beforeEach(async () => {
    await t.county.db.deleteFrom('jobs').where('type', '=', DELIVER_SECURITY_EVENT_JOB).execute();
  });

  /** [tenant, issuer, subject, event type, reason] of each delivery queued. */
  async function queued() {
    const jobs = await t.county.db
      .selectFrom('jobs')
      .select('payload')
      .where('type', '=', DELIVER_SECURITY_EVENT_JOB)
      .orderBy('created_at')
      .execute();
    return jobs.map(({ payload }) => {
      const [type, body] = Object.entries(payload.events as Record<string, { reason?: string }>)[0] ?? [];
      return [payload.tenant, payload.issuer, payload.subject, type?.split('/').at(-1), body?.reason];
    });
  }

  const input = (tenant: Tenant, accountId: string) => ({
    tenant,
    accountId,
    reason: '測試',
    actor: 'admin',
    ip: null,
  });

  it('the demo registers the education cloud as every county’s receiver', async () => {
    const receivers = await new ReceiverRegistry(t.county.db).list();
    expect(receivers.map((r) => [r.tenant, r.url, r.audience, r.enabled])).toEqual([
      ['cyc', `${t.ctx.urls.cloud}/secevent/county`, 'educloud', true],
      ['tn', `${t.ctx.urls.cloud}/secevent/county`, 'educloud', true],
    ]);
  });

  it('suspend, reactivate and depart each queue their event for the tenant’s receivers', async () => {
    await t.county.db.transaction().execute((tx) => suspendAccount(t.county, tx, input(tn, TEACHER02)));
    await t.county.db.transaction().execute((tx) => reactivateAccount(t.county, tx, input(tn, TEACHER02)));
    await t.county.db.transaction().execute((tx) => departAccount(t.county, tx, input(tn, TEACHER02)));
    const issuer = t.county.tenantUrl('tn');
    expect(await queued()).toEqual([
      ['tn', issuer, TEACHER02, 'account-disabled', 'suspended'],
      ['tn', issuer, TEACHER02, 'account-enabled', undefined],
      ['tn', issuer, TEACHER02, 'account-disabled', 'departed'],
    ]);
  });

  it('a change that fails queues nothing', async () => {
    // Already departed: the transition is refused and the transaction rolls back.
    await expect(
      t.county.db.transaction().execute((tx) => suspendAccount(t.county, tx, input(tn, TEACHER02))),
    ).rejects.toMatchObject({ code: 'county.status_conflict' });
    expect(await queued()).toEqual([]);
  });

  it('an audit deadline suspends the unconfirmed with their event, and undoing it re-enables them', async () => {
    const campaign = await openCampaign(t.county, cyc, {
      title: '清查',
      deadline: new Date(Date.now() + 3600_000),
      actor: 'cycadmin',
      ip: null,
    });
    const suspended = await closeCampaign(t.county, 'cyc', campaign.id);
    expect(suspended).toBeGreaterThan(0);
    const afterClose = await queued();
    expect(afterClose).toHaveLength(suspended);
    expect(afterClose).toContainEqual([
      'cyc',
      t.county.tenantUrl('cyc'),
      TEACHER01,
      'account-disabled',
      'suspended',
    ]);
    await undoCampaignSuspensions(t.county, cyc, campaign.id, 'cycadmin', null);
    const all = await queued();
    expect(all).toHaveLength(2 * suspended);
    expect(all.slice(suspended)).toContainEqual([
      'cyc',
      t.county.tenantUrl('cyc'),
      TEACHER01,
      'account-enabled',
      undefined,
    ]);
  });
});
