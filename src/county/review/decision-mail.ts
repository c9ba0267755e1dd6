// The mails that ask a unit's official mailbox for a decision (school review of an application, a
// teacher's request to move to the unit): approve / reject links valid 14 days from the request, and
// one reminder 3 days later, while it still waits, with fresh links to the same deadline.
import { audit, type CountyTx, job, mail } from '../db.ts';
import { DECISION_REMINDER_AFTER_MS } from '../links.ts';
import { mailMessage } from '../mail-text.ts';
import type { County } from '../services.ts';
import type { Tenant, Unit } from '../tenants/tenants.ts';
import { formatMailTime } from '../views/page.ts';
import { type DecisionKind, decisionLinks } from './decision-link.ts';

/** A mail that asks a unit to decide one subject. */
export interface DecisionMail {
  kind: DecisionKind;
  tenant: Tenant;
  /** The deciding unit: the mail goes to its official mailbox. */
  unit: Unit;
  /** The account or request decided (the links' subject). */
  subject: string;
  /** When the decision was asked for: all its links expire `kind.link.ttlSeconds` later. */
  requestedAt: Date;
  /** Message key (`<key>.subject`, `<key>.body`). */
  message: string;
  /** The message's variables besides portal, unit, approve, reject, console and expires. */
  vars: Record<string, string>;
}

/** A reminder is a decision mail sent again, audited as `action` on `target`. */
export interface DecisionReminder extends DecisionMail {
  action: string;
  target: string;
}

/**
 * Queues the mail with links valid until the request's deadline. Sends nothing and returns false
 * when the deadline is less than a minute away.
 */
export async function mailDecisionLinks(county: County, tx: CountyTx, m: DecisionMail): Promise<boolean> {
  const deadline = new Date(m.requestedAt.getTime() + m.kind.link.ttlSeconds * 1000);
  const remaining = Math.floor((deadline.getTime() - Date.now()) / 1000);
  if (remaining <= 60) return false;
  const links = await decisionLinks(county, m.tenant, m.kind, m.subject, remaining);
  await mail(tx, {
    to: m.unit.mailbox,
    ...mailMessage(m.message, {
      ...m.vars,
      portal: m.tenant.portal_name,
      unit: m.unit.name,
      approve: links.approve,
      reject: links.reject,
      console: `${county.tenantUrl(m.tenant.code)}/review`,
      expires: formatMailTime(deadline),
    }),
  });
  return true;
}

/** Schedules the reminder job of a subject 3 days from now, once per subject. */
export async function scheduleReminder(
  tx: CountyTx,
  type: string,
  subject: string,
  payload: Record<string, unknown>,
): Promise<void> {
  await job(tx, type, payload, {
    runAt: new Date(Date.now() + DECISION_REMINDER_AFTER_MS),
    idempotencyKey: `${type}:${subject}`,
  });
}

/** Reminder job: mails the unit again with fresh links (same deadline) and records it. */
export async function sendReminder(county: County, tx: CountyTx, reminder: DecisionReminder): Promise<void> {
  if (!(await mailDecisionLinks(county, tx, reminder))) return;
  await audit(tx, {
    tenant: reminder.tenant.code,
    actor: 'system',
    action: reminder.action,
    target: reminder.target,
    details: { unit: reminder.unit.code },
  });
}
