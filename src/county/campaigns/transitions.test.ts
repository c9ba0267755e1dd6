import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../platform/database/connect.ts';
import { IllegalTransition } from '../../platform/flows/flow.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { insertAccount } from '../accounts/repository.ts';
import { countyMigrations } from '../migrations.ts';
import type { AccountRole, AccountState, CampaignState, CountyDatabase } from '../schema.ts';
import { upsertTenant, upsertUnit } from '../tenants/tenants.ts';
import { campaigns, unconfirmedStaff } from './repository.ts';
import { CAMPAIGN } from './transitions.ts';

const STATES: readonly CampaignState[] = ['open', 'closed'];

describe('the audit campaign table', () => {
  it('takes decisions and reminders while open, closes once, and undoes only a closed campaign', () => {
    expect([...CAMPAIGN.states].sort()).toEqual([...STATES].sort());
    expect(CAMPAIGN.next('open', 'close')).toBe('closed');
    for (const event of ['decide', 'remind'] as const) expect(CAMPAIGN.from(event)).toEqual(['open']);
    expect(CAMPAIGN.next('closed', 'undo')).toBe('closed');
    expect(CAMPAIGN.allows('open', 'undo')).toBe(false);
  });

  it('refuses a move out of order with an error naming the state and the event', () => {
    expect(() => CAMPAIGN.next('closed', 'decide')).toThrow(IllegalTransition);
    expect(() => CAMPAIGN.next('closed', 'close')).toThrow(
      'audit campaign: "close" is not allowed in state "closed" (only in "open")',
    );
  });
});

describe.each(await testDatabases())('the audit campaigns on $name', (kind) => {
  let database: Database<CountyDatabase>;
  beforeAll(async () => {
    database = await kind.open<CountyDatabase>(countyMigrations);
    await upsertTenant(database.db, {
      code: 'cyc',
      name: '嘉義縣',
      portal_name: '嘉義縣教師資訊應用服務入口',
      mail_domain: 'mail.cyc.edu.tw',
    });
    await upsertUnit(database.db, 'cyc', {
      code: '454503',
      name: '民雄國小',
      abbreviation: null,
      mailbox: 'a@x.tw',
    });
  });
  afterAll(async () => database?.close());

  function campaignIn(state: CampaignState) {
    return database.db
      .insertInto('county_audit_campaigns')
      .values({
        id: randomUUID(),
        tenant: 'cyc',
        title: '清查',
        deadline: new Date(Date.now() + 86400_000),
        state,
        created_by: 'cycadmin',
        closed_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  it('takes each event from each state as the table says, and writes nothing when it refuses', async () => {
    const db = database.db;
    for (const event of CAMPAIGN.events) {
      for (const state of STATES) {
        const campaign = await campaignIn(state);
        const allowed = CAMPAIGN.allows(state, event);
        const at = new Date();
        const taken = await campaigns.take(db, campaign.id, event, { closed_at: at });
        expect(taken?.state, `${event} at ${state}`).toBe(allowed ? CAMPAIGN.next(state, event) : undefined);
        const after = await db
          .selectFrom('county_audit_campaigns')
          .selectAll()
          .where('id', '=', campaign.id)
          .executeTakeFirstOrThrow();
        expect(after.state, `${event} at ${state}`).toBe(allowed ? CAMPAIGN.next(state, event) : state);
        expect(after.closed_at?.getTime(), `${event} at ${state}`).toBe(allowed ? at.getTime() : undefined);
      }
    }
  });

  it('a closing campaign suspends the audited staff that nobody confirmed and a suspension can reach', async () => {
    const db = database.db;
    const campaign = await campaignIn('open');
    let n = 0;
    const staff = async (role: AccountRole, state: AccountState) => {
      n += 1;
      return insertAccount(db, {
        tenant: 'cyc',
        username: `staff${n}`,
        passwordHash: 'x',
        email: `staff${n}@example.org`,
        role,
        state,
        unitCode: '454503',
      });
    };
    const [missed, reviewer, confirmed, flagged] = [
      await staff('teacher', 'active'),
      await staff('reviewer', 'active'),
      await staff('teacher', 'active'),
      await staff('teacher', 'active'),
    ];
    await staff('county_admin', 'active');
    await staff('teacher', 'suspended');
    await staff('teacher', 'pending_review');
    for (const [account, decision] of [
      [confirmed, 'confirmed'],
      [flagged, 'flagged'],
    ] as const) {
      await db
        .insertInto('county_audit_entries')
        .values({
          campaign_id: campaign.id,
          account_id: account.id,
          unit_code: '454503',
          decision,
          note: null,
          decided_by: 'rv',
        })
        .execute();
    }
    expect((await unconfirmedStaff(db, campaign)).sort()).toEqual(
      [missed.id, reviewer.id, flagged.id].sort(),
    );
  });
});
