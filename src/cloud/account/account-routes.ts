import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import {
  cloudAuthentication,
  currentCloudAccount,
  currentSessionId,
  requireCloudAccount,
} from '../session.ts';
import { sendCloudPage } from '../views.ts';
import { type AccountView, accountMain, backupVerifiedMain, unlinkConfirmMain } from './account-pages.ts';
import { revokeApplication, unlinkIdentity } from './account-steps.ts';
import type { CloudAccount } from './accounts.ts';
import { confirmBackupEmail, requestBackupEmail } from './backup-email.ts';
import { changeCloudPassword } from './change-password.ts';
import { revokeEverywhere } from './sign-out.ts';

/** How long a fresh county sign-in lets the person set a new cloud password without the old one. */
const COUNTY_RECOVERY_MS = 10 * 60_000;

/**
 * Whether this session signed in through a county moments ago, with credentials the county
 * checked then (its `auth_time`): the county proved the person, who may set a new cloud password
 * without the forgotten one (the forgot-password page sends teachers without a backup email here).
 */
export function recoveredByCounty(request: FastifyRequest): boolean {
  const auth = cloudAuthentication(request);
  if (!auth?.amr.includes('fed') || auth.at === undefined) return false;
  const now = Date.now();
  return now - auth.at < COUNTY_RECOVERY_MS && now - auth.time * 1000 < COUNTY_RECOVERY_MS;
}

function field(body: unknown, name: string): string {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}

type Shown = Pick<AccountView, 'message' | 'passwordProblems' | 'emailProblems'> & { status?: number };

/** The account page: the account, linked county identities, authorized applications, password, backup email. */
export function accountRoutes(app: FastifyInstance): void {
  const { cloud } = app;
  const countyNames = async () => new Map((await cloud.counties.list()).map((c) => [c.code, c.name]));

  const showAccount = async (
    request: FastifyRequest,
    reply: FastifyReply,
    account: CloudAccount,
    shown: Shown = {},
  ) => {
    const view: AccountView = {
      account,
      email: cloud.emailOf(account),
      identities: await cloud.accounts.identities(account.id),
      counties: await countyNames(),
      apps: cloud.grants ? await cloud.grants.list(account.id) : [],
      recovering: account.hasPassword && recoveredByCounty(request),
      ...shown,
    };
    const title = request.t('cloud.account.title');
    return sendCloudPage(request, reply, {
      title,
      account,
      status: shown.status,
      main: accountMain(request, view),
    });
  };

  app.get('/account', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    return showAccount(request, reply, account);
  });

  app.post<{ Params: { id: string } }>('/account/identities/:id/unlink', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const identities = await cloud.accounts.identities(account.id);
    const identity = identities.find((i) => i.id === request.params.id);
    // The only county account: unlinking it changes how the person signs in, so it is confirmed.
    if (identity && identities.length === 1 && field(request.body, 'confirm') !== 'yes') {
      const county = (await countyNames()).get(identity.countyCode) ?? identity.countyCode;
      const main = unlinkConfirmMain(request, { identity, county, email: cloud.emailOf(account) });
      return sendCloudPage(request, reply, {
        title: request.t('cloud.account.unlink_confirm.title'),
        account,
        main,
      });
    }
    await unlinkIdentity(cloud, account, request.params.id, request.ip);
    return reply.redirect('/account?notice=cloud.account.unlinked', 303);
  });

  app.post('/account/password', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const input = {
      current: field(request.body, 'current'),
      password: field(request.body, 'password'),
      confirmation: field(request.body, 'password_confirm'),
    };
    const refused = await changeCloudPassword(cloud, request, account, input, recoveredByCounty(request));
    if (refused)
      return showAccount(request, reply, account, {
        passwordProblems: refused.problems,
        status: refused.status,
      });
    // The other browsers are signed out; every OIDC session, grant and token of the account ends.
    await revokeEverywhere(cloud, account.id, currentSessionId(request));
    request.session.regenerate();
    return reply.redirect('/account?notice=cloud.account.password_changed', 303);
  });

  app.post('/account/backup-email', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const email = field(request.body, 'email').trim().toLowerCase();
    const confirmation = field(request.body, 'email_confirm').trim().toLowerCase();
    const problems = await requestBackupEmail(cloud, request, account, { email, confirmation });
    if (problems.length > 0)
      return showAccount(request, reply, account, { emailProblems: problems, status: 422 });
    const updated = (await cloud.accounts.byId(account.id)) ?? account;
    return showAccount(request, reply, updated, {
      message: request.t('cloud.account.backup_sent', { email }),
    });
  });

  app.get('/account/backup-email/verify', async (request, reply) => {
    const token = (request.query as Record<string, unknown>).token;
    if (typeof token !== 'string') throw new AppError('link_invalid', 400);
    const confirmed = await confirmBackupEmail(cloud, token, request.ip);
    const signedIn = await currentCloudAccount(request);
    if (signedIn?.id === confirmed.accountId) {
      return reply.redirect('/account?notice=cloud.account.backup_verified', 303);
    }
    // Opened in a mail program or another browser: the answer is here, not behind a sign-in.
    const title = request.t('cloud.account.backup_verified');
    return sendCloudPage(request, reply, { title, main: backupVerifiedMain(request, confirmed.email) });
  });

  app.post('/account/apps/revoke', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    await revokeApplication(cloud, account, field(request.body, 'client_id'), request.ip);
    return reply.redirect('/account?notice=cloud.account.revoked', 303);
  });
}
