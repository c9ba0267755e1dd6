import { oidcSealedColumns } from '../platform/oidc/sealed.ts';
import type { RoleModule } from '../platform/runtime/role.ts';
import { buildCountyApp, type CountyExtension } from './app.ts';
import { registerCountyJobs } from './jobs.ts';
import { countyMigrations } from './migrations.ts';
import { countyOidcExtension } from './oidc/extension.ts';
import { radiusSealedColumns } from './radius/clients.ts';
import { countyRadiusExtension } from './radius/extension.ts';
import type { CountyTables } from './schema.ts';
import { countySecurityEventsExtension, seedSecurityEventReceivers } from './security-events/setup.ts';
import { seedCountyDemo } from './seed/demo.ts';
import { countyServices } from './services.ts';

/** The county portal role with the given extensions (e.g. the OIDC provider) plugged into every tenant. */
export function createCountyRole(
  extensions: readonly (CountyExtension & { migrations?: RoleModule['migrations'] })[] = [],
): RoleModule<CountyTables> {
  return {
    name: 'county',
    title: { 'zh-TW': '縣市教師資訊應用服務入口', en: 'County teacher portal' },
    migrations: Object.assign({}, countyMigrations, ...extensions.map((e) => e.migrations ?? {})),
    sealedColumns: [...oidcSealedColumns, ...radiusSealedColumns],
    registerJobs: (ctx) => registerCountyJobs(countyServices(ctx)),
    seedDemo: async (ctx) => {
      await seedCountyDemo(countyServices(ctx));
      await seedSecurityEventReceivers(countyServices(ctx));
    },
    buildApp: (ctx) => buildCountyApp(ctx, extensions),
  };
}

export const countyRole: RoleModule<CountyTables> = createCountyRole([
  countyOidcExtension(),
  countySecurityEventsExtension(),
  countyRadiusExtension(),
]);
