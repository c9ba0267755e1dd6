// Test support for the county's flow stores (`transitions.test.ts` of each flow): a migrated county
// database with the tenants and units a suite names, and the walk of every event from every state.
import { afterAll, beforeAll } from 'vitest';
import type { Database } from '../../platform/database/connect.ts';
import type { Flow } from '../../platform/flows/flow.ts';
import type { TestDatabaseKind } from '../../platform/testing/databases.ts';
import { countyMigrations } from '../migrations.ts';
import type { CountyDatabase } from '../schema.ts';
import { type UnitInput, upsertTenant, upsertUnit } from '../tenants/tenants.ts';

/** The counties a suite may ask for. */
const COUNTIES = {
  cyc: { name: '嘉義縣', portal_name: '嘉義縣教師資訊應用服務入口', mail_domain: 'mail.cyc.edu.tw' },
  tn: { name: '臺南市', portal_name: '臺南市教育局單一簽入', mail_domain: 'mail.tn.edu.tw' },
} as const;

/** 嘉義縣's schools the suites use: a teacher's unit and the unit a transfer leads to. */
export const MINXIONG: UnitInput = {
  code: '454503',
  name: '民雄國小',
  abbreviation: null,
  mailbox: 'a@x.tw',
};
export const DALIN: UnitInput = { code: '454601', name: '大林國小', abbreviation: null, mailbox: 'b@x.tw' };

export interface CountyDatabaseFixture {
  /** The suite's database, open from `beforeAll` to `afterAll`. */
  readonly db: Database<CountyDatabase>['db'];
}

/**
 * A county database of `kind` for the tests of the calling `describe`: opened and migrated before
 * them with the counties `tenants` (嘉義縣 by default) and 嘉義縣's `units`, closed after them.
 */
export function countyDatabase(
  kind: TestDatabaseKind,
  {
    tenants = ['cyc'],
    units = [],
  }: { tenants?: readonly (keyof typeof COUNTIES)[]; units?: readonly UnitInput[] } = {},
): CountyDatabaseFixture {
  let database: Database<CountyDatabase> | undefined;
  beforeAll(async () => {
    database = await kind.open<CountyDatabase>(countyMigrations);
    for (const code of tenants) await upsertTenant(database.db, { code, ...COUNTIES[code] });
    for (const unit of units) await upsertUnit(database.db, 'cyc', unit);
  });
  afterAll(async () => database?.close());
  return {
    get db() {
      if (!database) throw new Error('the county database is open only while the suite runs');
      return database.db;
    },
  };
}

/** One event taken from one state: whether the table allows it and where the row should then be. */
export interface Move<S extends string, E extends string> {
  event: E;
  state: S;
  allowed: boolean;
  /** The state the row is in afterwards: the table's next state, or `state` when it refuses. */
  to: S;
  /** `event at state`, for the assertions' messages. */
  label: string;
}

/** Calls `check` for every event of `flow` from every state of `states`, one after the other. */
export async function forEveryMove<S extends string, E extends string>(
  flow: Flow<S, E>,
  states: readonly S[],
  check: (move: Move<S, E>) => Promise<void>,
): Promise<void> {
  for (const event of flow.events) {
    for (const state of states) {
      const allowed = flow.allows(state, event);
      await check({
        event,
        state,
        allowed,
        to: allowed ? flow.next(state, event) : state,
        label: `${event} at ${state}`,
      });
    }
  }
}
