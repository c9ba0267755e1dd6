import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../platform/errors/app-error.ts';
import { adminApi } from '../platform/http/admin-api.ts';
import { createRoleApp, sendPage } from '../platform/http/role-app.ts';
import { sessions } from '../platform/http/sessions.ts';
import { pageTime } from '../platform/i18n/time.ts';
import { enqueueJob, listJobs, retryJob } from '../platform/jobs/queue.ts';
import { mountBackchannelLogout } from '../platform/oidc/index.ts';
import { dependencyChecks } from '../platform/runtime/boot.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { html, type SafeHtml } from '../platform/views/html.ts';
import { page } from '../platform/views/layout.ts';
import { rememberProfile, requestActivation, setCloudState } from './activation/accounts.ts';
import { mountCloudEvents } from './activation/cloud-events.ts';
import { CALLBACK_PATH, CloudLogin, cancelledByUser } from './activation/cloud-login.ts';
import { mountGoogleLookup } from './activation/google-lookup.ts';
import {
  BACKCHANNEL_LOGOUT_PATH,
  cloudLogoutReceiver,
  endSession,
  sessionLive,
  startSession,
} from './activation/sessions.ts';
import { workspaceAdminRoutes } from './admin-api.ts';
import { workspaceMessages } from './messages.ts';
import { ACTIVATE_JOB, RECONCILE_JOB, SYNC_JOB } from './provisioning/jobs.ts';
import type { AccountRow } from './provisioning/provision-account.ts';
import type { ActivationState, WorkspaceTables } from './schema.ts';

type Ctx = RoleContext<WorkspaceTables>;
const SUB_KEY = 'ws.sub';
const LOGIN_KEY = 'ws.login';
const SESSION_KEY = 'ws.session';
const PROGRESS_SCRIPT = `const s=document.querySelector('[data-state="queued"]');if(s)setTimeout(()=>location.reload(),1500);\n`;

/** Where a person signs in to Google: the stand-in's sign-in page, or Google's. */
function googleSignInUrl(ctx: Ctx): string {
  const standIn = ctx.config.googleRootUrl ?? (ctx.demo ? ctx.urls.google : undefined);
  return standIn ? `${standIn.replace(/\/+$/, '')}/` : 'https://accounts.google.com/';
}

async function currentAccount(ctx: Ctx, request: FastifyRequest): Promise<AccountRow | undefined> {
  const sub = request.session.get<string>(SUB_KEY);
  const id = request.session.get<string>(SESSION_KEY);
  if (!sub || !id) return undefined;
  // Signed out here, or by the cloud (back-channel logout).
  if (!(await sessionLive(ctx.db, id, sub))) return undefined;
  return ctx.db.selectFrom('workspace_accounts').selectAll().where('cloud_sub', '=', sub).executeTakeFirst();
}

function view(request: FastifyRequest, title: string, main: SafeHtml, signedIn: boolean) {
  const nav = signedIn
    ? html`<form method="post" action="/auth/logout" class="inline"><input type="hidden" name="_csrf" value="${request.session.csrfToken()}"><button type="submit" class="link">${request.t('ws.logout')}</button></form>`
    : html`<a href="/auth/login">${request.t('ws.login')}</a>`;
  return page(request, {
    title,
    brand: { name: request.t('ws.brand'), href: '/' },
    nav,
    main,
    tail: html`<script src="/assets/workspace/progress.js" defer></script>`,
  });
}

function statusBlock(ctx: Ctx, request: FastifyRequest, account: AccountRow): SafeHtml {
  const t = request.t;
  const email = account.google_email;
  const csrf = html`<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">`;
  const button = html`<form method="post" action="/activate">${csrf}
<p>${t('ws.activate.will_create', { email })}</p>
<button type="submit" id="activate">${t('ws.activate')}</button></form>`;
  if (account.cloud_state === 'suspended')
    return html`<div class="alert" role="alert"><p>${t('ws.state.suspended')}</p></div>`;
  switch (account.state) {
    case 'active':
      return html`<div class="success" role="status" data-state="active"><p id="google-address">${t('ws.state.active', { email })}</p></div>
<p><a class="button" id="google-signin" href="${googleSignInUrl(ctx)}">${t('ws.state.signin')}</a></p>`;
    case 'queued':
      return html`<div class="notice" role="status" data-state="queued"><p>${t('ws.state.queued', { email })}</p>
${account.last_error ? html`<p class="meta">${t('ws.state.retrying', { error: account.last_error })}</p>` : ''}</div>`;
    case 'conflict':
      return html`<div class="alert" role="alert" data-state="conflict"><p>${t('ws.state.conflict', { email })}</p></div>`;
    case 'failed':
      return html`<div class="alert" role="alert" data-state="failed"><p>${t('ws.state.failed', { error: account.last_error ?? '' })}</p></div>${button}`;
    default:
      return button;
  }
}

async function isAdmin(ctx: Ctx, account: AccountRow | undefined): Promise<boolean> {
  if (!account) return false;
  const row = await ctx.db
    .selectFrom('workspace_admins')
    .select('cloud_username')
    .where('cloud_username', '=', account.cloud_username)
    .executeTakeFirst();
  return Boolean(row);
}

const PROVISIONING_TYPES = [ACTIVATE_JOB, SYNC_JOB, RECONCILE_JOB];

async function jobsView(ctx: Ctx) {
  const jobs = (await listJobs(ctx.db, { limit: 200 })).filter((j) => PROVISIONING_TYPES.includes(j.type));
  return jobs.map((j) => ({
    id: j.id,
    type: j.type,
    subject:
      typeof j.payload.sub === 'string'
        ? j.payload.sub
        : typeof j.payload.day === 'string'
          ? j.payload.day
          : '',
    state: j.state,
    attempts: j.attempts,
    maxAttempts: j.max_attempts,
    lastError: j.last_error,
    runAt: new Date(j.run_at).toISOString(),
  }));
}

async function latestReport(ctx: Ctx) {
  return ctx.db
    .selectFrom('workspace_reconcile_reports')
    .selectAll()
    .orderBy('started_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

async function queueReconcileNow(ctx: Ctx) {
  await enqueueJob(ctx.db, RECONCILE_JOB, { day: null, reportId: null, after: '' });
}

export async function buildWorkspaceApp(ctx: Ctx): Promise<FastifyInstance> {
  const app = await createRoleApp({
    role: 'workspace',
    logger: ctx.log,
    catalogues: [workspaceMessages],
    readiness: dependencyChecks(ctx),
    brand: { name: workspaceMessages['zh-TW']['ws.brand'], href: '/' },
    trustProxy: ctx.config.trustProxy,
    secureCookies: ctx.config.secureCookies,
  });
  const login = new CloudLogin(ctx);
  const domain = ctx.config.workspaceDomain;

  await adminApi(app, ctx.secrets.adminToken, (api) => {
    api.get('/workspace/jobs', async () => ({ jobs: await jobsView(ctx) }));
    api.post('/workspace/jobs/:id/retry', async (request) => {
      if (!(await retryJob(ctx.db, (request.params as { id: string }).id)))
        throw new AppError('not_found', 404);
      return { retried: true };
    });
    api.get('/workspace/accounts', async (request) => ({
      accounts: await ctx.db
        .selectFrom('workspace_accounts')
        .select([
          'cloud_sub',
          'cloud_username',
          'google_email',
          'state',
          'cloud_state',
          'google_suspended',
          'org_unit_path',
          'last_error',
        ])
        .$if(typeof (request.query as { state?: unknown }).state === 'string', (q) =>
          q.where('state', '=', (request.query as { state: ActivationState }).state),
        )
        .orderBy('cloud_username')
        .execute(),
    }));
    api.post('/workspace/reconcile', async () => {
      await queueReconcileNow(ctx);
      return { queued: true };
    });
    api.get('/workspace/reconcile', async () => ({ report: (await latestReport(ctx)) ?? null }));
    // The cloud tells the portal that an account was suspended or reactivated (Google follows).
    api.post('/workspace/lifecycle', async (request) => {
      const body = (request.body ?? {}) as {
        username?: unknown;
        sub?: unknown;
        state?: unknown;
        reason?: unknown;
      };
      if (body.state !== 'active' && body.state !== 'suspended') throw new AppError('bad_request', 400);
      const row = await ctx.db
        .selectFrom('workspace_accounts')
        .select('cloud_sub')
        .where((eb) =>
          typeof body.sub === 'string'
            ? eb('cloud_sub', '=', body.sub)
            : eb('cloud_username', '=', String(body.username ?? '')),
        )
        .executeTakeFirst();
      if (!row) throw new AppError('not_found', 404);
      const changed = await setCloudState(
        ctx.db,
        row.cloud_sub,
        body.state,
        'admin-api',
        String(body.reason ?? ''),
      );
      return { changed };
    });
  });
  await adminApi(app, ctx.secrets.adminToken, (api) => workspaceAdminRoutes(api, ctx));
  // The same change pushed by the cloud as a security event (RFC 8935).
  await mountCloudEvents(app, ctx);
  // The cloud's questions about Google addresses (the SAML linking rule, free names).
  await mountGoogleLookup(app, ctx);
  // The cloud's back-channel logout (OpenID Connect Back-Channel Logout 1.0).
  await mountBackchannelLogout(app, BACKCHANNEL_LOGOUT_PATH, cloudLogoutReceiver(ctx));

  await app.register(async (site) => {
    await site.register(sessions, {
      store: ctx.sessionStore('workspace'),
      cookieName: 'edugate_workspace',
      secure: ctx.config.secureCookies,
    });

    site.get('/assets/workspace/progress.js', async (_request, reply) =>
      reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(PROGRESS_SCRIPT),
    );

    site.get('/', async (request, reply) => {
      const t = request.t;
      const account = await currentAccount(ctx, request);
      if (!account) {
        return sendPage(
          reply,
          view(
            request,
            t('ws.home.title'),
            html`<h1>${t('ws.home.title')}</h1><p>${t('ws.home.intro', { domain })}</p>
<p><a class="button" id="cloud-login" href="/auth/login">${t('ws.login')}</a></p>`,
            false,
          ),
        );
      }
      return sendPage(
        reply,
        view(
          request,
          t('ws.home.title'),
          html`<h1>${t('ws.home.title')}</h1>
<section aria-labelledby="me"><h2 id="me">${t('ws.account.title')}</h2>
<p id="cloud-account">${t('ws.account.cloud', { email: account.cloud_email })}</p>
<p>${t('ws.account.name', { name: account.display_name })}</p>
${account.school_code ? html`<p>${t('ws.account.school', { code: account.school_code })}</p>` : ''}
<p>${t('ws.account.ou', { path: account.org_unit_path })}</p></section>
${statusBlock(ctx, request, account)}
${(await isAdmin(ctx, account)) ? html`<p><a href="/admin">${t('ws.admin.title')}</a></p>` : ''}`,
          true,
        ),
      );
    });

    site.get('/auth/login', async (request, reply) => {
      const { url, check } = await login.start();
      request.session.set(LOGIN_KEY, check);
      return reply.redirect(url, 303);
    });

    site.get(CALLBACK_PATH, async (request, reply) => {
      const check = request.session.get<{ verifier: string; state: string; nonce: string }>(LOGIN_KEY);
      if (!check) return reply.redirect('/auth/login', 303);
      request.session.delete(LOGIN_KEY);
      let profile: Awaited<ReturnType<CloudLogin['finish']>>;
      try {
        profile = await login.finish(new URL(request.url, ctx.urls.workspace), check);
      } catch (error) {
        // The person's own cancel at the cloud (拒絕 on its consent) is no failure.
        if (cancelledByUser(error)) {
          const t = request.t;
          return sendPage(
            reply,
            view(
              request,
              t('ws.cancelled.title'),
              html`<h1>${t('ws.cancelled.title')}</h1><p role="status">${t('ws.cancelled.body')}</p>
<p><a class="button" href="/auth/login">${t('ws.cancelled.again')}</a></p>`,
              false,
            ),
          );
        }
        request.log.warn({ err: error }, 'cloud sign-in failed');
        throw new AppError('ws_login_failed', 400);
      }
      await rememberProfile(ctx.db, profile, domain);
      const id = await startSession(ctx.db, profile.sub, profile.sid);
      request.session.regenerate();
      request.session.set(SUB_KEY, profile.sub);
      request.session.set(SESSION_KEY, id);
      return reply.redirect('/', 303);
    });

    // Signing out here signs out of the education cloud and the whole chain: the browser goes on to
    // the cloud's sign-out URL, which ends with 「您已登出」.
    site.post('/auth/logout', async (request, reply) => {
      const id = request.session.get<string>(SESSION_KEY);
      if (id) await endSession(ctx.db, id);
      request.session.destroy();
      return reply.redirect(login.signOutUrl, 303);
    });

    site.post('/activate', async (request, reply) => {
      const account = await currentAccount(ctx, request);
      if (!account) return reply.redirect('/auth/login', 303);
      await requestActivation(ctx.db, account.cloud_sub, account.cloud_username, request.ip);
      return reply.redirect('/', 303);
    });

    const requireAdmin = async (request: FastifyRequest, reply: FastifyReply) => {
      const account = await currentAccount(ctx, request);
      if (!account) {
        await reply.redirect('/auth/login', 303);
        return undefined;
      }
      if (!(await isAdmin(ctx, account))) throw new AppError('ws_not_admin', 403);
      return account;
    };

    site.get('/admin', async (request, reply) => {
      if (!(await requireAdmin(request, reply))) return reply;
      const t = request.t;
      const jobs = await jobsView(ctx);
      const attention = await ctx.db
        .selectFrom('workspace_accounts')
        .selectAll()
        .where('state', 'in', ['conflict', 'failed'])
        .orderBy('updated_at', 'desc')
        .execute();
      const report = await latestReport(ctx);
      const csrf = html`<input type="hidden" name="_csrf" value="${request.session.csrfToken()}">`;
      const notice = (request.query as { notice?: string }).notice;
      return sendPage(
        reply,
        view(
          request,
          t('ws.admin.title'),
          html`<h1>${t('ws.admin.title')}</h1>
${notice === 'retried' || notice === 'reconcile_queued' ? html`<div class="notice" role="status"><p>${t(`ws.admin.${notice}`)}</p></div>` : ''}
<h2 id="jobs">${t('ws.admin.jobs')}</h2>
<table aria-labelledby="jobs"><thead><tr><th scope="col">${t('ws.admin.type')}</th><th scope="col">${t('ws.admin.subject')}</th><th scope="col">${t('ws.admin.state')}</th>
<th scope="col">${t('ws.admin.attempts')}</th><th scope="col">${t('ws.admin.error')}</th><th scope="col">${t('ws.admin.next')}</th><th scope="col"><span class="visually-hidden">${t('ws.admin.actions')}</span></th></tr></thead>
<tbody>${jobs.map(
            (
              j,
            ) => html`<tr><td>${t(`ws.admin.job.${j.type}`)}</td><td>${j.subject}</td><td>${t(`ws.admin.job_state.${j.state}`)}</td><td>${j.attempts} / ${j.maxAttempts}</td>
<td>${j.lastError ?? ''}</td><td>${j.state === 'queued' ? pageTime(request.locale, j.runAt) : ''}</td>
<td>${j.state === 'failed' ? html`<form method="post" action="/admin/jobs/${j.id}/retry">${csrf}<button type="submit">${t('ws.admin.retry')}</button></form>` : ''}</td></tr>`,
          )}</tbody></table>
<h2>${t('ws.admin.accounts')}</h2>
<ul>${attention.map((a) => html`<li>${a.google_email}（${t(`ws.admin.account_state.${a.state}`)}）：${a.last_error ?? ''}</li>`)}</ul>
<h2>${t('ws.admin.reconcile')}</h2>
${
  report
    ? html`<p>${t('ws.admin.report', { at: pageTime(request.locale, report.started_at), checked: report.checked, drift: report.drift.length })}</p>
<ul>${report.drift.map((d) => html`<li>${t('ws.admin.drift', { email: d.googleEmail, problem: d.problem, expected: d.expected, found: d.found })}</li>`)}</ul>`
    : html`<p>${t('ws.admin.no_report')}</p>`
}
<form method="post" action="/admin/reconcile">${csrf}<button type="submit">${t('ws.admin.reconcile_now')}</button></form>`,
          true,
        ),
      );
    });

    site.post('/admin/jobs/:id/retry', async (request, reply) => {
      if (!(await requireAdmin(request, reply))) return reply;
      if (!(await retryJob(ctx.db, (request.params as { id: string }).id)))
        throw new AppError('not_found', 404);
      return reply.redirect('/admin?notice=retried', 303);
    });
    site.post('/admin/reconcile', async (request, reply) => {
      if (!(await requireAdmin(request, reply))) return reply;
      await queueReconcileNow(ctx);
      return reply.redirect('/admin?notice=reconcile_queued', 303);
    });
  });
  return app;
}
