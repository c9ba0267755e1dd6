import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validatePassword } from '../../identity/index.ts';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { platformView } from '../../platform/database/platform-schema.ts';
import { AppError, rateLimited } from '../../platform/errors/app-error.ts';
import { queueMail } from '../../platform/mail/outbox.ts';
import type { CloudAccount } from '../account/accounts.ts';
import { backupEmailLink } from '../account/backup-email.ts';
import { accountNameFromLogin, checkCloudPassword, hashPassword } from '../account/password-check.ts';
import type { CloudTx } from '../db.ts';
import type { CloudServices } from '../services.ts';
import { signIn, signOut } from '../session.ts';
import { checkAccountName, suggestionsFor } from './account-name.ts';
import { flowOf, flowUrl } from './flow-access.ts';
import type { LoginFlow } from './flows.ts';
import {
  chooseNameScreen,
  consentScreen,
  doneScreen,
  linkScreen,
  noAccountScreen,
  passwordScreen,
  suggestedNameScreen,
} from './screens.ts';

const NAME_CHECK_SCRIPT = readFileSync(new URL('../assets/name-check.js', import.meta.url), 'utf8');
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Body = Record<string, unknown>;
const field = (body: unknown, name: string): string => {
  const value = (body as Body | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

async function countyName(services: CloudServices, code: string): Promise<string> {
  return (await services.counties.get(code))?.name ?? code;
}

/** Queues the mail that confirms a backup email, in the transaction that stored it. */
export async function queueBackupEmailMail(
  services: CloudServices,
  request: FastifyRequest,
  tx: CloudTx,
  account: CloudAccount,
  address: string,
): Promise<void> {
  const link = await backupEmailLink(services, account.id, address);
  await queueMail(platformView(tx), {
    to: address,
    subject: request.t('cloud.verify.mail_subject'),
    text: request.t('cloud.verify.mail_body', { address, email: services.emailOf(account), link }),
  });
}

/** Links the flow's county identity to `account` and signs in (the person proved the password). */
async function linkAndSignIn(
  services: CloudServices,
  request: FastifyRequest,
  reply: FastifyReply,
  flow: LoginFlow,
  account: CloudAccount,
) {
  if (account.state !== 'active') throw new AppError('cloud.account_suspended', 403);
  await services.db.transaction().execute(async (tx) => {
    if (flow.guidHash) await services.accounts.adoptGuidHash(account.id, flow.guidHash, tx);
    await services.accounts.link(
      account.id,
      { countyCode: flow.countyCode, issuer: flow.issuer, subject: flow.subject, snapshot: flow.snapshot },
      tx,
    );
    if (flow.snapshot.openid2Id)
      await services.accounts.addOpenid2Id(account.id, flow.snapshot.openid2Id, tx);
    if (
      !(await services.flows.advance(
        flow.id,
        ['link', 'no_account'],
        { state: 'done', accountId: account.id },
        tx,
      ))
    ) {
      throw new AppError('cloud.flow_expired', 410);
    }
    await recordAudit(platformView(tx), {
      actor: account.name,
      action: 'identity.linked',
      target: account.id,
      ip: request.ip,
      details: { county: flow.countyCode },
    });
  });
  await signIn(request, account, { amr: ['pwd', 'fed'], county: flow.countyCode });
  return reply.redirect(flow.returnTo ?? '/account', 303);
}

/**
 * The first login of a county identity (how-to section 二 (四)): 「很抱歉，您沒有教育雲端帳號！」 →
 * 「我要建立帳號」 → suggested name or 「我不喜歡上面的帳號」 → password and backup email → consent →
 * 「您的教育雲帳號已啟用成功」; or, when the person already has an account, linking it with its password.
 */
export function firstLoginRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.get('/assets/cloud/name-check.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .send(NAME_CHECK_SCRIPT),
  );

  app.get('/first-login', async (request, reply) => {
    const flow = await flowOf(request);
    switch (flow.state) {
      case 'no_account':
        return noAccountScreen(request, reply, flow);
      case 'choose_name': {
        const [suggestion] = await suggestionsFor(cloud, flow, 1);
        return suggestedNameScreen(request, reply, flow, suggestion);
      }
      case 'set_password':
        return passwordScreen(request, reply, flow, { problems: [] });
      case 'consent':
        return consentScreen(request, reply, flow);
      case 'link':
        return linkScreen(request, reply, flow, {
          countyName: await countyName(cloud, flow.countyCode),
          matched: flow.accountId !== null,
        });
      case 'done': {
        const account = flow.accountId ? await cloud.accounts.byId(flow.accountId) : undefined;
        if (!account) throw new AppError('cloud.flow_expired', 410);
        return doneScreen(request, reply, flow, account);
      }
    }
  });

  app.post('/first-login/create', async (request, reply) => {
    const flow = await flowOf(request);
    await cloud.flows.advance(flow.id, ['no_account'], { state: 'choose_name' });
    return reply.redirect(flowUrl(flow), 303);
  });

  app.get('/first-login/choose', async (request, reply) => {
    const flow = await flowOf(request);
    if (flow.state !== 'choose_name') return reply.redirect(flowUrl(flow), 303);
    return chooseNameScreen(request, reply, flow, {
      value: '',
      problems: [],
      suggestions: await suggestionsFor(cloud, flow, 5),
    });
  });

  app.get('/first-login/name-check', async (request, reply) => {
    const flow = await flowOf(request);
    const raw = (request.query as Record<string, unknown>).name;
    // Whether a name is taken tells that an account exists: a budget per client address.
    const wait = await cloud.addressThrottle.nameCheck.take([`ip:${request.ip}`]);
    if (wait > 0) throw rateLimited(wait);
    const check = await checkAccountName(cloud, typeof raw === 'string' ? raw : '');
    reply.header('cache-control', 'no-store');
    return {
      flow: flow.id,
      name: check.name,
      available: check.problems.length === 0,
      message:
        check.problems.length === 0
          ? request.t('cloud.first.name.available', { name: check.name })
          : check.problems.map((p) => request.t(p, { name: check.name })).join(' '),
      problems: check.problems,
    };
  });

  app.post('/first-login/name', async (request, reply) => {
    const flow = await flowOf(request);
    if (flow.state !== 'choose_name') return reply.redirect(flowUrl(flow), 303);
    const wait = await cloud.addressThrottle.nameCheck.take([`ip:${request.ip}`]);
    if (wait > 0) throw rateLimited(wait);
    const check = await checkAccountName(cloud, field(request.body, 'name'));
    if (check.problems.length > 0) {
      return chooseNameScreen(request, reply, flow, {
        value: check.name,
        problems: check.problems,
        suggestions: await suggestionsFor(cloud, flow, 5),
        status: 422,
      });
    }
    await cloud.flows.advance(flow.id, ['choose_name'], { state: 'set_password', chosenName: check.name });
    return reply.redirect(flowUrl(flow), 303);
  });

  app.post('/first-login/back', async (request, reply) => {
    const flow = await flowOf(request);
    await cloud.flows.advance(flow.id, ['set_password', 'consent'], { state: 'choose_name' });
    return reply.redirect(flowUrl(flow, '/first-login/choose'), 303);
  });

  app.post('/first-login/password', async (request, reply) => {
    const flow = await flowOf(request);
    if (flow.state !== 'set_password' || !flow.chosenName) return reply.redirect(flowUrl(flow), 303);
    const password = field(request.body, 'password');
    const email = field(request.body, 'email').trim().toLowerCase();
    const emailConfirm = field(request.body, 'email_confirm').trim().toLowerCase();
    const problems: string[] = validatePassword({
      password,
      confirmation: field(request.body, 'password_confirm'),
      username: flow.chosenName,
    }).map((v) => v.code);
    if (email !== '' || emailConfirm !== '') {
      if (!EMAIL.test(email) || email.length > 254) problems.push('email.invalid');
      else if (email !== emailConfirm) problems.push('email.mismatch');
      else if (email.endsWith(`@${cloud.ctx.config.cloudMailDomain.toLowerCase()}`))
        problems.push('email.own_domain');
    }
    if (problems.length > 0) return passwordScreen(request, reply, flow, { problems, email, status: 422 });
    const passwordHash = await hashPassword(cloud, password);
    await cloud.flows.advance(flow.id, ['set_password'], {
      state: 'consent',
      passwordHash,
      backupEmail: email === '' ? null : email,
    });
    return reply.redirect(flowUrl(flow), 303);
  });

  app.post('/first-login/consent', async (request, reply) => {
    const flow = await flowOf(request);
    if (flow.state !== 'consent' || !flow.chosenName || !flow.passwordHash)
      return reply.redirect(flowUrl(flow), 303);
    if (field(request.body, 'decision') !== 'accept') {
      await signOut(request);
      return reply.redirect('/login?notice=cloud.first.declined', 303);
    }
    const chosenName = flow.chosenName;
    const passwordHash = flow.passwordHash;
    let account: CloudAccount;
    try {
      account = await cloud.db.transaction().execute(async (tx) => {
        const created = await cloud.accounts.create(
          {
            name: chosenName,
            displayName: flow.snapshot.name ?? chosenName,
            familyName: flow.snapshot.familyName,
            givenName: flow.snapshot.givenName,
            passwordHash,
            pendingBackupEmail: flow.backupEmail,
            guidHash: flow.guidHash,
            openid2Ids: flow.snapshot.openid2Id ? [flow.snapshot.openid2Id] : [],
          },
          tx,
        );
        await cloud.accounts.link(
          created.id,
          {
            countyCode: flow.countyCode,
            issuer: flow.issuer,
            subject: flow.subject,
            snapshot: flow.snapshot,
          },
          tx,
        );
        if (
          !(await cloud.flows.advance(flow.id, ['consent'], { state: 'done', accountId: created.id }, tx))
        ) {
          throw new AppError('cloud.flow_expired', 410);
        }
        if (flow.backupEmail) await queueBackupEmailMail(cloud, request, tx, created, flow.backupEmail);
        await recordAudit(platformView(tx), {
          actor: created.name,
          action: 'account.created',
          target: created.id,
          ip: request.ip,
          details: { county: flow.countyCode },
        });
        return created;
      });
    } catch (error) {
      if (error instanceof AppError && error.code === 'cloud.name_taken') {
        // Someone took the name in the meantime: choose again.
        await cloud.flows.advance(flow.id, ['consent'], { state: 'choose_name' });
        return chooseNameScreen(request, reply, flow, {
          value: chosenName,
          problems: ['account_name.taken'],
          suggestions: await suggestionsFor(cloud, flow, 5),
          status: 409,
        });
      }
      throw error;
    }
    await signIn(request, account, { amr: ['fed'], county: flow.countyCode });
    return reply.redirect(flowUrl(flow), 303);
  });

  app.get('/first-login/link-existing', async (request, reply) => {
    const flow = await flowOf(request);
    if (flow.state !== 'no_account') return reply.redirect(flowUrl(flow), 303);
    return linkScreen(request, reply, flow, { countyName: await countyName(cloud, flow.countyCode) });
  });

  app.post('/first-login/link', async (request, reply) => {
    const flow = await flowOf(request);
    const county = await countyName(cloud, flow.countyCode);
    const password = field(request.body, 'password');
    if (flow.state === 'link' && flow.accountId) {
      const proposed = await cloud.accounts.byId(flow.accountId);
      if (!proposed) throw new AppError('cloud.flow_expired', 410);
      // Budgeted per county identity too: one person's tries at the account their number matched.
      const account = await checkCloudPassword(cloud, request, proposed.name, password, {
        throttle: cloud.linkThrottle,
        keys: [`identity:${flow.issuer}#${flow.subject}`],
      });
      if (!account) {
        await recordAudit(platformView(cloud.db), {
          actor: `${flow.countyCode}:${flow.snapshot.username ?? flow.subject}`,
          action: 'identity.link_failed',
          target: proposed.id,
          ip: request.ip,
          details: { county: flow.countyCode, subject: flow.subject },
        });
        return linkScreen(request, reply, flow, {
          countyName: county,
          matched: true,
          error: request.t('cloud.link.failed'),
          status: 401,
        });
      }
      return linkAndSignIn(cloud, request, reply, flow, account);
    }
    if (flow.state !== 'no_account') return reply.redirect(flowUrl(flow), 303);
    const typed = field(request.body, 'name').slice(0, 200);
    const name = accountNameFromLogin(typed, cloud.ctx.config.cloudMailDomain);
    const account = await checkCloudPassword(cloud, request, name, password);
    if (!account) {
      return linkScreen(request, reply, flow, {
        countyName: county,
        name: typed,
        error: request.t('cloud.login.failed'),
        status: 401,
      });
    }
    return linkAndSignIn(cloud, request, reply, flow, account);
  });
}
