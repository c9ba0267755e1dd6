import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { recordAudit } from '../platform/audit/audit-log.ts';
import { AppError } from '../platform/errors/app-error.ts';
import type { RoleContext } from '../platform/runtime/role.ts';
import { requestActivation } from './activation/accounts.ts';
import type { WorkspaceTables } from './schema.ts';

type Ctx = RoleContext<WorkspaceTables>;

const USERNAME = /^[A-Za-z0-9._-]{1,64}$/;
const ACTOR = 'admin-api';

/**
 * The activation portal's admin API for `edugate workspace activate|retry|admins` (inside
 * `adminApi(...)`, so on the admin listener only):
 * - `POST /workspace/accounts/:username/activate`: 「啟用 G Suite for Education」 for a teacher, as the
 *   button does (one durable job; an account already queued or active is left as it is);
 * - `POST /workspace/accounts/:username/retry`: a failed or conflicting activation once more;
 * - `GET /workspace/admins`, `POST /workspace/admins` `{ username }`: who administers the portal
 *   (education cloud usernames; the portal's admin page is theirs).
 */
export function workspaceAdminRoutes(api: FastifyInstance, ctx: Ctx): void {
  const account = async (username: string) => {
    const row = await ctx.db
      .selectFrom('workspace_accounts')
      .select(['cloud_sub', 'cloud_username', 'state', 'cloud_state'])
      .where('cloud_username', '=', username)
      .executeTakeFirst();
    if (!row) throw new AppError('ws_unknown_account', 404, { username });
    if (row.cloud_state === 'suspended') throw new AppError('ws_suspended', 409, { username });
    return row;
  };
  const activate = async (sub: string, ip: string) => {
    const row = await requestActivation(ctx.db, sub, ACTOR, ip);
    return { username: row.cloud_username, google_email: row.google_email, state: row.state };
  };

  api.post<{ Params: { username: string } }>('/workspace/accounts/:username/activate', async (request) => {
    const row = await account(request.params.username);
    return activate(row.cloud_sub, request.ip);
  });
  api.post<{ Params: { username: string } }>('/workspace/accounts/:username/retry', async (request) => {
    const row = await account(request.params.username);
    if (row.state !== 'failed' && row.state !== 'conflict') {
      throw new AppError('ws_not_failed', 409, { username: row.cloud_username, state: row.state });
    }
    return activate(row.cloud_sub, request.ip);
  });

  api.get('/workspace/admins', async () => ({
    admins: (
      await ctx.db.selectFrom('workspace_admins').select('cloud_username').orderBy('cloud_username').execute()
    ).map((row) => row.cloud_username),
  }));
  api.post('/workspace/admins', async (request) => {
    const parsed = z.object({ username: z.string().trim().regex(USERNAME) }).safeParse(request.body);
    if (!parsed.success) throw new AppError('ws_bad_username', 400);
    const { username } = parsed.data;
    const added = await ctx.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto('workspace_admins')
        .values({ cloud_username: username })
        .onConflict((oc) => oc.column('cloud_username').doNothing())
        .returning('cloud_username')
        .executeTakeFirst();
      if (inserted) {
        await recordAudit(tx, {
          actor: ACTOR,
          action: 'workspace.admin.added',
          target: username,
          ip: request.ip,
        });
      }
      return Boolean(inserted);
    });
    return { username, added };
  });
}
