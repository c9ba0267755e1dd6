import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { AppError, rateLimited } from '../../platform/errors/app-error.ts';
import type { CloudServices } from '../services.ts';
import { signIn, signOut } from '../session.ts';
import { checkAccountName, suggestionsFor } from './account-name.ts';
import { choosePassword } from './choose-password.ts';
import { createCloudAccount } from './create-account.ts';
import { flowOf, flowUrl } from './flow-access.ts';
import { linkIdentity } from './link-identity.ts';
import { proveAccount } from './prove-account.ts';
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

type Body = Record<string, unknown>;
const field = (body: unknown, name: string): string => {
  const value = (body as Body | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

async function countyName(services: CloudServices, code: string): Promise<string> {
  return (await services.counties.get(code))?.name ?? code;
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
    await cloud.flows.take(flow.id, 'create');
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
    await cloud.flows.take(flow.id, 'name', { chosenName: check.name });
    return reply.redirect(flowUrl(flow), 303);
  });

  app.post('/first-login/back', async (request, reply) => {
    const flow = await flowOf(request);
    await cloud.flows.take(flow.id, 'back');
    return reply.redirect(flowUrl(flow, '/first-login/choose'), 303);
  });

  app.post('/first-login/password', async (request, reply) => {
    const flow = await flowOf(request);
    const { chosenName } = flow;
    if (flow.state !== 'set_password' || !chosenName) return reply.redirect(flowUrl(flow), 303);
    const chosen = await choosePassword(
      cloud,
      { ...flow, chosenName },
      {
        password: field(request.body, 'password'),
        confirmation: field(request.body, 'password_confirm'),
        email: field(request.body, 'email'),
        emailConfirm: field(request.body, 'email_confirm'),
      },
    );
    if (!chosen.ok) return passwordScreen(request, reply, flow, { ...chosen, status: 422 });
    return reply.redirect(flowUrl(flow), 303);
  });

  app.post('/first-login/consent', async (request, reply) => {
    const flow = await flowOf(request);
    const { chosenName, passwordHash } = flow;
    if (flow.state !== 'consent' || !chosenName || !passwordHash) return reply.redirect(flowUrl(flow), 303);
    if (field(request.body, 'decision') !== 'accept') {
      await signOut(request);
      return reply.redirect('/login?notice=cloud.first.declined', 303);
    }
    const created = await createCloudAccount(cloud, request, { ...flow, chosenName, passwordHash });
    if (!created.ok) {
      // Someone took the name in the meantime: choose again.
      return chooseNameScreen(request, reply, flow, {
        value: chosenName,
        problems: ['account_name.taken'],
        suggestions: await suggestionsFor(cloud, flow, 5),
        status: 409,
      });
    }
    await signIn(request, created.account, { amr: ['fed'], county: flow.countyCode });
    return reply.redirect(flowUrl(flow), 303);
  });

  app.get('/first-login/link-existing', async (request, reply) => {
    const flow = await flowOf(request);
    if (flow.state !== 'no_account') return reply.redirect(flowUrl(flow), 303);
    return linkScreen(request, reply, flow, { countyName: await countyName(cloud, flow.countyCode) });
  });

  app.post('/first-login/link', async (request, reply) => {
    const flow = await flowOf(request);
    if (flow.state !== 'no_account' && !(flow.state === 'link' && flow.accountId))
      return reply.redirect(flowUrl(flow), 303);
    const proof = await proveAccount(cloud, request, flow, {
      name: field(request.body, 'name'),
      password: field(request.body, 'password'),
    });
    if (!proof.ok) {
      const { ok: _, ...shown } = proof;
      const countyShown = await countyName(cloud, flow.countyCode);
      return linkScreen(request, reply, flow, { countyName: countyShown, ...shown, status: 401 });
    }
    await linkIdentity(cloud, flow, proof.account, request.ip);
    await signIn(request, proof.account, { amr: ['pwd', 'fed'], county: flow.countyCode });
    return reply.redirect(flow.returnTo ?? '/account', 303);
  });
}
