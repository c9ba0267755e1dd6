import type { Translate } from '../../platform/i18n/i18n.ts';

/** Actors that are not an account: the mailbox of a unit (mailed decision links) and the system. */
const MAILBOX_ACTOR = 'mailbox:';
const NAMED_ACTORS = new Set(['anonymous', 'system', 'cli', 'admin']);

/** What an audit record's action means, in the reader's language (`audit.event.<action>`). */
export function auditActionLabel(t: Translate, action: string): string {
  const key = `audit.event.${action}`;
  const label = t(key);
  return label === key ? t('audit.event.other', { action }) : label;
}

/** Who did it: an account's username, a unit's official mailbox, or the system. */
export function auditActorLabel(t: Translate, actor: string | null): string {
  if (!actor) return '';
  if (actor.startsWith(MAILBOX_ACTOR))
    return t('audit.by.mailbox', { mailbox: actor.slice(MAILBOX_ACTOR.length) });
  if (NAMED_ACTORS.has(actor)) return t(`audit.by.${actor}`);
  return actor;
}
