import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../platform/audit/audit-log.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { safeReturnTo } from '../../platform/http/return-to.ts';
import { html } from '../../platform/views/html.ts';
import type { CloudServices } from '../services.ts';
import { rememberCountyLogin, signIn } from '../session.ts';
import { sendCloudPage } from '../views.ts';
import type { CountyLoginResult, PendingCountyLogin } from './county-broker.ts';

const PENDING_KEY = 'cloud.countyLogins';
const FLOW_KEY = 'cloud.flow';
/** Logins started in other tabs stay valid; older ones are dropped. */
const MAX_PENDING = 5;
const PENDING_TTL_MS = 15 * 60 * 1000;

/** The first-login flow this browser is walking, if any. */
export function sessionFlowId(request: FastifyRequest): string | undefined {
  return request.session.get<string>(FLOW_KEY);
}

export function setSessionFlow(request: FastifyRequest, flowId: string | undefined): void {
  request.session.set(FLOW_KEY, flowId);
}

/**
 * Signs in a county identity that is linked already: refreshes the cloud's copy of the person's
 * schools and titles, then starts the cloud session.
 */
async function signInLinked(
  services: CloudServices,
  request: FastifyRequest,
  result: CountyLoginResult,
  accountId: string,
): Promise<void> {
  const account = await services.accounts.byId(accountId);
  if (!account) throw new AppError('cloud.callback_unknown', 400);
  if (account.state !== 'active') throw new AppError('cloud.account_suspended', 403);
  await services.db.transaction().execute(async (tx) => {
    await services.accounts.refreshIdentity(result.issuer, result.subject, result.snapshot, tx);
    if (result.snapshot.openid2Id)
      await services.accounts.addOpenid2Id(account.id, result.snapshot.openid2Id, tx);
    await recordAudit(tx, {
      actor: account.name,
      action: 'login.succeeded',
      ip: request.ip,
      details: { via: 'county', county: result.connection.code },
    });
  });
  // Apart from the sign-in's transaction: a national ID that another cloud account holds already
  // fails this statement, which must not undo (or, on PostgreSQL, abort) the sign-in. The person
  // still signs in with the identity linked to this account; the other account is left as it is.
  if (result.guid && !account.guidHash) {
    await services.accounts.adoptGuidHash(account.id, services.guidHash(result.guid)).catch((error) => {
      if (!(error instanceof AppError && error.code === 'cloud.link_other_person')) throw error;
      request.log.warn({ account: account.id }, 'county guid belongs to another cloud account');
    });
  }
  await signIn(request, account, { amr: ['fed'], county: result.connection.code, time: result.authTime });
}

/**
 * The person cancelled at the county (its sign-in page's cancel, 拒絕 on its consent): nothing
 * went wrong, so a calm page with the way to sign in again.
 */
function cancelledPage(
  request: FastifyRequest,
  reply: FastifyReply,
  pending: PendingCountyLogin,
  county: string,
) {
  const t = request.t;
  const again = `/login/county/${encodeURIComponent(pending.county)}?return_to=${encodeURIComponent(pending.returnTo)}`;
  return sendCloudPage(request, reply, {
    title: t('cloud.county_cancelled.title'),
    main: html`<h1>${t('cloud.county_cancelled.title')}</h1>
<p role="status">${t('cloud.county_cancelled.body', { county })}</p>
<p><a class="button" href="${again}">${t('cloud.county_cancelled.again')}</a> <a href="/login">${t('cloud.county_cancelled.other')}</a></p>`,
  });
}

/** `/login/county/:code` sends the browser to the county; `/cncreturnpage` is where it comes back. */
export function countyLoginRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  app.get<{ Params: { code: string } }>('/login/county/:code', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const returnTo = safeReturnTo(query.return_to, { fallback: '/account' });
    // `reauth`: a client of the cloud asked for fresh credentials; the county is asked for them too.
    const { url, pending } = await cloud.broker.start(request.params.code, returnTo, {
      forceLogin: query.reauth === '1',
    });
    const now = Date.now();
    const kept = (request.session.get<PendingCountyLogin[]>(PENDING_KEY) ?? []).filter(
      (p) => now - p.createdAt < PENDING_TTL_MS,
    );
    request.session.set(PENDING_KEY, [...kept, pending].slice(-MAX_PENDING));
    return reply.redirect(url, 303);
  });

  app.get('/cncreturnpage', async (request: FastifyRequest, reply: FastifyReply) => {
    const pending = takePending(request);
    const search = new URL(request.url, 'http://local.invalid').search;
    let result: CountyLoginResult;
    try {
      result = await cloud.broker.finish(pending, search);
    } catch (error) {
      if (error instanceof AppError && error.code === 'cloud.county_cancelled') {
        return cancelledPage(request, reply, pending, String(error.params.county ?? ''));
      }
      throw error;
    }
    rememberCountyLogin(request, {
      code: result.connection.code,
      idToken: result.idToken,
      sid: result.sid,
      sub: result.subject,
    });
    const linked = await cloud.accounts.identity(result.issuer, result.subject);
    if (linked) {
      await signInLinked(cloud, request, result, linked.accountId);
      return reply.redirect(pending.returnTo, 303);
    }
    const flowId = await startFirstLogin(cloud, request, result, pending.returnTo);
    setSessionFlow(request, flowId);
    return reply.redirect(`/first-login?flow=${encodeURIComponent(flowId)}`, 303);
  });
}

/** The county login the callback's `state` names, used up before anything else: a replayed or forged callback finds nothing. */
function takePending(request: FastifyRequest): PendingCountyLogin {
  const query = request.query as Record<string, unknown>;
  const state = typeof query.state === 'string' ? query.state : '';
  const all = request.session.get<PendingCountyLogin[]>(PENDING_KEY) ?? [];
  const pending = all.find((p) => p.state === state && Date.now() - p.createdAt < PENDING_TTL_MS);
  request.session.set(
    PENDING_KEY,
    all.filter((p) => p.state !== state),
  );
  if (!pending) throw new AppError('cloud.callback_unknown', 400);
  return pending;
}

/**
 * A county identity the cloud does not know yet starts the first-login flow: linking an account
 * whose national ID matched (it waits for that account's password), or creating one.
 */
async function startFirstLogin(
  cloud: CloudServices,
  request: FastifyRequest,
  result: CountyLoginResult,
  returnTo: string,
): Promise<string> {
  const guidHash = result.guid ? cloud.guidHash(result.guid) : null;
  const existing = guidHash ? await cloud.accounts.byGuidHash(guidHash) : undefined;
  const flow = await cloud.flows.create({
    state: existing ? 'link' : 'no_account',
    countyCode: result.connection.code,
    issuer: result.issuer,
    subject: result.subject,
    snapshot: result.snapshot,
    guidHash,
    accountId: existing?.id ?? null,
    returnTo,
  });
  if (existing) {
    await recordAudit(cloud.db, {
      actor: `${result.connection.code}:${result.snapshot.username ?? result.subject}`,
      action: 'identity.link_offered',
      target: existing.id,
      ip: request.ip,
      details: { county: result.connection.code, subject: result.subject },
    });
  }
  return flow.id;
}
