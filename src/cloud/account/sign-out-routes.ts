import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { currentCloudAccount, currentSessionId, requireCloudAccount } from '../session.ts';
import { sendCloudPage } from '../views.ts';
import { revokeDevice, revokeOtherDevices, signOutBrowser } from './sign-out.ts';
import { countyCameBack, nextInChain, readReport, replyCookies, wayBack } from './sign-out-chain.ts';
import { sessionsMain, signedOutMain } from './sign-out-pages.ts';

/** Sign-out, 「您已登出」, and 登入中的裝置 (the account's signed-in browsers, 登出其他裝置). */
export function signOutRoutes(app: FastifyInstance): void {
  const { cloud } = app;

  const logout = async (request: FastifyRequest, reply: FastifyReply) => {
    const onward = (request.query as Record<string, unknown>).continue;
    return reply.redirect(await signOutBrowser(cloud, request, reply, onward), 303);
  };
  app.post('/logout', logout);
  // The sign-out URL of Google's SSO profile: Google sends the browser here after its own sign-out.
  app.get('/logout', logout);

  app.get('/signed-out', async (request, reply) => {
    const report = readReport(request);
    const countyDone = countyCameBack(report, (request.query as Record<string, unknown>).state);
    const onward = report
      ? await nextInChain(cloud, report, countyDone, replyCookies(cloud, reply))
      : undefined;
    if (onward) return reply.redirect(onward, 303);
    const county = report?.county && countyDone ? report.county.name : undefined;
    const signedIn = await currentCloudAccount(request);
    const back = signedIn ? undefined : await wayBack(cloud, report);
    const view = { signedIn: signedIn ? cloud.emailOf(signedIn) : undefined, report, county, back };
    const title = request.t('cloud.signed_out.title');
    return sendCloudPage(request, reply, { title, main: signedOutMain(request, view) });
  });

  app.get('/account/sessions', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    const rows = await cloud.sessions.list(account.id);
    const counties = new Map((await cloud.counties.list()).map((c) => [c.code, c.name]));
    const view = { rows, current: currentSessionId(request), counties };
    const title = request.t('cloud.sessions.title');
    return sendCloudPage(request, reply, { title, account, main: sessionsMain(request, view) });
  });

  app.post<{ Params: { id: string } }>('/account/sessions/:id/revoke', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    await revokeDevice(cloud, account, request.params.id.slice(0, 100), request.ip);
    return reply.redirect('/account/sessions', 303);
  });

  app.post('/account/sessions/revoke-others', async (request, reply) => {
    const account = await requireCloudAccount(request, reply);
    if (!account) return reply;
    await revokeOtherDevices(cloud, account, currentSessionId(request), request.ip);
    return reply.redirect('/account/sessions', 303);
  });
}
