import { DEMO_TENANTS } from '../platform/federation/seed-data.ts';
import type { RoleModule } from '../platform/runtime/role.ts';
import { buildWorkspaceApp } from './app.ts';
import { workspaceMigrations } from './migrations.ts';
import { createProvisioning } from './provisioning/engine.ts';
import { scheduleNightlyReconcile } from './provisioning/reconcile.ts';
import type { WorkspaceTables } from './schema.ts';

export const workspaceRole: RoleModule<WorkspaceTables> = {
  name: 'workspace',
  title: { 'zh-TW': 'G Suite for Education 啟用入口', en: 'Workspace activation portal' },
  migrations: workspaceMigrations,
  registerJobs(ctx) {
    createProvisioning(ctx);
  },
  async seedDemo(ctx) {
    for (const tenant of DEMO_TENANTS) {
      for (const unit of tenant.units) {
        await ctx.db
          .insertInto('workspace_schools')
          .values({ code: unit.code, county: tenant.code, name: unit.name })
          .onConflict((oc) => oc.column('code').doNothing())
          .execute();
      }
    }
    await ctx.db
      .insertInto('workspace_admins')
      .values({ cloud_username: 'cloudadmin' })
      .onConflict((oc) => oc.column('cloud_username').doNothing())
      .execute();
  },
  async buildApp(ctx) {
    await scheduleNightlyReconcile(ctx.db);
    return buildWorkspaceApp(ctx);
  },
};
