import { mergeMessages } from '../platform/i18n/i18n.ts';
import { accountMessages } from './accounts/messages.ts';
import { campaignMessages } from './campaigns/messages.ts';
import { contentMessages } from './content/messages.ts';
import { loginMessages } from './login/messages.ts';
import { manageMessages } from './manage/messages.ts';
import { profileMessages } from './profile/messages.ts';
import { registrationMessages } from './registration/messages.ts';
import { reviewMessages } from './review/messages.ts';
import { tenantMessages } from './tenants/messages.ts';
import { transferMessages } from './transfer/messages.ts';
import { viewMessages } from './views/messages.ts';

/**
 * The county portal's whole catalogue, for what reads across its flows: the role app, mails in both
 * languages (`mail-text.ts`) and the tests that look for untranslated keys. Each flow keeps its
 * messages in its own folder's `messages.ts`; words several flows use are in `views/messages.ts`.
 * The OIDC provider and RADIUS bring their own catalogues as extensions.
 */
export const countyMessages = mergeMessages(
  viewMessages,
  tenantMessages,
  contentMessages,
  loginMessages,
  accountMessages,
  registrationMessages,
  reviewMessages,
  profileMessages,
  transferMessages,
  manageMessages,
  campaignMessages,
);
