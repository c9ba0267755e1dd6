import type { FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { CloudAccount } from '../account/accounts.ts';
import { accountNameFromLogin, checkCloudPassword } from '../account/password-check.ts';
import type { CloudServices } from '../services.ts';
import type { LoginFlow } from './flows.ts';

export type Proof =
  | { ok: true; account: CloudAccount }
  /** What the link screen shows again: the failure, and the name typed when there was one. */
  | { ok: false; error: string; matched?: true; name?: string };

/**
 * The password of an existing cloud account, before the county identity is linked to it: the
 * account the person's guid matched (`link`, budgeted per county identity too, each failure
 * audited), or the account the person names (`no_account` → 「我已有教育雲端帳號」).
 */
export async function proveAccount(
  cloud: CloudServices,
  request: FastifyRequest,
  flow: LoginFlow,
  typed: { name: string; password: string },
): Promise<Proof> {
  if (flow.state === 'link' && flow.accountId) {
    const proposed = await cloud.accounts.byId(flow.accountId);
    if (!proposed) throw new AppError('cloud.flow_expired', 410);
    const account = await checkCloudPassword(cloud, request, proposed.name, typed.password, {
      throttle: cloud.linkThrottle,
      keys: [`identity:${flow.issuer}#${flow.subject}`],
    });
    if (account) return { ok: true, account };
    await recordAudit(cloud.db, {
      actor: `${flow.countyCode}:${flow.snapshot.username ?? flow.subject}`,
      action: 'identity.link_failed',
      target: proposed.id,
      ip: request.ip,
      details: { county: flow.countyCode, subject: flow.subject },
    });
    return { ok: false, error: request.t('cloud.link.failed'), matched: true };
  }
  const name = typed.name.slice(0, 200);
  const account = await checkCloudPassword(
    cloud,
    request,
    accountNameFromLogin(name, cloud.ctx.config.cloudMailDomain),
    typed.password,
  );
  return account ? { ok: true, account } : { ok: false, error: request.t('cloud.login.failed'), name };
}
