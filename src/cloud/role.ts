import { placeholderApp } from '../platform/runtime/placeholder.ts';
import type { RoleModule } from '../platform/runtime/role.ts';

export const cloudRole: RoleModule = {
  name: 'cloud',
  title: { 'zh-TW': '教育雲', en: 'Education cloud' },
  migrations: {},
  buildApp: (ctx) => placeholderApp(ctx, cloudRole),
};
