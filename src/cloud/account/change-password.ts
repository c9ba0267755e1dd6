import type { FastifyRequest } from 'fastify';
import { validatePassword } from '../../identity/index.ts';
import type { CloudServices } from '../services.ts';
import type { CloudAccount } from './accounts.ts';
import { auditOwnAct } from './audit.ts';
import { checkCloudPassword, hashPassword } from './password-check.ts';

/**
 * The account's new cloud password, with its audit record. The current password is asked for
 * unless the account has none yet or a county sign-in just proved the person (recovery). Returns
 * the problems to show, or undefined when the password was changed.
 */
export async function changeCloudPassword(
  cloud: CloudServices,
  request: FastifyRequest,
  account: CloudAccount,
  input: { current: string; password: string; confirmation: string },
  recovered: boolean,
): Promise<{ problems: string[]; status: 401 | 422 } | undefined> {
  if (account.hasPassword && !recovered) {
    const ok = await checkCloudPassword(cloud, request, account.name, input.current);
    if (!ok) return { problems: ['cloud.account.password_wrong'], status: 401 };
  }
  const problems: string[] = validatePassword({
    password: input.password,
    confirmation: input.confirmation,
    username: account.name,
  }).map((v) => v.code);
  if (account.hasPassword && problems.length === 0 && input.password === input.current)
    problems.push('password.unchanged');
  if (problems.length > 0) return { problems, status: 422 };
  const hash = await hashPassword(cloud, input.password);
  await cloud.db.transaction().execute(async (tx) => {
    await cloud.accounts.setPasswordHash(account.id, hash, tx);
    await auditOwnAct(tx, account, 'password.changed', request.ip);
  });
  return undefined;
}
