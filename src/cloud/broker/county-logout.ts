import { BackchannelLogoutReceiver } from '../../platform/oidc/index.ts';
import { endProviderSessions } from '../account/sign-out.ts';
import type { CloudDatabase } from '../db.ts';
import type { CloudServices } from '../services.ts';

/** Where the counties post their logout tokens (one endpoint; the county is picked by `iss`). */
export const COUNTY_LOGOUT_PATH = '/backchannel-logout/county';

/**
 * The cloud as a relying party of the counties receiving their back-channel logout: a county
 * session that ended (its portal's 登出, its end-session endpoint, a password change there) ends
 * the cloud sessions that county login started — those of its `sid`, or of its subject when the
 * token names no `sid` — and, after them, their provider sessions, whose relying parties are told
 * in turn (the activation portal, school apps).
 */
export function countyLogoutReceiver(services: CloudServices): BackchannelLogoutReceiver<CloudDatabase> {
  const countyOf = async (iss: string) =>
    (await services.counties.list()).find((c) => c.issuer === iss.replace(/\/+$/, '') && c.enabled);
  return new BackchannelLogoutReceiver<CloudDatabase>({
    db: services.db,
    log: services.ctx.log.child({ receiver: 'county-logout' }),
    async issuer(iss) {
      const county = await countyOf(iss);
      // The keys the county publishes (its discovery document names them).
      const jwksUri = county ? await services.broker.jwksUri(county.code) : undefined;
      if (!county || !jwksUri) return undefined;
      return { issuer: county.issuer, audience: county.clientId, jwksUri };
    },
    async handle(tx, logout) {
      // Inside the receiver's transaction: every read goes through it (PGlite has one connection).
      const county = await tx
        .selectFrom('cloud_counties')
        .select('code')
        .where('issuer', '=', logout.issuer)
        .executeTakeFirst();
      if (!county) return undefined;
      const rows = await services.sessions.revokeCounty(county.code, logout, tx);
      services.ctx.log.info({ county: county.code, sessions: rows.length }, 'county back-channel logout');
      return () => endProviderSessions(services, rows);
    },
  });
}
