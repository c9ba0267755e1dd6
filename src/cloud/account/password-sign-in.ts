import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { CloudServices } from '../services.ts';
import { signIn } from '../session.ts';
import { rememberDevice, verifyCloudPassword } from './password-check.ts';

/** Why a sign-in with a password was refused: the message (catalogue key), the status, what the form needs. */
export interface LoginRefusal {
  key: string;
  vars?: Record<string, number>;
  status: 400 | 401 | 403 | 429;
  /** The form asks for a proof of work. */
  challenge?: boolean;
  /** A spent budget: when to try again (Retry-After). */
  retryAfter?: number;
}

/**
 * 登入 with a cloud account and its password: checked against the sign-in budgets; an active
 * account is signed in (this browser then counts as the account's device) with its audit record,
 * a refusal is audited as failed or refused. Returns the refusal, or undefined when signed in.
 */
export async function passwordSignIn(
  cloud: CloudServices,
  request: FastifyRequest,
  reply: FastifyReply,
  input: { name: string; password: string; solution: string },
): Promise<LoginRefusal | undefined> {
  const { name } = input;
  let check: Awaited<ReturnType<typeof verifyCloudPassword>>;
  try {
    check = await verifyCloudPassword(cloud, request, name, input.password, { solution: input.solution });
  } catch (error) {
    if (!(error instanceof AppError) || error.code !== 'rate_limited') throw error;
    // A spent budget: the login page says which one and what to do, with Retry-After.
    const seconds = Number(error.params.seconds ?? 60);
    const known = cloud.deviceCookies.deviceFor(request, name) !== undefined;
    const key = known ? 'cloud.login.throttled' : 'cloud.login.throttled_unknown_device';
    return { key, vars: { seconds, minutes: Math.ceil(seconds / 60) }, status: 429, retryAfter: seconds };
  }
  const db = cloud.db;
  if (!check.ok) {
    if (check.reason !== 'invalid')
      return { key: `cloud.login.${check.reason}`, status: 400, challenge: true };
    await recordAudit(db, { actor: name || 'anonymous', action: 'login.failed', ip: request.ip });
    return { key: 'cloud.login.failed', status: 401, challenge: check.challenge };
  }
  const { account } = check;
  if (account.state !== 'active') {
    await recordAudit(db, { actor: account.name, action: 'login.refused_suspended', ip: request.ip });
    return { key: 'cloud.login.suspended', status: 403 };
  }
  await signIn(request, account, { amr: ['pwd'] });
  rememberDevice(cloud, request, reply, name);
  await recordAudit(db, {
    actor: account.name,
    action: 'login.succeeded',
    ip: request.ip,
    details: { via: 'password' },
  });
  return undefined;
}
