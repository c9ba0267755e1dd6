import { Flow } from '../../platform/flows/flow.ts';
import type { TransferState } from '../schema.ts';

/**
 * What ends a transfer request: the receiving unit's decision (a mailed link or the review
 * console), the teacher withdrawing it, a new request of the teacher replacing it, or a county
 * administrator moving the account themselves.
 */
export type TransferEvent = 'approve' | 'reject' | 'withdraw' | 'replace' | 'administratorMove';

/**
 * A teacher's request to change service unit (變更服務單位). It starts `pending` (at most one per
 * account: `county_transfer_open`) and is decided or withdrawn once:
 *
 * ```
 * pending ─approve─► approved          (the account moves to the unit)
 *         ─reject──► rejected          (with the unit's reason)
 *         ─withdraw | replace | administratorMove─► cancelled
 * ```
 */
export const TRANSFER = new Flow<TransferState, TransferEvent>('unit transfer', [
  ['pending', 'approve', 'approved'],
  ['pending', 'reject', 'rejected'],
  ['pending', 'withdraw', 'cancelled'],
  ['pending', 'replace', 'cancelled'],
  ['pending', 'administratorMove', 'cancelled'],
]);
