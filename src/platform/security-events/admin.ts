import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { recordAudit } from '../audit/audit-log.ts';
import type { PlatformTables } from '../database/platform-schema.ts';
import { AppError } from '../errors/app-error.ts';
import { listJobs, retryJob } from '../jobs/queue.ts';
import { ReceiverRegistry } from './registry.ts';
import { DELIVER_SECURITY_EVENT_JOB } from './transmitter.ts';

export interface SecurityEventAdminOptions<DB> {
  db: Kysely<DB>;
  /** Whether the role has this transmitting issuer (a county code; `default` for the cloud). */
  tenantExists(tenant: string): Promise<boolean>;
}

/**
 * The transmitter's admin API for the CLI (`edugate events …`), registered inside `adminApi(...)`:
 * - `GET /security-events/receivers[?tenant=T]`
 * - `POST /security-events/receivers` `{tenant, url, audience, enabled?}` (same tenant + URL: updated)
 * - `POST /security-events/receivers/:id/enable|disable`, `DELETE /security-events/receivers/:id`
 * - `GET /security-events/deliveries[?state=queued|running|done|failed]` (the outbox jobs)
 * - `POST /security-events/deliveries/:id/retry` (a failed delivery goes back to the queue)
 */
export function securityEventAdminRoutes<DB>(
  api: FastifyInstance,
  options: SecurityEventAdminOptions<DB>,
): void {
  const registry = new ReceiverRegistry(options.db);
  const platform = options.db as unknown as Kysely<PlatformTables>;
  const audit = (action: string, target: string, tenant: string, details: Record<string, unknown> = {}) =>
    recordAudit(platform, { tenant, actor: 'admin-cli', action, target, details });

  api.get('/security-events/receivers', async (request) => {
    const { tenant } = (request.query ?? {}) as { tenant?: unknown };
    return { receivers: await registry.list(typeof tenant === 'string' && tenant ? tenant : undefined) };
  });

  api.post('/security-events/receivers', async (request) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const tenant = typeof body.tenant === 'string' ? body.tenant.trim() : '';
    if (!(await options.tenantExists(tenant))) throw new AppError('not_found', 404);
    const receiver = await registry.save({
      tenant,
      url: String(body.url ?? ''),
      audience: String(body.audience ?? ''),
      enabled: body.enabled !== false,
    });
    await audit('security_events.receiver_saved', receiver.id, tenant, {
      url: receiver.url,
      audience: receiver.audience,
      enabled: receiver.enabled,
    });
    return { receiver };
  });

  api.post<{ Params: { id: string; action: string } }>(
    '/security-events/receivers/:id/:action',
    async (request) => {
      const { id, action } = request.params;
      if (action !== 'enable' && action !== 'disable') throw new AppError('not_found', 404);
      const receiver = await registry.setEnabled(id, action === 'enable');
      if (!receiver) throw new AppError('not_found', 404);
      await audit(`security_events.receiver_${action}d`, receiver.id, receiver.tenant, { url: receiver.url });
      return { receiver };
    },
  );

  api.delete<{ Params: { id: string } }>('/security-events/receivers/:id', async (request) => {
    const receiver = await registry.get(request.params.id);
    if (!receiver || !(await registry.remove(receiver.id))) throw new AppError('not_found', 404);
    await audit('security_events.receiver_removed', receiver.id, receiver.tenant, { url: receiver.url });
    return { removed: receiver.id };
  });

  api.get('/security-events/deliveries', async (request) => {
    const { state } = (request.query ?? {}) as { state?: unknown };
    const jobs = await listJobs(platform, {
      type: DELIVER_SECURITY_EVENT_JOB,
      ...(typeof state === 'string' && ['queued', 'running', 'done', 'failed'].includes(state)
        ? { state }
        : {}),
      limit: 200,
    });
    return {
      deliveries: jobs.map((job) => ({
        id: job.id,
        receiver: job.payload.receiverId,
        tenant: job.payload.tenant,
        subject: job.payload.subject,
        events: Object.keys((job.payload.events ?? {}) as Record<string, unknown>),
        txn: job.payload.txn,
        state: job.state,
        attempts: job.attempts,
        lastError: job.last_error,
        runAt: new Date(job.run_at).toISOString(),
      })),
    };
  });

  api.post<{ Params: { id: string } }>('/security-events/deliveries/:id/retry', async (request) => {
    const id = request.params.id;
    const job = /^[0-9a-f-]{36}$/i.test(id)
      ? await platform.selectFrom('jobs').select('type').where('id', '=', id).executeTakeFirst()
      : undefined;
    if (job?.type !== DELIVER_SECURITY_EVENT_JOB || !(await retryJob(platform, id))) {
      throw new AppError('not_found', 404);
    }
    return { retried: id };
  });
}
