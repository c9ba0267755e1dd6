import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import { requestActivation, retryActivation, setCloudState } from '../activation/accounts.ts';
import { accountBySub, accountByUsername, listAccounts, listAdmins } from '../activation/repository.ts';
import { provisioningJobs, retryProvisioningJob } from '../provisioning/job-list.ts';
import type { AccountRow } from '../provisioning/provision-account.ts';
import { latestReconcileReport, queueReconcileNow } from '../provisioning/reconcile.ts';
import type { ActivationState, WorkspaceTables } from '../schema.ts';
import { addAdmin } from './admins.ts';

type Ctx = RoleContext<WorkspaceTables>;

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
const ACTOR = 'admin-api';

/**
 * The activation portal's admin API for `edugate workspace …` (inside `adminApi(...)`, so on the
 * admin listener only):
 * - `POST /workspace/accounts/:username/activate`: 「啟用 G Suite for Education」 for a teacher, as the
 *   button does (one durable job; an account already queued or active is left as it is);
 * - `POST /workspace/accounts/:username/retry`: a failed or conflicting activation once more (the
 *   activation table's `retry`);
 * - `GET /workspace/accounts[?state=…]`: the accounts and their activation;
 * - `GET /workspace/jobs`, `POST /workspace/jobs/:id/retry`: the provisioning jobs, a failed one again;
 * - `GET /workspace/reconcile` (the latest report), `POST /workspace/reconcile` (one now);
 * - `POST /workspace/lifecycle` `{ sub | username, state, reason }`: the cloud account was suspended
 *   or reactivated (Google follows);
 * - `GET /workspace/admins`, `POST /workspace/admins` `{ username }`: who administers the portal
 *   (education cloud usernames; the portal's admin page is theirs).
 */
export function workspaceAdminRoutes(api: FastifyInstance, ctx: Ctx): void {
  /** The account a command names, unless it is unknown or suspended by the cloud. */
  const account = async (username: string) => {
    const row = await accountByUsername(ctx.db, username);
    if (!row) throw new AppError('ws_unknown_account', 404, { username });
    if (row.cloud_state === 'suspended') throw new AppError('ws_suspended', 409, { username });
    return row;
  };
  const activation = (row: AccountRow) => ({
    username: row.cloud_username,
    google_email: row.google_email,
    state: row.state,
  });

  api.post<{ Params: { username: string } }>('/workspace/accounts/:username/activate', async (request) => {
    const row = await account(request.params.username);
    return activation(await requestActivation(ctx.db, row.cloud_sub, ACTOR, request.ip));
  });
  api.post<{ Params: { username: string } }>('/workspace/accounts/:username/retry', async (request) => {
    const row = await account(request.params.username);
    return activation(await retryActivation(ctx.db, row.cloud_sub, ACTOR, request.ip));
  });
  api.get('/workspace/accounts', async (request) => {
    const { state } = request.query as { state?: unknown };
    return {
      accounts: await listAccounts(
        ctx.db,
        typeof state === 'string' ? (state as ActivationState) : undefined,
      ),
    };
  });

  api.get('/workspace/jobs', async () => ({ jobs: await provisioningJobs(ctx.db) }));
  api.post('/workspace/jobs/:id/retry', async (request) => {
    await retryProvisioningJob(ctx.db, (request.params as { id: string }).id);
    return { retried: true };
  });

  api.post('/workspace/reconcile', async () => {
    await queueReconcileNow(ctx.db);
    return { queued: true };
  });
  api.get('/workspace/reconcile', async () => ({ report: (await latestReconcileReport(ctx.db)) ?? null }));

  // The cloud tells the portal that an account was suspended or reactivated (Google follows). The
  // same change comes pushed by the cloud as a security event (activation/cloud-events.ts).
  api.post('/workspace/lifecycle', async (request) => {
    const body = (request.body ?? {}) as {
      username?: unknown;
      sub?: unknown;
      state?: unknown;
      reason?: unknown;
    };
    if (body.state !== 'active' && body.state !== 'suspended') throw new AppError('bad_request', 400);
    const row =
      typeof body.sub === 'string'
        ? await accountBySub(ctx.db, body.sub)
        : await accountByUsername(ctx.db, String(body.username ?? ''));
    if (!row) throw new AppError('not_found', 404);
    const reason = String(body.reason ?? '');
    return { changed: await setCloudState(ctx.db, row.cloud_sub, body.state, ACTOR, reason) };
  });

  api.get('/workspace/admins', async () => ({ admins: await listAdmins(ctx.db) }));
  api.post('/workspace/admins', async (request) => {
    const parsed = z.object({ username: z.string().trim().regex(USERNAME) }).safeParse(request.body);
    if (!parsed.success) throw new AppError('ws_bad_username', 400);
    const { username } = parsed.data;
    return { username, added: await addAdmin(ctx.db, username, ACTOR, request.ip) };
  });
}
