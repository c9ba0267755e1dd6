import { I18n } from '../platform/i18n/i18n.ts';
import { platformMessages } from '../platform/i18n/platform-messages.ts';
import { type CountyTx, mail } from './db.ts';
import { countyMessages } from './messages.ts';

const i18n = new I18n(platformMessages, countyMessages);
type Vars = Record<string, string | number>;

/** A mail in both languages (Chinese first): recipients' language is not known when it is sent. */
export function mailMessage(key: string, vars: Vars = {}): { subject: string; text: string } {
  return {
    subject: `${i18n.translate('zh-TW', `${key}.subject`, vars)} / ${i18n.translate('en', `${key}.subject`, vars)}`,
    text: `${i18n.translate('zh-TW', `${key}.body`, vars)}\n\n----------\n\n${i18n.translate('en', `${key}.body`, vars)}\n`,
  };
}

/**
 * Queues, in the caller's transaction, a mail to an account's address in both languages, its
 * portal's name and the account's username filled in (`portal`, `username`) beside `vars`.
 */
export function mailAccount(
  db: CountyTx,
  tenant: { portal_name: string },
  account: { email: string; username: string },
  key: string,
  vars: Vars = {},
): Promise<string> {
  return mail(db, {
    to: account.email,
    ...mailMessage(key, { portal: tenant.portal_name, username: account.username, ...vars }),
  });
}
