import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { createRoleApp } from '../../../platform/http/role-app.ts';
import { sessions } from '../../../platform/http/sessions.ts';
import { dependencyChecks } from '../../../platform/runtime/boot.ts';
import type { RoleContext, RoleModule } from '../../../platform/runtime/role.ts';
import { DIRECTORY_SCOPES } from '../../provisioning/google-auth.ts';
import { standInAdmin } from './admin.ts';
import { adminConsole } from './console.ts';
import { directoryApi } from './directory/api.ts';
import { DirectoryOrgUnits } from './directory/orgunits.ts';
import { DirectoryUsers } from './directory/users.ts';
import { FaultInjector, QuotaWindow } from './faults.ts';
import { googleMessages } from './messages.ts';
import { googleMigrations } from './migrations.ts';
import type { GoogleTables } from './schema.ts';
import {
  delegateDomainWide,
  registerServiceAccountKey,
  type ServiceAccountKeyFile,
} from './service-accounts.ts';
import { signInPages } from './signin/pages.ts';
import { AccessTokens } from './token.ts';

type Ctx = RoleContext<GoogleTables>;

export interface GoogleStandIn {
  faults: FaultInjector;
  quota: QuotaWindow;
  users: DirectoryUsers;
}

declare module 'fastify' {
  interface FastifyInstance {
    googleStandIn?: GoogleStandIn;
  }
}

async function buildGoogleApp(ctx: Ctx): Promise<FastifyInstance> {
  const app = await createRoleApp({
    role: 'google',
    logger: ctx.log,
    catalogues: [googleMessages],
    readiness: dependencyChecks(ctx),
    brand: { name: googleMessages['zh-TW']['google.brand'], href: '/' },
    trustProxy: ctx.config.trustProxy,
    secureCookies: ctx.config.secureCookies,
  });
  await app.register(sessions, {
    store: ctx.sessionStore('google'),
    cookieName: 'google_sid',
    secure: ctx.config.secureCookies,
  });
  const faults = new FaultInjector();
  const quota = new QuotaWindow();
  const users = new DirectoryUsers(ctx.db, () => faults.creationLagMs);
  const tokens = new AccessTokens(ctx.db, ctx.urls.google);
  app.decorate('googleStandIn', { faults, quota, users });
  tokens.routes(app);
  await directoryApi(app, { users, orgUnits: new DirectoryOrgUnits(ctx.db), tokens, faults, quota });
  await standInAdmin(app, { db: ctx.db, adminToken: ctx.secrets.adminToken, faults, quota, users });
  adminConsole(app, users, quota);
  signInPages(app, { db: ctx.db, baseUrl: ctx.urls.google, users });
  return app;
}

/** The local Google stand-in (demo and tests only; production talks to Google). */
export const googleRole: RoleModule<GoogleTables> = {
  name: 'google',
  title: { 'zh-TW': 'Google 模擬服務', en: 'Google stand-in' },
  // Its admin console lists the directory to anyone who can reach it.
  demoOnly: true,
  migrations: googleMigrations,
  async seedDemo(ctx) {
    // The workspace domain, whose SSO profile points at the education cloud's SAML IdP and its
    // sign-out URL. The certificate is taken from the cloud's metadata at the first sign-in, not now.
    const signOutUrl = `${ctx.urls.cloud.replace(/\/+$/, '')}/logout`;
    await ctx.db
      .insertInto('google_domains')
      .values({
        domain: ctx.config.workspaceDomain,
        idp_metadata_url: `${ctx.urls.cloud}/saml/metadata`,
        idp_certificates: '[]',
        sign_out_url: signOutUrl,
      })
      .onConflict((oc) => oc.column('domain').doUpdateSet({ sign_out_url: signOutUrl }))
      .execute();
    // The demo's service account (its key file is the workspace role's GOOGLE_SERVICE_ACCOUNT_FILE):
    // its public key, and domain-wide delegation of the Directory scopes to its client ID.
    const file = ctx.config.googleServiceAccountFile;
    if (file) {
      const key = JSON.parse(readFileSync(file, 'utf8')) as ServiceAccountKeyFile;
      await registerServiceAccountKey(ctx.db, key);
      await delegateDomainWide(ctx.db, key.client_id, DIRECTORY_SCOPES);
    }
  },
  buildApp: buildGoogleApp,
};
