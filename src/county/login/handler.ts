import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientGone } from '../../platform/http/client-gone.ts';
import { authenticate, captchaRequired, loginKey } from '../accounts/authenticate.ts';
import type { Account } from '../accounts/repository.ts';
import { newChallenge, postedSolution } from '../captcha/captcha.ts';
import type { County } from '../services.ts';
import { formSecret, formValue } from '../views/form.ts';
import type { LoginFormOptions } from './form.ts';
import { recordSignIn } from './sign-in.ts';

export type LoginOutcome =
  | { kind: 'signed_in'; account: Account }
  /** Show the form again: `form` holds the error, the kept username and the challenge, if any. */
  | {
      kind: 'form';
      status: number;
      headers: Record<string, string>;
      form: Omit<LoginFormOptions, 'action' | 'hidden'>;
    };

/** The form options for a first display (asks the CAPTCHA policy; nothing is stored). */
export async function loginFormState(
  county: County,
  tenant: string,
  request: FastifyRequest,
): Promise<Omit<LoginFormOptions, 'action' | 'hidden'>> {
  const needed = await captchaRequired(county, { tenant, ip: request.ip });
  return { captcha: needed ? await newChallenge(county, tenant) : undefined };
}

/**
 * Handles a posted login form (username, password, the challenge's solution): authenticates within
 * the sign-in budgets and the challenge policy and, on success, signs the session in (new session
 * id) and gives the browser a device cookie for the account. The OIDC login interaction calls this
 * too and then finishes its interaction with `outcome.account.id`. A login whose browser has closed
 * the connection while it waited for a hashing slot is not checked.
 */
export async function handleLogin(
  county: County,
  tenant: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<LoginOutcome> {
  const t = request.t;
  const body = request.body;
  const username = formValue(body, 'username').slice(0, 64);
  const password = formSecret(body, 'password').slice(0, 1024);
  const devices = county.deviceCookies(tenant);
  const device = username ? devices.deviceFor(request, loginKey(tenant, username)) : undefined;
  const form = async (error: string | undefined, challenge: boolean, status = 200, headers = {}) =>
    ({
      kind: 'form',
      status,
      headers,
      form: { username, error, captcha: challenge ? await newChallenge(county, tenant) : undefined },
    }) as const;

  if (username === '' || password === '') {
    return form(
      t('login.error.missing'),
      await captchaRequired(county, { tenant, username, ip: request.ip, device }),
      400,
    );
  }
  const result = await authenticate(county, {
    tenant,
    username,
    password,
    ip: request.ip,
    solution: postedSolution(body),
    device,
    signal: clientGone(reply),
  });
  if (result.ok) {
    const account = await recordSignIn(county, request, {
      account: result.account,
      newHash: result.newHash,
      ip: request.ip,
      userAgent: request.headers['user-agent'],
      pass: result.pass,
    });
    devices.issue(request, reply, loginKey(tenant, username));
    return { kind: 'signed_in', account };
  }
  switch (result.reason) {
    case 'captcha_required':
      return form(t('login.error.captcha_required'), true, 400);
    case 'captcha_wrong':
      return form(t('login.error.captcha_wrong'), true, 400);
    case 'invalid_credentials':
      return form(t('login.error.invalid'), result.captchaRequired, 401);
    case 'throttled':
      return form(
        t(device ? 'login.error.throttled' : 'login.error.throttled_unknown_device', {
          seconds: result.retryAfterSeconds,
          minutes: Math.ceil(result.retryAfterSeconds / 60),
        }),
        await captchaRequired(county, { tenant, username, ip: request.ip, device }),
        429,
        { 'retry-after': String(result.retryAfterSeconds) },
      );
    case 'overloaded':
      return form(
        t('error.overloaded', { seconds: result.retryAfterSeconds }),
        await captchaRequired(county, { tenant, username, ip: request.ip, device }),
        503,
        { 'retry-after': String(result.retryAfterSeconds) },
      );
    case 'inactive':
      return form(t(`login.error.state.${result.state}`), false, 403);
    case 'abandoned':
      // Nobody reads this answer (the connection is closed); 499 as proxies log it.
      return form(undefined, false, 499);
  }
}

/** Applies an outcome's status and headers to the reply (for a re-rendered form). */
export function applyOutcome(reply: FastifyReply, outcome: Extract<LoginOutcome, { kind: 'form' }>): void {
  reply.code(outcome.status).headers(outcome.headers);
}
