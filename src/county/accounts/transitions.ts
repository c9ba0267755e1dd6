import { Flow } from '../../platform/flows/flow.ts';
import type { AccountState } from '../schema.ts';

/**
 * What moves a county account: the applicant's verification link, the unit's decision on the
 * application (a mailed link or the review console), and a county administrator (the manage
 * console, or an audit campaign's deadline and its undo).
 */
export type AccountEvent = 'verifyEmail' | 'approve' | 'reject' | 'suspend' | 'reactivate' | 'depart';

/**
 * A county account's lifecycle, kept in the `status` column of its `county_accounts` row (read as
 * `Account.state`):
 *
 * ```
 * pending_email ─verifyEmail─► pending_review ─approve─► active
 *                                             ─reject──► rejected
 * active ─suspend─► suspended ─reactivate─► active
 * active | suspended ─depart─► departed
 * ```
 *
 * An application starts in `pending_email` (and is deleted when its link expires unused); an
 * account an administrator creates (a unit's reviewer, a county administrator) starts `active`;
 * one imported from an older portal starts in the state it had there (`IMPORTED_STATES`).
 * `rejected` and `departed` are final.
 */
export const ACCOUNT_LIFECYCLE = new Flow<AccountState, AccountEvent>('county account', [
  ['pending_email', 'verifyEmail', 'pending_review'],
  ['pending_review', 'approve', 'active'],
  ['pending_review', 'reject', 'rejected'],
  ['active', 'suspend', 'suspended'],
  ['suspended', 'reactivate', 'active'],
  ['active', 'depart', 'departed'],
  ['suspended', 'depart', 'departed'],
]);

/** The states an imported account may start in (the `status` column of an import file). */
export const IMPORTED_STATES: readonly AccountState[] = ['active', 'suspended', 'departed'];
