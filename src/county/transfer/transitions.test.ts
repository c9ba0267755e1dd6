import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IllegalTransition } from '../../platform/flows/flow.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { insertAccount } from '../accounts/repository.ts';
import type { TransferState } from '../schema.ts';
import { countyDatabase, DALIN, forEveryMove, MINXIONG } from '../testing/flow-stores.ts';
import { transferRequests } from './repository.ts';
import { TRANSFER } from './transitions.ts';

const STATES: readonly TransferState[] = ['pending', 'approved', 'rejected', 'cancelled'];

describe('the unit transfer table', () => {
  it('decides or withdraws a pending request once, and nothing else', () => {
    expect([...TRANSFER.states].sort()).toEqual([...STATES].sort());
    expect(TRANSFER.next('pending', 'approve')).toBe('approved');
    expect(TRANSFER.next('pending', 'reject')).toBe('rejected');
    for (const event of ['withdraw', 'replace', 'administratorMove'] as const) {
      expect(TRANSFER.next('pending', event)).toBe('cancelled');
    }
    for (const state of STATES.filter((s) => s !== 'pending')) {
      for (const event of TRANSFER.events)
        expect(TRANSFER.allows(state, event), `${event} at ${state}`).toBe(false);
    }
  });

  it('refuses a second decision with an error naming the request’s state', () => {
    expect(() => TRANSFER.next('approved', 'reject')).toThrow(IllegalTransition);
    expect(() => TRANSFER.next('approved', 'reject')).toThrow(
      'unit transfer: "reject" is not allowed in state "approved" (only in "pending")',
    );
    expect(() => TRANSFER.next('cancelled', 'approve')).toThrow(
      '"approve" is not allowed in state "cancelled"',
    );
  });
});

describe.each(await testDatabases())('the transfer requests on $name', (kind) => {
  const database = countyDatabase(kind, { units: [MINXIONG, DALIN] });

  let next = 0;
  /** A request in `state` of a new teacher of 454503 to 454601. */
  async function requestIn(state: TransferState) {
    const db = database.db;
    const account = await insertAccount(db, {
      tenant: 'cyc',
      username: `move${next++}`,
      passwordHash: 'x',
      email: `move${next}@example.org`,
      role: 'teacher',
      state: 'active',
      unitCode: '454503',
    });
    return db
      .insertInto('county_transfer_requests')
      .values({
        id: randomUUID(),
        tenant: 'cyc',
        account_id: account.id,
        from_unit: '454503',
        to_unit: '454601',
        state,
        reason: null,
        decided_by: null,
        decided_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  it('takes each event from each state as the table says, and writes nothing when it refuses', async () => {
    const db = database.db;
    await forEveryMove(TRANSFER, STATES, async ({ event, state, allowed, to, label }) => {
      const request = await requestIn(state);
      const taken = await transferRequests.take(db, request.id, event, { decided_by: 'reviewer' });
      expect(taken?.state, label).toBe(allowed ? to : undefined);
      const after = await db
        .selectFrom('county_transfer_requests')
        .selectAll()
        .where('id', '=', request.id)
        .executeTakeFirstOrThrow();
      expect(after.state, label).toBe(to);
      expect(after.decided_by, label).toBe(allowed ? 'reviewer' : null);
      // The same decision again (a link used twice, a console form sent twice) changes nothing.
      if (allowed) expect(await transferRequests.take(db, request.id, event)).toBeUndefined();
    });
  });

  it('cancels the open request of an account, leaving its decided ones', async () => {
    const db = database.db;
    const decided = await requestIn('rejected');
    await db
      .insertInto('county_transfer_requests')
      .values({ ...decided, id: randomUUID(), state: 'pending', created_at: new Date() })
      .execute();
    const cancelled = await transferRequests.takeWhere(db, { account_id: decided.account_id }, 'replace');
    expect(cancelled.map((r) => r.state)).toEqual(['cancelled']);
    const states = await db
      .selectFrom('county_transfer_requests')
      .select('state')
      .where('account_id', '=', decided.account_id)
      .orderBy('state')
      .execute();
    expect(states.map((r) => r.state)).toEqual(['cancelled', 'rejected']);
  });
});
