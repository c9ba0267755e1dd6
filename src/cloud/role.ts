import { oidcSealedColumns } from '../platform/oidc/sealed.ts';
import type { RoleModule } from '../platform/runtime/role.ts';
import { FORGOT_JOB, sendPasswordReset } from './account/password-reset.ts';
import { buildCloudApp, type CloudExtension } from './app.ts';
import { countyClientSealedColumn } from './broker/counties.ts';
import { cloudMigrations } from './migrations.ts';
import { samlCloudExtension, samlMigrations } from './saml/index.ts';
import { samlSealedColumn } from './saml/keys.ts';
import { seedSamlDemo } from './saml/seed.ts';
import type { CloudTables } from './schema.ts';
import { registerCloudSecurityEventJobs, seedCloudSecurityEventReceivers } from './security-events/setup.ts';
import { seedCloudDemo } from './seed.ts';
import { createCloudServices } from './services.ts';

/** Features of other contexts mounted on the cloud app (the SAML IdP adds itself here). */
export const cloudExtensions: CloudExtension[] = [samlCloudExtension];

export const cloudRole: RoleModule<CloudTables> = {
  name: 'cloud',
  title: { 'zh-TW': '教育雲', en: 'Education cloud' },
  migrations: { ...cloudMigrations, ...samlMigrations },
  sealedColumns: [...oidcSealedColumns, samlSealedColumn, countyClientSealedColumn],
  registerJobs: (ctx) => {
    registerCloudSecurityEventJobs(ctx);
    const services = createCloudServices(ctx);
    ctx.jobs.register(FORGOT_JOB, (payload) => sendPasswordReset(services, payload));
  },
  seedDemo: async (ctx) => {
    await seedCloudDemo(ctx);
    await seedSamlDemo(ctx);
    await seedCloudSecurityEventReceivers(ctx);
  },
  buildApp: (ctx) => buildCloudApp(ctx, cloudExtensions),
};
