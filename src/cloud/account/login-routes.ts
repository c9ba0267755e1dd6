import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { safeReturnTo } from '../../platform/http/return-to.ts';
import { SOLUTION_FIELD } from '../../platform/security/proof-of-work.ts';
import { currentCloudAccount } from '../session.ts';
import { sendCloudPage } from '../views.ts';
import { type LoginView, loginMain } from './login-page.ts';
import { accountNameFromLogin } from './password-check.ts';
import { passwordSignIn } from './password-sign-in.ts';

interface LoginBody {
  name?: string;
  password?: string;
  return_to?: string;
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, 4096) : '';
}

type Shown = Pick<LoginView, 'returnTo' | 'reauth' | 'name' | 'error'> & {
  status?: number;
  challenge?: boolean;
};

/** The cloud login page: cloud account + password, or 「縣市帳號登入」 with the county list. */
export function loginRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  const showLogin = async (request: FastifyRequest, reply: FastifyReply, shown: Shown) => {
    const view: LoginView = {
      ...shown,
      domain: cloud.ctx.config.cloudMailDomain,
      counties: await cloud.counties.list({ enabledOnly: true }),
      challenge: shown.challenge ? await cloud.signInGuard.challenge() : undefined,
    };
    const title = request.t('cloud.login.title');
    return sendCloudPage(request, reply, { title, status: shown.status, main: loginMain(request, view) });
  };

  app.get('/login', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const returnTo = safeReturnTo(query.return_to, { fallback: '/account' });
    // `reauth`: a client asked for a fresh sign-in (prompt=login, max_age), so no shortcut.
    const reauth = query.reauth === '1';
    if (!reauth && (await currentCloudAccount(request))) return reply.redirect(returnTo, 303);
    const challenge = await cloud.signInGuard.challengeNeeded({ ip: request.ip });
    return showLogin(request, reply, { returnTo, reauth, challenge });
  });

  app.post<{ Body: LoginBody }>('/login', async (request, reply) => {
    const body = request.body ?? {};
    const returnTo = safeReturnTo(body.return_to, { fallback: '/account' });
    const typed = typeof body.name === 'string' ? body.name.slice(0, 200) : '';
    const name = accountNameFromLogin(typed, cloud.ctx.config.cloudMailDomain);
    const password = typeof body.password === 'string' ? body.password : '';
    const input = { name, password, solution: field(body, SOLUTION_FIELD) };
    const refused = await passwordSignIn(cloud, request, reply, input);
    if (!refused) return reply.redirect(returnTo, 303);
    if (refused.retryAfter !== undefined) reply.header('retry-after', String(refused.retryAfter));
    const error = request.t(refused.key, refused.vars);
    return showLogin(request, reply, {
      returnTo,
      name: typed,
      error,
      status: refused.status,
      challenge: refused.challenge,
    });
  });
}
