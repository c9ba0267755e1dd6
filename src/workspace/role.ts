import { placeholderApp } from '../platform/runtime/placeholder.ts';
import type { RoleModule } from '../platform/runtime/role.ts';

export const workspaceRole: RoleModule = {
  name: 'workspace',
  title: { 'zh-TW': 'G Suite for Education 啟用入口', en: 'Workspace activation portal' },
  migrations: {},
  buildApp: (ctx) => placeholderApp(ctx, workspaceRole),
};
