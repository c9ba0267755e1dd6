import type { FastifyInstance } from 'fastify';
import { mountResources, type OidcProvider, type TokenInfo } from '../../platform/oidc/index.ts';
import { eduinfoOf, type ReleasableAccount } from '../accounts/claims.ts';
import type { County } from '../services.ts';
import { findUnit } from '../tenants/tenants.ts';
import { countyClaims } from './accounts.ts';

/** The claims that need the national ID decrypted (and only those). */
const NATIONAL_ID_CLAIMS = new Set(['guid', 'personid']);

/**
 * The county resource APIs (SPEC §4): `/cncresource/api/v1/{eduinfo,guid,personid}` and
 * `/cncresource/api/v2/eduinfo`, each needing an access token with the scope of the same name.
 * GET and POST both answer (deployed clients use either). Shapes: docs/API.md.
 */
export async function registerCountyResources(
  app: FastifyInstance,
  oidc: OidcProvider<ReleasableAccount>,
  county: County,
  tenant: string,
): Promise<void> {
  type Token = TokenInfo<ReleasableAccount>;
  // The record the token check read (same request).
  const accountOf = async (token: Token) => token.account;
  // Each API computes only what it returns: eduinfo v1 from the row alone, v2 with the unit
  // names, guid and personid with the national ID.
  const nationalIdClaims = async (token: Token) =>
    countyClaims(county, await accountOf(token), NATIONAL_ID_CLAIMS);

  const routes: Record<string, { scope: string; respond: (token: Token) => Promise<unknown> }> = {
    '/cncresource/api/v1/eduinfo': {
      scope: 'eduinfo',
      async respond(token) {
        const account = await accountOf(token);
        const eduinfo = eduinfoOf(account);
        return { sub: account.id, schoolid: eduinfo.schoolid, titles: eduinfo.titles, classinfo: [] };
      },
    },
    '/cncresource/api/v2/eduinfo': {
      scope: 'eduinfo',
      async respond(token) {
        const account = await accountOf(token);
        const eduinfo = eduinfoOf(account);
        // One lookup per unit code (the service unit is usually the only one).
        const names = new Map<string, Promise<string | null>>();
        const nameOf = (code: string) => {
          let name = names.get(code);
          if (!name) {
            name = findUnit(county.db, tenant, code).then((unit) => unit?.name ?? null);
            names.set(code, name);
          }
          return name;
        };
        const schools = await Promise.all(
          eduinfo.titles.map(async (entry) => ({
            schoolid: entry.schoolid,
            schoolname: await nameOf(entry.schoolid),
            titles: entry.titles,
          })),
        );
        return {
          sub: account.id,
          schoolid: eduinfo.schoolid,
          schoolname: account.unit_code ? await nameOf(account.unit_code) : null,
          titles: eduinfo.titles,
          schools,
          classinfo: [],
        };
      },
    },
    '/cncresource/api/v1/guid': {
      scope: 'guid',
      async respond(token) {
        const claims = await nationalIdClaims(token);
        return { sub: claims.sub, guid: claims.guid };
      },
    },
    '/cncresource/api/v1/personid': {
      scope: 'personid',
      async respond(token) {
        const claims = await nationalIdClaims(token);
        return { sub: claims.sub, personid: claims.personid };
      },
    },
  };

  await mountResources(
    app,
    oidc,
    Object.entries(routes).map(([path, route]) => ({ path, scopes: [route.scope], respond: route.respond })),
    `/${tenant}`,
  );
}
