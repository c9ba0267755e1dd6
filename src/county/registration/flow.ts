// The registration flow (歡迎註冊) as a persisted state machine:
//   credentials (step 1) → email (step 2) → terms (step 3) → unit (step 4) → submitted
// On submit the account is created in `pending_email`; verifying the email moves it to
// `pending_review` and mails the unit; the unit's decision makes it `active` or `rejected`.
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { CountyTx } from '../db.ts';
import type { CountyTables, RegistrationState } from '../schema.ts';

export type RegistrationFlow = Selectable<CountyTables['county_registration_flows']>;

export const STEPS: readonly RegistrationState[] = ['credentials', 'email', 'terms', 'unit', 'submitted'];
export const FLOW_TTL_MS = 2 * 3600_000;

export function stepIndex(state: RegistrationState): number {
  return STEPS.indexOf(state);
}

/** The state after completing `step`: never goes back (editing an earlier step keeps the progress). */
export function advance(current: RegistrationState, completed: RegistrationState): RegistrationState {
  const next = STEPS[Math.min(stepIndex(completed) + 1, STEPS.length - 1)] as RegistrationState;
  return stepIndex(next) > stepIndex(current) ? next : current;
}

/** Whether a step's page may be shown: completed steps and the current one. */
export function canVisit(flow: Pick<RegistrationFlow, 'state'>, step: RegistrationState): boolean {
  return flow.state !== 'submitted' && stepIndex(step) <= stepIndex(flow.state);
}

export async function startFlow(db: CountyTx, tenant: string): Promise<RegistrationFlow> {
  return db
    .insertInto('county_registration_flows')
    .values({
      id: randomUUID(),
      tenant,
      state: 'credentials',
      username: null,
      username_normalized: null,
      password_hash: null,
      email: null,
      email_normalized: null,
      terms_version: null,
      terms_accepted_at: null,
      unit_code: null,
      account_id: null,
      expires_at: new Date(Date.now() + FLOW_TTL_MS),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The flow, unless it is unknown, of another tenant or expired. */
export async function loadFlow(
  db: CountyTx,
  tenant: string,
  id: unknown,
): Promise<RegistrationFlow | undefined> {
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
  const flow = await db
    .selectFrom('county_registration_flows')
    .selectAll()
    .where('id', '=', id)
    .where('tenant', '=', tenant)
    .executeTakeFirst();
  if (!flow || flow.expires_at.getTime() < Date.now()) return undefined;
  return flow;
}

type FlowChanges = Partial<
  Pick<
    RegistrationFlow,
    | 'username'
    | 'username_normalized'
    | 'password_hash'
    | 'email'
    | 'email_normalized'
    | 'terms_version'
    | 'terms_accepted_at'
    | 'unit_code'
    | 'account_id'
  >
>;

/** Records a completed step (only while the flow is not submitted: a double submit changes nothing). */
export async function completeStep(
  db: CountyTx,
  flow: RegistrationFlow,
  step: RegistrationState,
  changes: FlowChanges,
): Promise<RegistrationFlow | undefined> {
  return db
    .updateTable('county_registration_flows')
    .set({ ...changes, state: advance(flow.state, step), updated_at: new Date() })
    .where('id', '=', flow.id)
    .where('state', '<>', 'submitted')
    .returningAll()
    .executeTakeFirst();
}

/** Deletes flows that expired (run periodically). */
export async function sweepFlows(db: CountyTx): Promise<number> {
  const r = await db
    .deleteFrom('county_registration_flows')
    .where('expires_at', '<', new Date())
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}
