import type { FastifyInstance } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import type { WorkspaceTables } from '../schema.ts';
import { requestActivation } from './accounts.ts';
import { CALLBACK_PATH, type CloudLogin, cancelledByUser } from './cloud-login.ts';
import { accountPage, cancelledPage, welcomePage } from './pages.ts';
import {
  currentAccount,
  enterPortal,
  keepLoginCheck,
  portalSessionId,
  takeLoginCheck,
} from './portal-session.ts';
import { isAdmin } from './repository.ts';
import { endSession } from './sessions.ts';
import { recordSignIn } from './sign-in.ts';

type Ctx = RoleContext<WorkspaceTables>;

const PROGRESS_SCRIPT = `const s=document.querySelector('[data-state="queued"]');if(s)setTimeout(()=>location.reload(),1500);\n`;

/** Where a person signs in to Google: the stand-in's sign-in page, or Google's. */
function googleSignInUrl(ctx: Ctx): string {
  const standIn = ctx.config.googleRootUrl ?? (ctx.demo ? ctx.urls.google : undefined);
  return standIn ? `${standIn.replace(/\/+$/, '')}/` : 'https://accounts.google.com/';
}

/**
 * The activation portal (how-to section 三): sign in with the education cloud, see the account,
 * press 「啟用 G Suite for Education」 and follow the activation until Google has the account.
 */
export function activationRoutes(site: FastifyInstance, ctx: Ctx, login: CloudLogin): void {
  const domain = ctx.config.workspaceDomain;

  site.get('/assets/workspace/progress.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(PROGRESS_SCRIPT),
  );

  site.get('/', async (request, reply) => {
    const account = await currentAccount(ctx.db, request);
    if (!account) return sendPage(reply, welcomePage(request, domain));
    const admin = await isAdmin(ctx.db, account.cloud_username);
    return sendPage(reply, accountPage(request, { account, googleSignIn: googleSignInUrl(ctx), admin }));
  });

  site.get('/auth/login', async (request, reply) => {
    const { url, check } = await login.start();
    keepLoginCheck(request, check);
    return reply.redirect(url, 303);
  });

  site.get(CALLBACK_PATH, async (request, reply) => {
    const check = takeLoginCheck(request);
    if (!check) return reply.redirect('/auth/login', 303);
    let profile: Awaited<ReturnType<CloudLogin['finish']>>;
    try {
      profile = await login.finish(new URL(request.url, ctx.urls.workspace), check);
    } catch (error) {
      // The person's own cancel at the cloud (拒絕 on its consent) is no failure.
      if (cancelledByUser(error)) return sendPage(reply, cancelledPage(request));
      request.log.warn({ err: error }, 'cloud sign-in failed');
      throw new AppError('ws_login_failed', 400);
    }
    const sessionId = await recordSignIn(ctx.db, profile, domain);
    enterPortal(request, profile.sub, sessionId);
    return reply.redirect('/', 303);
  });

  // Signing out here signs out of the education cloud and the whole chain: the browser goes on to
  // the cloud's sign-out URL, which ends with 「您已登出」.
  site.post('/auth/logout', async (request, reply) => {
    const id = portalSessionId(request);
    if (id) await endSession(ctx.db, id);
    request.session.destroy();
    return reply.redirect(login.signOutUrl, 303);
  });

  site.post('/activate', async (request, reply) => {
    const account = await currentAccount(ctx.db, request);
    if (!account) return reply.redirect('/auth/login', 303);
    await requestActivation(ctx.db, account.cloud_sub, account.cloud_username, request.ip);
    return reply.redirect('/', 303);
  });
}
