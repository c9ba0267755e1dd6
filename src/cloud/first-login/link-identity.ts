import { AppError } from '../../platform/errors/app-error.ts';
import type { CloudAccount } from '../account/accounts.ts';
import { auditOwnAct } from '../account/audit.ts';
import type { CloudServices } from '../services.ts';
import type { LoginFlow } from './flows.ts';

/**
 * Links the flow's county identity to `account`, whose password the person just proved, and ends
 * the flow, in one transaction. A suspended account is not linked.
 */
export async function linkIdentity(
  cloud: CloudServices,
  flow: LoginFlow,
  account: CloudAccount,
  ip: string,
): Promise<void> {
  if (account.state !== 'active') throw new AppError('cloud.account_suspended', 403);
  await cloud.db.transaction().execute(async (tx) => {
    if (flow.guidHash) await cloud.accounts.adoptGuidHash(account.id, flow.guidHash, tx);
    await cloud.accounts.link(
      account.id,
      { countyCode: flow.countyCode, issuer: flow.issuer, subject: flow.subject, snapshot: flow.snapshot },
      tx,
    );
    if (flow.snapshot.openid2Id) await cloud.accounts.addOpenid2Id(account.id, flow.snapshot.openid2Id, tx);
    if (!(await cloud.flows.take(flow.id, 'link', { accountId: account.id }, tx))) {
      throw new AppError('cloud.flow_expired', 410);
    }
    await auditOwnAct(tx, account, 'identity.linked', ip, { county: flow.countyCode });
  });
}
