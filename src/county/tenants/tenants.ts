import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { CountyTx } from '../db.ts';
import type { CountyTables } from '../schema.ts';

export type Tenant = Selectable<CountyTables['county_tenants']>;

/** Where a node says it created or edited a tenant: the other nodes of the role hear it at once. */
const TENANTS_CHANNEL = sql<string>`'edugate_tenants_' || current_schema()`;

/** Tells the other nodes, when the caller's transaction commits, that `code` was created or edited. */
export async function announceTenant(db: CountyTx, code: string): Promise<void> {
  await sql`select pg_notify(${TENANTS_CHANNEL}, ${code})`.execute(db);
}

/** The channel `announceTenant` notifies on, for this role's schema. */
export async function tenantsChannel(db: CountyTx): Promise<string> {
  const { rows } = await sql<{ channel: string }>`select ${TENANTS_CHANNEL} as channel`.execute(db);
  return rows[0]?.channel ?? '';
}
export type Unit = Selectable<CountyTables['county_units']>;

export const TENANT_CODE = /^[a-z][a-z0-9]{1,15}$/;

/** Paths of the role app itself (`/admin/api`, `/healthz`, …), which no tenant may take. */
export const RESERVED_TENANT_CODES: ReadonlySet<string> = new Set([
  'admin',
  'api',
  'assets',
  'healthz',
  'metrics',
  'oidc',
  'readyz',
]);

export function listTenants(db: CountyTx): Promise<Tenant[]> {
  return db.selectFrom('county_tenants').selectAll().orderBy('code').execute();
}

export function findTenant(db: CountyTx, code: string): Promise<Tenant | undefined> {
  return db.selectFrom('county_tenants').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function upsertTenant(
  db: CountyTx,
  tenant: { code: string; name: string; portal_name: string; mail_domain: string },
): Promise<void> {
  if (!TENANT_CODE.test(tenant.code)) throw new Error(`invalid tenant code ${tenant.code}`);
  await db
    .insertInto('county_tenants')
    .values(tenant)
    .onConflict((oc) =>
      oc.column('code').doUpdateSet({
        name: tenant.name,
        portal_name: tenant.portal_name,
        mail_domain: tenant.mail_domain,
      }),
    )
    .execute();
}

/** Mailboxes compare case-insensitively. */
export function normalizeMailbox(mailbox: string): string {
  return mailbox.normalize('NFKC').trim().toLowerCase();
}

export function listUnits(db: CountyTx, tenant: string, options: { activeOnly?: boolean } = {}) {
  let q = db.selectFrom('county_units').selectAll().where('tenant', '=', tenant);
  if (options.activeOnly) q = q.where('active', '=', true);
  return q.orderBy('code').execute();
}

export function findUnit(db: CountyTx, tenant: string, code: string): Promise<Unit | undefined> {
  return db
    .selectFrom('county_units')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('code', '=', code)
    .executeTakeFirst();
}

export function findUnitByMailbox(db: CountyTx, tenant: string, mailbox: string): Promise<Unit | undefined> {
  return db
    .selectFrom('county_units')
    .selectAll()
    .where('tenant', '=', tenant)
    .where('mailbox_normalized', '=', normalizeMailbox(mailbox))
    .executeTakeFirst();
}

/** Units whose code, name or abbreviation contains the query (active units only). */
export function searchUnits(db: CountyTx, tenant: string, query: string, limit = 20): Promise<Unit[]> {
  const q = query.trim();
  let sel = db.selectFrom('county_units').selectAll().where('tenant', '=', tenant).where('active', '=', true);
  if (q !== '') {
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    sel = sel.where((eb) =>
      eb.or([eb('code', 'ilike', like), eb('name', 'ilike', like), eb('abbreviation', 'ilike', like)]),
    );
  }
  return sel.orderBy('code').limit(limit).execute();
}

export interface UnitInput {
  code: string;
  name: string;
  abbreviation: string | null;
  mailbox: string;
  active?: boolean;
}

export async function upsertUnit(
  db: CountyTx,
  tenant: string,
  unit: UnitInput,
): Promise<'created' | 'updated'> {
  const existing = await findUnit(db, tenant, unit.code);
  const values = {
    name: unit.name,
    abbreviation: unit.abbreviation,
    mailbox: unit.mailbox.trim(),
    mailbox_normalized: normalizeMailbox(unit.mailbox),
    active: unit.active ?? true,
  };
  if (existing) {
    await db
      .updateTable('county_units')
      .set({ ...values, updated_at: new Date() })
      .where('tenant', '=', tenant)
      .where('code', '=', unit.code)
      .execute();
    return 'updated';
  }
  await db
    .insertInto('county_units')
    .values({ tenant, code: unit.code, ...values })
    .execute();
  return 'created';
}
