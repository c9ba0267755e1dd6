import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IllegalTransition } from '../../platform/flows/flow.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { insertAccount } from '../accounts/repository.ts';
import type { AccountRole, AccountState, CampaignState } from '../schema.ts';
import { countyDatabase, forEveryMove, MINXIONG } from '../testing/flow-stores.ts';
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
  const database = countyDatabase(kind, { units: [MINXIONG] });

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
    await forEveryMove(CAMPAIGN, STATES, async ({ event, state, allowed, to, label }) => {
      const campaign = await campaignIn(state);
      const at = new Date();
      const taken = await campaigns.take(db, campaign.id, event, { closed_at: at });
      expect(taken?.state, label).toBe(allowed ? to : undefined);
      const after = await db
        .selectFrom('county_audit_campaigns')
        .selectAll()
        .where('id', '=', campaign.id)
        .executeTakeFirstOrThrow();
      expect(after.state, label).toBe(to);
      expect(after.closed_at?.getTime(), label).toBe(allowed ? at.getTime() : undefined);
    });
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
