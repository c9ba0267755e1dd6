import type { CountyTx } from '../db.ts';
import { listTenants, type Tenant } from '../tenants/tenants.ts';

/** A RADIUS User-Name split into the county account it names. */
export interface RealmUser {
  tenant: Tenant;
  realm: string;
  username: string;
}

/** The realm a county gets unless its administrator sets one: its mail domain without `mail.`. */
export const defaultRealm = (mailDomain: string) =>
  mailDomain
    .trim()
    .toLowerCase()
    .replace(/^mail\./, '');

/** How long a node keeps the list of realms (a new county or realm is answered within this time). */
const REALMS_TTL_MS = 10_000;
const cached = new WeakMap<
  object,
  { until: number; realms: Promise<Array<{ tenant: Tenant; realm: string }>> }
>();

/** Forgets the realms read (this node answers a changed realm at once). */
export function forgetRealms(db: CountyTx): void {
  cached.delete(db);
}

/** Every county with its RADIUS realm (`cyc.edu.tw`), read at most every 10 seconds. */
export function tenantRealms(db: CountyTx): Promise<Array<{ tenant: Tenant; realm: string }>> {
  const hit = cached.get(db);
  if (hit && hit.until > Date.now()) return hit.realms;
  const realms = readRealms(db);
  cached.set(db, { until: Date.now() + REALMS_TTL_MS, realms });
  realms.catch(() => cached.delete(db));
  return realms;
}

async function readRealms(db: CountyTx): Promise<Array<{ tenant: Tenant; realm: string }>> {
  const [tenants, settings] = await Promise.all([
    listTenants(db),
    db.selectFrom('county_radius_settings').select(['tenant', 'realm']).execute(),
  ]);
  const set = new Map(settings.map((s) => [s.tenant, s.realm]));
  return tenants.map((tenant) => ({
    tenant,
    realm: set.get(tenant.code) ?? defaultRealm(tenant.mail_domain),
  }));
}

/**
 * `teacher01@cyc.edu.tw` → the county whose realm is `cyc.edu.tw` (its mail domain is taken too);
 * a bare `teacher01` → the county of the NAS that asked. Undefined when the realm is no county of
 * this installation.
 */
export async function resolveRealm(
  db: CountyTx,
  userName: string,
  nasTenant: string,
): Promise<RealmUser | undefined> {
  const name = userName.trim();
  const at = name.lastIndexOf('@');
  const realms = await tenantRealms(db);
  if (at < 0) {
    const own = realms.find((r) => r.tenant.code === nasTenant);
    return own ? { ...own, username: name } : undefined;
  }
  const realm = name.slice(at + 1).toLowerCase();
  const found = realms.find((r) => r.realm === realm || r.tenant.mail_domain.toLowerCase() === realm);
  return found ? { ...found, username: name.slice(0, at) } : undefined;
}

/** The realm of one county. */
export async function realmOf(db: CountyTx, tenant: Tenant): Promise<string> {
  return (
    (await tenantRealms(db)).find((r) => r.tenant.code === tenant.code)?.realm ??
    defaultRealm(tenant.mail_domain)
  );
}
