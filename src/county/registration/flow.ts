// The registration flow (歡迎註冊) as a persisted flow, moved by its transition table
// (`REGISTRATION` in transitions.ts): credentials (step 1) → email (step 2) → terms (step 3) →
// unit (step 4) → submitted.
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { flowTable } from '../../platform/flows/flow-table.ts';
import type { CountyTx } from '../db.ts';
import type { CountyTables, RegistrationState } from '../schema.ts';
import { REGISTRATION, type RegistrationEvent } from './transitions.ts';

export type RegistrationFlow = Selectable<CountyTables['county_registration_flows']>;

/** The steps in the order the pages show them. */
export const STEPS: readonly RegistrationState[] = ['credentials', 'email', 'terms', 'unit', 'submitted'];
export const FLOW_TTL_MS = 2 * 3600_000;

export function stepIndex(state: RegistrationState): number {
  return STEPS.indexOf(state);
}

/** The registration flows, each moved by `REGISTRATION` in one statement. */
export const registrationFlows = flowTable<CountyTables>()('county_registration_flows', REGISTRATION, {
  key: 'id',
  expires: 'expires_at',
});

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

/**
 * Records a completed step on the flow and moves it on (`REGISTRATION`); undefined when the table
 * does not allow the step where the flow is now (a submitted flow: a double submit changes nothing).
 */
export function completeStep(
  db: CountyTx,
  flow: Pick<RegistrationFlow, 'id'>,
  step: Exclude<RegistrationEvent, 'submit'>,
  changes: FlowChanges,
): Promise<RegistrationFlow | undefined> {
  return registrationFlows.take(db, flow.id, step, { ...changes, updated_at: new Date() });
}

/** Deletes flows that expired (run periodically). */
export function sweepFlows(db: CountyTx): Promise<number> {
  return registrationFlows.sweep(db);
}
