import { Flow } from '../../platform/flows/flow.ts';
import type { CampaignState } from '../schema.ts';

/**
 * What happens to an audit campaign: a unit's reviewer confirms or flags a staff member, the units
 * are reminded before the deadline, the deadline (or a county administrator) closes it, and an
 * administrator undoes the suspensions of a closed one.
 */
export type CampaignEvent = 'decide' | 'remind' | 'close' | 'undo';

/**
 * An audit campaign (清查), kept in the `state` column of its `county_audit_campaigns` row:
 *
 * ```
 * open ─close─► closed
 * open ─decide | remind─► open      (the reviewers' decisions and the reminder, until it closes)
 * closed ─undo─► closed             (the accounts it suspended are active again; done as often as asked)
 * ```
 *
 * A staff member's decision (`county_audit_entries.decision`: confirmed or flagged) has no
 * lifecycle of its own: while the campaign is open a reviewer may replace it either way, and closing
 * the campaign suspends the active accounts without a confirmation (`ACCOUNT_LIFECYCLE`'s `suspend`).
 */
export const CAMPAIGN = new Flow<CampaignState, CampaignEvent>('audit campaign', [
  ['open', 'decide', 'open'],
  ['open', 'remind', 'open'],
  ['open', 'close', 'closed'],
  ['closed', 'undo', 'closed'],
]);
