import { placeholderApp } from '../../../platform/runtime/placeholder.ts';
import type { RoleModule } from '../../../platform/runtime/role.ts';

/** The local Google stand-in (demo and tests only; production talks to Google). */
export const googleRole: RoleModule = {
  name: 'google',
  title: { 'zh-TW': 'Google 模擬服務', en: 'Google stand-in' },
  migrations: {},
  buildApp: (ctx) => placeholderApp(ctx, googleRole),
};
