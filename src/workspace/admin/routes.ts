import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendPage } from '../../platform/http/role-app.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import { currentAccount } from '../activation/portal-session.ts';
import { accountsNeedingAttention, isAdmin } from '../activation/repository.ts';
import { provisioningJobs, retryProvisioningJob } from '../provisioning/job-list.ts';
import { latestReconcileReport, queueReconcileNow } from '../provisioning/reconcile.ts';
import type { WorkspaceTables } from '../schema.ts';
import { adminPage } from './pages.ts';

type Ctx = RoleContext<WorkspaceTables>;

/** The portal's admin page (its administrators: education cloud usernames in `workspace_admins`). */
export function adminRoutes(site: FastifyInstance, ctx: Ctx): void {
  /** The signed-in administrator; a visitor signs in first, anyone else is refused. */
  const requireAdmin = async (request: FastifyRequest, reply: FastifyReply) => {
    const account = await currentAccount(ctx.db, request);
    if (!account) {
      await reply.redirect('/auth/login', 303);
      return undefined;
    }
    if (!(await isAdmin(ctx.db, account.cloud_username))) throw new AppError('ws_not_admin', 403);
    return account;
  };

  site.get('/admin', async (request, reply) => {
    if (!(await requireAdmin(request, reply))) return reply;
    const jobs = await provisioningJobs(ctx.db);
    const attention = await accountsNeedingAttention(ctx.db);
    const report = await latestReconcileReport(ctx.db);
    const notice = (request.query as { notice?: unknown }).notice;
    return sendPage(reply, adminPage(request, { jobs, attention, report, notice }));
  });

  site.post('/admin/jobs/:id/retry', async (request, reply) => {
    if (!(await requireAdmin(request, reply))) return reply;
    await retryProvisioningJob(ctx.db, (request.params as { id: string }).id);
    return reply.redirect('/admin?notice=retried', 303);
  });

  site.post('/admin/reconcile', async (request, reply) => {
    if (!(await requireAdmin(request, reply))) return reply;
    await queueReconcileNow(ctx.db);
    return reply.redirect('/admin?notice=reconcile_queued', 303);
  });
}
