// The decisions a reviewer takes in the review console, taken one way whatever they decide: the
// kind reads the decision and its subject from the request, its step records it in one
// transaction, and a reject sent without its reason writes nothing and goes back to the console
// with that field marked (instead of an error page).
import { AppError } from '../../platform/errors/app-error.ts';
import { recordDecision } from '../campaigns/decide.ts';
import type { CountyTx } from '../db.ts';
import type { County } from '../services.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { decideTransfer } from '../transfer/requests.ts';
import { formValue } from '../views/form.ts';
import { decideApplication } from './decide.ts';
import { asDecision, type Decision } from './decision-link.ts';

/** Who decides in the console. */
export interface Reviewer {
  tenant: Tenant;
  /** The reviewer's username. */
  actor: string;
  ip: string;
  /** A reviewer's own unit restricts every console action; undefined for county administrators. */
  unitCode: string | undefined;
}

type Params = Record<string, string | undefined>;

/** What every console decision carries: the decision, and a reject's reason. */
export interface DecisionInput {
  decision: string;
  reason?: string;
}

/** A kind of decision taken in the review console. */
export interface ConsoleDecision<I extends DecisionInput> {
  /** Its route, below the tenant's path. */
  path: string;
  /** The decision and its subject; throws `bad_request` (400) or `not_found` (404). */
  input(params: Params, body: unknown): I;
  /** Records the decision in the transaction. */
  decide(county: County, tx: CountyTx, input: I & Reviewer): Promise<unknown>;
}

const UUID = /^[0-9a-f-]{36}$/;

function approveOrReject(body: unknown): Decision {
  const decision = asDecision(formValue(body, 'decision'));
  if (!decision) throw new AppError('bad_request', 400);
  return decision;
}

function uuid(value: string | undefined): string {
  if (!value || !UUID.test(value)) throw new AppError('not_found', 404);
  return value;
}

/** School review of an application (學校審核). */
export const applicationInConsole: ConsoleDecision<{
  decision: Decision;
  accountId: string;
  reason: string;
}> = {
  path: '/review/applications/:id',
  input: (params, body) => ({
    decision: approveOrReject(body),
    accountId: params.id ?? '',
    reason: formValue(body, 'reason'),
  }),
  decide: (county, tx, input) => decideApplication(county, tx, { ...input, via: 'console' }),
};

/** A teacher's request to move to the unit. */
export const transferInConsole: ConsoleDecision<{ decision: Decision; requestId: string; reason: string }> = {
  path: '/review/transfers/:id',
  input: (params, body) => ({
    decision: approveOrReject(body),
    requestId: uuid(params.id),
    reason: formValue(body, 'reason'),
  }),
  decide: (county, tx, input) => decideTransfer(county, tx, { ...input, via: 'console' }),
};

/** A staff member in an audit campaign (清查): confirmed (still ours) or flagged (not any more). */
export const campaignInConsole: ConsoleDecision<{
  decision: 'confirmed' | 'flagged';
  campaignId: string;
  accountId: string;
}> = {
  path: '/review/campaigns/:campaign/accounts/:account',
  input(params, body) {
    const decision = formValue(body, 'decision');
    if (decision !== 'confirmed' && decision !== 'flagged') throw new AppError('bad_request', 400);
    return { decision, campaignId: params.campaign ?? '', accountId: uuid(params.account) };
  },
  decide: (_county, tx, input) => recordDecision(tx, input),
};

/**
 * Takes a reviewer's decision in one transaction: `taken`, or `reason_missing` when a reject came
 * without its reason (nothing written).
 */
export async function takeConsoleDecision<I extends DecisionInput>(
  county: County,
  kind: ConsoleDecision<I>,
  input: I,
  reviewer: Reviewer,
): Promise<'taken' | 'reason_missing'> {
  try {
    await county.db.transaction().execute((tx) => kind.decide(county, tx, { ...input, ...reviewer }));
    return 'taken';
  } catch (error) {
    const missing =
      error instanceof AppError &&
      error.code === 'county.reason_required' &&
      input.decision === 'reject' &&
      input.reason === '';
    if (!missing) throw error;
    return 'reason_missing';
  }
}
