import { audit, type CountyTx } from '../db.ts';
import type { Tenant } from '../tenants/tenants.ts';
import { defaultRealm, forgetRealms } from './realm.ts';

export interface RadiusSettings {
  realm: string;
  ssid: string;
  vpnHost: string;
  /** PEM of the CA that issued FreeRADIUS's EAP certificate (published by `edugate radius config`). */
  caCertificate: string | null;
}

/**
 * Whether an SSID or VPN host name can be shown to teachers and written into settings as it is:
 * 1–64 characters, none of `<>"` (the console and the admin API apply the same rule).
 */
export const isPlainSetting = (value: string): boolean =>
  value.length >= 1 && [...value].length <= 64 && !/[<>"]/.test(value);

/** The SSID of the TANet wireless roaming exchange. */
export const DEFAULT_SSID = 'TANetRoaming';

export async function radiusSettings(
  db: CountyTx,
  tenant: Pick<Tenant, 'code' | 'mail_domain'>,
): Promise<RadiusSettings> {
  const row = await db
    .selectFrom('county_radius_settings')
    .select(['realm', 'ssid', 'vpn_host', 'ca_certificate'])
    .where('tenant', '=', tenant.code)
    .executeTakeFirst();
  return {
    realm: row?.realm ?? defaultRealm(tenant.mail_domain),
    ssid: row?.ssid ?? DEFAULT_SSID,
    vpnHost: row?.vpn_host ?? `vpn.${tenant.mail_domain}`,
    caCertificate: row?.ca_certificate ?? null,
  };
}

/** Saves what is given (the rest stays), with its audit record. */
export async function saveRadiusSettings(
  db: CountyTx,
  tenant: Pick<Tenant, 'code' | 'mail_domain'>,
  changes: { realm?: string; ssid?: string; vpnHost?: string; caCertificate?: string },
  by: { actor: string; ip: string | null },
): Promise<void> {
  const current = await radiusSettings(db, tenant);
  const next = {
    realm: changes.realm ?? current.realm,
    ssid: changes.ssid ?? current.ssid,
    vpn_host: changes.vpnHost ?? current.vpnHost,
    ca_certificate: changes.caCertificate ?? current.caCertificate,
    updated_at: new Date(),
  };
  await db
    .insertInto('county_radius_settings')
    .values({ tenant: tenant.code, ...next })
    .onConflict((oc) => oc.column('tenant').doUpdateSet(next))
    .execute();
  forgetRealms(db);
  await audit(db, {
    tenant: tenant.code,
    actor: by.actor,
    action: 'radius.settings_saved',
    ip: by.ip,
    details: {
      realm: next.realm,
      ssid: next.ssid,
      vpn_host: next.vpn_host,
      ca: changes.caCertificate !== undefined,
    },
  });
}
