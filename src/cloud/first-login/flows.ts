import { randomBytes } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { CloudDb, CloudTx } from '../db.ts';
import type { CloudTables, CountySnapshot, FirstLoginState } from '../schema.ts';
import type { Transition } from './transitions.ts';

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
  Pick<LoginFlow, 'state' | 'chosenName' | 'passwordHash' | 'backupEmail' | 'accountId'>
>;

/**
 * First-login flows (their transitions: `FIRST_LOGIN` in transitions.ts). Each step moves the flow
 * only from the states it expects, so a replayed or out-of-order form does nothing.
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

  /** Takes `transition` with `change`; false when the flow was in none of its states (or expired). */
  take(
    id: string,
    transition: Transition,
    change: Omit<FlowChange, 'state'> = {},
    db: CloudTx = this.#db,
  ): Promise<boolean> {
    return this.advance(id, transition.from, { ...change, state: transition.to }, db);
  }

  /** Moves the flow from one of `from` to its new state; false when it was no longer there. */
  async advance(
    id: string,
    from: readonly FirstLoginState[],
    change: FlowChange,
    db: CloudTx = this.#db,
  ): Promise<boolean> {
    const set: Record<string, unknown> = {};
    if (change.state !== undefined) set.state = change.state;
    if (change.chosenName !== undefined) set.chosen_name = change.chosenName;
    if (change.passwordHash !== undefined) set.password_hash = change.passwordHash;
    if (change.backupEmail !== undefined) set.backup_email = change.backupEmail;
    if (change.accountId !== undefined) set.account_id = change.accountId;
    const result = await db
      .updateTable('cloud_login_flows')
      .set(set)
      .where('id', '=', id)
      .where('state', 'in', from)
      .where('expires_at', '>', new Date())
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Removes expired flows (run periodically). */
  async sweep(): Promise<number> {
    const r = await this.#db
      .deleteFrom('cloud_login_flows')
      .where('expires_at', '<', new Date())
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
