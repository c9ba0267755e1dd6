import type { RoleContext } from '../../platform/runtime/role.ts';
import type { WorkspaceTables } from '../schema.ts';
import { createProvisioning } from './engine.ts';
import type { Db } from './provision-account.ts';
import { reconcile } from './reconcile.ts';

export type { Db };

/** Runs one reconcile pass now and returns its report. */
export async function reconcileAndReport(ctx: RoleContext<WorkspaceTables>) {
  const { deps } = createProvisioning(ctx);
  const id = await reconcile(deps(), {});
  return ctx.db
    .selectFrom('workspace_reconcile_reports')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}
