import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendCloudPage } from '../views.ts';
import { accountNameFromLogin, rememberDevice } from './password-check.ts';
import { checkResetLink, requestPasswordReset, resetPassword } from './password-reset.ts';
import { forgotMain, forgotSentMain, resetMain } from './password-reset-pages.ts';

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

/** Forgot password: a one-time link to the confirmed backup email, then a new password. */
export function passwordResetRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.get('/password/forgot', async (request, reply) => {
    const counties = await cloud.counties.list({ enabledOnly: true });
    return sendCloudPage(request, reply, {
      title: request.t('cloud.forgot.title'),
      main: forgotMain(request, counties),
    });
  });

  app.post('/password/forgot', async (request, reply) => {
    const typed = field(request.body, 'name').slice(0, 200);
    const name = accountNameFromLogin(typed, cloud.ctx.config.cloudMailDomain);
    await requestPasswordReset(cloud, { name, ip: request.ip, locale: request.locale });
    // The same answer whether or not the account exists or has a backup email.
    return sendCloudPage(request, reply, {
      title: request.t('cloud.forgot.title'),
      main: forgotSentMain(request),
    });
  });

  app.get('/password/reset', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string') throw new AppError('link_invalid', 400);
    await checkResetLink(cloud, token);
    return sendCloudPage(request, reply, {
      title: request.t('cloud.reset.title'),
      main: resetMain(request, token, []),
    });
  });

  app.post('/password/reset', async (request, reply) => {
    const token = field(request.body, 'token');
    const input = {
      password: field(request.body, 'password'),
      confirmation: field(request.body, 'password_confirm'),
    };
    const reset = await resetPassword(cloud, token, input, request.ip);
    if ('problems' in reset) {
      const main = resetMain(request, token, reset.problems);
      return sendCloudPage(request, reply, { title: request.t('cloud.reset.title'), status: 422, main });
    }
    request.session.destroy();
    // The browser that proved it reads the account's mailbox gets its device cookie: its sign-ins
    // draw on a budget of their own, so the owner gets in at once while the account is under attack.
    rememberDevice(cloud, request, reply, reset.account.name);
    return reply.redirect('/login?notice=cloud.reset.done', 303);
  });
}
