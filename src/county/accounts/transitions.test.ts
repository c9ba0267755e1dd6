import { describe, expect, it } from 'vitest';
import { IllegalTransition } from '../../platform/flows/flow.ts';
import { testDatabases } from '../../platform/testing/databases.ts';
import { ACCOUNT_STATES, type AccountState } from '../schema.ts';
import { countyDatabase, forEveryMove, MINXIONG } from '../testing/flow-stores.ts';
import { findAccountById, insertAccount, transitionAccount, transitionAccounts } from './repository.ts';
import { ACCOUNT_LIFECYCLE, IMPORTED_STATES } from './transitions.ts';

describe('the county account table', () => {
  it('names every state, and leads an application through review to an account that can end', () => {
    expect([...ACCOUNT_LIFECYCLE.states].sort()).toEqual([...ACCOUNT_STATES].sort());
    expect(ACCOUNT_LIFECYCLE.next('pending_email', 'verifyEmail')).toBe('pending_review');
    expect(ACCOUNT_LIFECYCLE.next('pending_review', 'approve')).toBe('active');
    expect(ACCOUNT_LIFECYCLE.next('pending_review', 'reject')).toBe('rejected');
    expect(ACCOUNT_LIFECYCLE.next('active', 'suspend')).toBe('suspended');
    expect(ACCOUNT_LIFECYCLE.next('suspended', 'reactivate')).toBe('active');
    expect(ACCOUNT_LIFECYCLE.from('depart')).toEqual(['active', 'suspended']);
    for (const final of ['rejected', 'departed'] as const) {
      for (const event of ACCOUNT_LIFECYCLE.events)
        expect(ACCOUNT_LIFECYCLE.allows(final, event), `${event} at ${final}`).toBe(false);
    }
    for (const state of IMPORTED_STATES) expect(ACCOUNT_LIFECYCLE.states).toContain(state);
  });

  it('refuses a move out of order with an error naming the state and the event', () => {
    expect(() => ACCOUNT_LIFECYCLE.next('active', 'approve')).toThrow(IllegalTransition);
    expect(() => ACCOUNT_LIFECYCLE.next('active', 'approve')).toThrow(
      'county account: "approve" is not allowed in state "active" (only in "pending_review")',
    );
    expect(() => ACCOUNT_LIFECYCLE.next('pending_review', 'suspend')).toThrow(
      '"suspend" is not allowed in state "pending_review"',
    );
  });
});

describe.each(await testDatabases())('the county accounts on $name', (kind) => {
  const database = countyDatabase(kind, { tenants: ['cyc', 'tn'], units: [MINXIONG] });

  let next = 0;
  /** A teacher of 454503 whose account is in `state`. */
  function accountIn(state: AccountState) {
    next += 1;
    return insertAccount(database.db, {
      tenant: 'cyc',
      username: `life${next}`,
      passwordHash: 'x',
      email: `life${next}@example.org`,
      role: 'teacher',
      state,
      unitCode: '454503',
    });
  }

  it('takes each event from each state as the table says, and writes nothing when it refuses', async () => {
    const db = database.db;
    await forEveryMove(ACCOUNT_LIFECYCLE, ACCOUNT_STATES, async ({ event, state, allowed, to, label }) => {
      const account = await accountIn(state);
      const taken = await transitionAccount(db, 'cyc', account.id, event, {
        state_reason: 'why',
        reviewed_by: 'reviewer',
      });
      expect(taken?.state, label).toBe(allowed ? to : undefined);
      const after = await findAccountById(db, 'cyc', account.id);
      expect(after?.state, label).toBe(to);
      expect(after?.state_reason, label).toBe(allowed ? 'why' : null);
      expect(after?.reviewed_by, label).toBe(allowed ? 'reviewer' : null);
      // The same event again (a link used twice, a form sent twice) changes nothing, unless the
      // table leads back to where it may be taken again.
      if (allowed && !ACCOUNT_LIFECYCLE.allows(to, event)) {
        expect(await transitionAccount(db, 'cyc', account.id, event)).toBeUndefined();
      }
    });
  });

  it('moves an account of its own county only', async () => {
    const account = await accountIn('active');
    expect(await transitionAccount(database.db, 'tn', account.id, 'suspend')).toBeUndefined();
    expect(await transitionAccount(database.db, 'cyc', 'not-an-id', 'suspend')).toBeUndefined();
    expect((await findAccountById(database.db, 'cyc', account.id))?.state).toBe('active');
  });

  it('moves many accounts at once, each only from a state the event allows', async () => {
    const db = database.db;
    const [active, suspended, pending] = [
      await accountIn('active'),
      await accountIn('suspended'),
      await accountIn('pending_review'),
    ];
    const campaign = '0b6c5f8e-5a59-4d2a-9c51-6f2f1d3c4b5a';
    const moved = await transitionAccounts(
      db,
      'cyc',
      { id: [active.id, suspended.id, pending.id] },
      'suspend',
      { suspended_by_campaign: campaign },
    );
    expect(moved.map((a) => [a.id, a.state])).toEqual([[active.id, 'suspended']]);
    expect(await transitionAccounts(db, 'tn', { suspended_by_campaign: campaign }, 'reactivate')).toEqual([]);
    const restored = await transitionAccounts(db, 'cyc', { suspended_by_campaign: campaign }, 'reactivate', {
      suspended_by_campaign: null,
    });
    expect(restored.map((a) => [a.id, a.state, a.suspended_by_campaign])).toEqual([
      [active.id, 'active', null],
    ]);
    expect((await findAccountById(db, 'cyc', suspended.id))?.state).toBe('suspended');
  });
});
