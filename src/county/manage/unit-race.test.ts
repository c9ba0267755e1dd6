// Two administrators saving schools at the same moment: the save that comes second gets the form
// error the checks give, never a 500. On PostgreSQL, where two saves really run side by side: the
// other save holds its insert open (its transaction not yet committed) while this one passes its
// checks and waits on the unique index.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabases } from '../../platform/testing/databases.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { findTenant } from '../tenants/tenants.ts';
import { type CountyTestApp, startCountyTestApp } from '../testing.ts';
import { createUnit } from './unit-steps.ts';

const postgres = (await testDatabases()).find((kind) => kind.name === 'postgres');
const by = { username: 'cycadmin', ip: '203.0.113.70' };

describe.runIf(postgres)('a school saved by two administrators at once (PostgreSQL)', () => {
  let t: CountyTestApp;
  let tenant: Tenant;

  beforeAll(async () => {
    t = await startCountyTestApp(postgres as NonNullable<typeof postgres>);
    tenant = (await findTenant(t.county.db, 'cyc')) as Tenant;
  });
  afterAll(async () => {
    await t?.close();
  });

  /** Runs `second` while another transaction holds `first`'s unit inserted, then commits that one. */
  async function whileAnotherSaves(first: { code: string; mailbox: string }, second: () => Promise<unknown>) {
    let result: Promise<unknown> | undefined;
    await t.county.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('county_units')
        .values({ tenant: 'cyc', name: '先存的學校', mailbox_normalized: first.mailbox, ...first })
        .execute();
      result = second();
      // Long enough for `second` to pass its checks and wait on the index.
      await new Promise((resolve) => setTimeout(resolve, 300));
    });
    return result;
  }

  it('the same school code: a form error, and the first school stays', async () => {
    const outcome = await whileAnotherSaves({ code: '454780', mailbox: 'first@mail.cyc.edu.tw' }, () =>
      createUnit(
        t.county,
        tenant,
        { code: '454780', name: '後存的學校', abbreviation: null, mailbox: 'second@mail.cyc.edu.tw' },
        by,
      ),
    );
    expect(outcome).toEqual({ code: { key: 'manage.error.unit_exists' } });
    const units = await t.county.db
      .selectFrom('county_units')
      .selectAll()
      .where('code', '=', '454780')
      .execute();
    expect(units.map((u) => u.name)).toEqual(['先存的學校']);
  });

  it('the same official mailbox: a form error, and no second school', async () => {
    const outcome = await whileAnotherSaves({ code: '454781', mailbox: 'shared@mail.cyc.edu.tw' }, () =>
      createUnit(
        t.county,
        tenant,
        { code: '454782', name: '後存的學校', abbreviation: null, mailbox: 'shared@mail.cyc.edu.tw' },
        by,
      ),
    );
    expect(outcome).toEqual({ mailbox: { key: 'manage.error.mailbox_taken' } });
    expect(
      await t.county.db
        .selectFrom('county_units')
        .select('code')
        .where('code', '=', '454782')
        .executeTakeFirst(),
    ).toBeUndefined();
  });
});
