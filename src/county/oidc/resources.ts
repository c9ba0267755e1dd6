import type { FastifyInstance } from 'fastify';
import { type OidcProvider, resourceHandler, type TokenInfo } from '../../platform/oidc/index.ts';
import { identityClaims } from '../accounts/claims.ts';
import type { County } from '../services.ts';
import { findUnit } from '../tenants/tenants.ts';
import { loadAccount } from './accounts.ts';

/**
 * The county resource APIs (SPEC §4): `/cncresource/api/v1/{eduinfo,guid,personid}` and
 * `/cncresource/api/v2/eduinfo`, each needing an access token with the scope of the same name.
 * GET and POST both answer (deployed clients use either). Shapes: docs/API.md.
 */
export async function registerCountyResources(
  app: FastifyInstance,
  oidc: OidcProvider,
  county: County,
  tenant: string,
): Promise<void> {
  const identity = async (token: TokenInfo) => {
    // The row the token check just read (same request).
    const account = await loadAccount(county, tenant, token.accountId);
    if (!account) throw new Error('account vanished after its token was checked');
    return { account, claims: await identityClaims(county, account) };
  };

  const routes: Record<string, { scope: string; respond: (token: TokenInfo) => Promise<unknown> }> = {
    '/cncresource/api/v1/eduinfo': {
      scope: 'eduinfo',
      async respond(token) {
        const { claims } = await identity(token);
        return {
          sub: claims.sub,
          schoolid: claims.eduinfo.schoolid,
          titles: claims.eduinfo.titles,
          classinfo: [],
        };
      },
    },
    '/cncresource/api/v2/eduinfo': {
      scope: 'eduinfo',
      async respond(token) {
        const { claims } = await identity(token);
        const schools = await Promise.all(
          claims.eduinfo.titles.map(async (entry) => ({
            schoolid: entry.schoolid,
            schoolname: (await findUnit(county.db, tenant, entry.schoolid))?.name ?? null,
            titles: entry.titles,
          })),
        );
        return {
          sub: claims.sub,
          schoolid: claims.eduinfo.schoolid,
          schoolname: claims.unit_name,
          titles: claims.eduinfo.titles,
          schools,
          classinfo: [],
        };
      },
    },
    '/cncresource/api/v1/guid': {
      scope: 'guid',
      async respond(token) {
        const { claims } = await identity(token);
        return { sub: claims.sub, guid: claims.guid };
      },
    },
    '/cncresource/api/v1/personid': {
      scope: 'personid',
      async respond(token) {
        const { claims } = await identity(token);
        return { sub: claims.sub, personid: claims.personid };
      },
    },
  };

  await app.register(
    async (scope) => {
      for (const [url, route] of Object.entries(routes)) {
        const handler = resourceHandler(oidc, [route.scope], (token) => route.respond(token));
        scope.route({ method: ['GET', 'POST'], url, handler, config: { csrf: false } });
      }
    },
    { prefix: `/${tenant}` },
  );
}
