import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import { flowTable } from '../../platform/flows/flow-table.ts';
import type { CloudDb, CloudTx } from '../db.ts';
import type { CloudTables, CountySnapshot, FirstLoginState } from '../schema.ts';
import { FIRST_LOGIN, type FirstLoginEvent } from './transitions.ts';

/** A persisted first-login (or linking) flow of a county identity that has no cloud account yet. */
export interface LoginFlow {
  id: string;
  state: FirstLoginState;
  countyCode: string;
  issuer: string;
  subject: string;
  snapshot: CountySnapshot;
  guidHash: string | null;
  chosenName: string | null;
  passwordHash: string | null;
  backupEmail: string | null;
  accountId: string | null;
  returnTo: string | null;
  expiresAt: Date;
}

export const FLOW_TTL_SECONDS = 30 * 60;

type Row = Selectable<CloudTables['cloud_login_flows']>;

function toFlow(row: Row): LoginFlow {
  return {
    id: row.id,
    state: row.state,
    countyCode: row.county_code,
    issuer: row.issuer,
    subject: row.subject,
    snapshot: row.snapshot,
    guidHash: row.guid_hash,
    chosenName: row.chosen_name,
    passwordHash: row.password_hash,
    backupEmail: row.backup_email,
    accountId: row.account_id,
    returnTo: row.return_to,
    expiresAt: row.expires_at,
  };
}

export interface NewFlow {
  state: 'no_account' | 'link';
  countyCode: string;
  issuer: string;
  subject: string;
  snapshot: CountySnapshot;
  guidHash: string | null;
  accountId: string | null;
  returnTo: string | null;
}

export type FlowChange = Partial<
  Pick<LoginFlow, 'chosenName' | 'passwordHash' | 'backupEmail' | 'accountId'>
>;

const table = flowTable<CloudTables>()('cloud_login_flows', FIRST_LOGIN, {
  key: 'id',
  expires: 'expires_at',
});

/**
 * First-login flows, moved by their transition table (`FIRST_LOGIN` in transitions.ts): each step
 * moves the flow only from the states the table lists for it, so a replayed or out-of-order form
 * does nothing.
 */
export class LoginFlows {
  readonly #db: CloudDb;
  constructor(db: CloudDb) {
    this.#db = db;
  }

  async create(flow: NewFlow): Promise<LoginFlow> {
    const row = await this.#db
      .insertInto('cloud_login_flows')
      .values({
        id: randomBytes(24).toString('base64url'),
        state: flow.state,
        county_code: flow.countyCode,
        issuer: flow.issuer,
        subject: flow.subject,
        snapshot: JSON.stringify(flow.snapshot),
        guid_hash: flow.guidHash,
        chosen_name: null,
        password_hash: null,
        backup_email: null,
        account_id: flow.accountId,
        return_to: flow.returnTo,
        expires_at: new Date(Date.now() + FLOW_TTL_SECONDS * 1000),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return toFlow(row);
  }

  /** The flow, when it exists and has not expired. */
  async get(id: string, db: CloudTx = this.#db): Promise<LoginFlow | undefined> {
    const row = await db
      .selectFrom('cloud_login_flows')
      .selectAll()
      .where('id', '=', id)
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    return row && toFlow(row);
  }

  /** Takes `event` with `change`; false when the table does not allow it from the flow's state (or it expired). */
  async take(
    id: string,
    event: FirstLoginEvent,
    change: FlowChange = {},
    db: CloudTx = this.#db,
  ): Promise<boolean> {
    const moved = await table.take(db, id, event, {
      chosen_name: change.chosenName,
      password_hash: change.passwordHash,
      backup_email: change.backupEmail,
      account_id: change.accountId,
    });
    return moved !== undefined;
  }

  /** Removes expired flows (run periodically). */
  sweep(): Promise<number> {
    return table.sweep(this.#db);
  }
}
