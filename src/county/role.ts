import { placeholderApp } from '../platform/runtime/placeholder.ts';
import type { RoleModule } from '../platform/runtime/role.ts';

export const countyRole: RoleModule = {
  name: 'county',
  title: { 'zh-TW': '縣市教師資訊應用服務入口', en: 'County teacher portal' },
  migrations: {},
  buildApp: (ctx) => placeholderApp(ctx, countyRole),
};
