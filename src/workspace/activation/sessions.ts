import { randomBytes } from 'node:crypto';
import { DEMO_CLIENTS } from '../../platform/federation/clients.ts';
import { BackchannelLogoutReceiver } from '../../platform/oidc/index.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import type { Db } from '../provisioning/provision-account.ts';
import type { WorkspaceTables } from '../schema.ts';

/** Starts the row of a browser signed in through the cloud; its id goes in the portal session. */
export async function startSession(db: Db, sub: string, sid: string | null): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  await db.insertInto('workspace_sessions').values({ id, cloud_sub: sub, cloud_sid: sid }).execute();
  return id;
}

/** Whether the row `id` of `sub` is live (not signed out here or by the cloud). */
export async function sessionLive(db: Db, id: string, sub: string): Promise<boolean> {
  const row = await db
    .selectFrom('workspace_sessions')
    .select('revoked_at')
    .where('id', '=', id)
    .where('cloud_sub', '=', sub)
    .executeTakeFirst();
  return row !== undefined && row.revoked_at === null;
}

export async function endSession(db: Db, id: string): Promise<void> {
  await db.updateTable('workspace_sessions').set({ revoked_at: new Date() }).where('id', '=', id).execute();
}

/** Where the cloud posts its logout tokens. */
export const BACKCHANNEL_LOGOUT_PATH = DEMO_CLIENTS.workspaceAtCloud.backchannelLogoutPath;

/**
 * The portal's back-channel logout endpoint: a logout token from the education cloud (the issuer
 * the portal signs in with, addressed to the portal's client id) ends the portal sessions of that
 * cloud session (`sid`), or of the person (`sub`) when it names no session.
 */
export function cloudLogoutReceiver(ctx: RoleContext<WorkspaceTables>) {
  const issuer = ctx.urls.cloud.replace(/\/+$/, '');
  const audience = ctx.config.workspaceClientId ?? DEMO_CLIENTS.workspaceAtCloud.clientId;
  return new BackchannelLogoutReceiver({
    db: ctx.db,
    log: ctx.log.child({ receiver: 'cloud-logout' }),
    issuer: async (iss) =>
      iss.replace(/\/+$/, '') === issuer
        ? { issuer, audience, jwksUri: `${issuer}/oidc/v1/jwksets` }
        : undefined,
    async handle(tx, logout) {
      let q = tx
        .updateTable('workspace_sessions')
        .set({ revoked_at: new Date() })
        .where('revoked_at', 'is', null);
      if (logout.sid) q = q.where('cloud_sid', '=', logout.sid);
      if (logout.sub) q = q.where('cloud_sub', '=', logout.sub);
      const ended = await q.executeTakeFirst();
      ctx.log.info({ sessions: Number(ended.numUpdatedRows) }, 'cloud back-channel logout');
      return undefined;
    },
  });
}
