import type { Db } from '../provisioning/provision-account.ts';
import { type CloudProfile, rememberProfile } from './accounts.ts';
import { startSession } from './sessions.ts';

/**
 * The cloud's answer at the portal's callback: in one transaction, the teacher's profile recorded
 * (or refreshed) and the row of this browser's sign-in started, which the cloud's back-channel
 * logout ends by `sid`. Returns the row's id, for the browser's session.
 */
export function recordSignIn(
  db: Db,
  profile: CloudProfile & { sid: string | null },
  workspaceDomain: string,
): Promise<string> {
  return db.transaction().execute(async (tx) => {
    await rememberProfile(tx, profile, workspaceDomain);
    return startSession(tx, profile.sub, profile.sid);
  });
}
