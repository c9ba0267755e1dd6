import { randomBytes, randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { Selectable } from 'kysely';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { isDependencyFailure } from '../../platform/errors/dependency.ts';
import type { SealedColumn } from '../../platform/security/sealed-columns.ts';
import { SecretBox } from '../../platform/security/secret-box.ts';
import { audit, type CountyTx } from '../db.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import type { RadiusTables } from './schema.ts';

export type RadiusClient = Omit<Selectable<RadiusTables['county_radius_clients']>, 'secret_sealed'>;

/** The NAS shared secrets, sealed under the installation secret per county. */
export const radiusSealedColumns: readonly SealedColumn[] = [
  {
    what: 'RADIUS client secrets',
    table: 'county_radius_clients',
    column: 'secret_sealed',
    key: ['tenant', 'name'],
    purpose: (row) => `radius-client-secret/${String(row.tenant)}`,
  },
];

const box = (county: County, tenant: string) =>
  new SecretBox(county.ctx.secrets.secret, `radius-client-secret/${tenant}`);

const NAME = /^[A-Za-z0-9_-]{1,32}$/;

/** An IPv4/IPv6 address or network in CIDR form (what FreeRADIUS's `ipaddr` of a client takes). */
export function isClientAddress(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

export type ClientProblem = 'radius.error.name' | 'radius.error.address' | 'radius.error.taken';

function clientProblems(input: { name: string; address: string }): ClientProblem[] {
  const problems: ClientProblem[] = [];
  if (!NAME.test(input.name)) problems.push('radius.error.name');
  if (!isClientAddress(input.address)) problems.push('radius.error.address');
  return problems;
}

/** The shortname FreeRADIUS gives a client (`tenant.name`): the RADIUS API finds the NAS by it. */
export const clientShortname = (client: Pick<RadiusClient, 'tenant' | 'name'>) =>
  `${client.tenant}.${client.name}`;

/** Why a NAS was not added: its name or address is not one a NAS can have, or its name is taken. */
export interface ClientRefusal {
  refused: 'invalid' | 'taken';
  /** The problem of each field, as catalogue keys (`localize`). */
  errors: FieldErrors;
}

/**
 * Registers a NAS (its name and address trimmed) with a new random shared secret (returned, the
 * only time it is shown) and its audit record; refused when the name or address is not one a NAS
 * can have, or the county has a NAS of that name already.
 */
export async function addRadiusClient(
  county: County,
  tenant: string,
  given: { name: string; address: string },
  by: { actor: string; ip: string | null },
): Promise<{ client: RadiusClient; secret: string } | ClientRefusal> {
  const input = { name: given.name.trim(), address: given.address.trim() };
  const problems = clientProblems(input);
  if (problems.length > 0) {
    const on = (problem: ClientProblem) => (problems.includes(problem) ? { key: problem } : undefined);
    return {
      refused: 'invalid',
      errors: { name: on('radius.error.name'), address: on('radius.error.address') },
    };
  }
  const secret = randomBytes(24).toString('base64url');
  const id = randomUUID();
  try {
    const client = await county.db.transaction().execute(async (tx) => {
      const row = await tx
        .insertInto('county_radius_clients')
        .values({
          id,
          tenant,
          name: input.name,
          address: input.address,
          secret_sealed: box(county, tenant).seal(secret),
          created_by: by.actor,
        })
        .returning(['id', 'tenant', 'name', 'address', 'created_by', 'created_at'])
        .executeTakeFirstOrThrow();
      await audit(tx, {
        tenant,
        actor: by.actor,
        action: 'radius.client_added',
        target: row.id,
        ip: by.ip,
        details: { name: input.name, address: input.address },
      });
      return row;
    });
    forget(county, tenant, input.name);
    return { client, secret };
  } catch (error) {
    if (isUniqueViolation(error, 'county_radius_clients_name'))
      return { refused: 'taken', errors: { name: { key: 'radius.error.taken' } } };
    throw error;
  }
}

/**
 * Gives a NAS a new random shared secret (returned, the only time it is shown), with its audit
 * record. FreeRADIUS takes it when it next asks for the NAS (see `radiusClientFor`). Undefined when
 * the county has no NAS of that name.
 */
export async function renewRadiusClientSecret(
  county: County,
  tenant: string,
  name: string,
  by: { actor: string; ip: string | null },
): Promise<string | undefined> {
  const secret = randomBytes(24).toString('base64url');
  return county.db.transaction().execute(async (tx) => {
    const row = await tx
      .updateTable('county_radius_clients')
      .set({ secret_sealed: box(county, tenant).seal(secret) })
      .where('tenant', '=', tenant)
      .where('name', '=', name)
      .returning('id')
      .executeTakeFirst();
    if (!row) return undefined;
    forget(county, tenant, name);
    await audit(tx, {
      tenant,
      actor: by.actor,
      action: 'radius.client_secret_renewed',
      target: row.id,
      ip: by.ip,
      details: { name },
    });
    return secret;
  });
}

export async function removeRadiusClient(
  county: County,
  tenant: string,
  name: string,
  by: { actor: string; ip: string | null },
): Promise<boolean> {
  return county.db.transaction().execute(async (tx) => {
    const row = await tx
      .deleteFrom('county_radius_clients')
      .where('tenant', '=', tenant)
      .where('name', '=', name)
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    forget(county, tenant, name);
    await audit(tx, {
      tenant,
      actor: by.actor,
      action: 'radius.client_removed',
      target: row.id,
      ip: by.ip,
      details: { name },
    });
    return true;
  });
}

export function listRadiusClients(db: CountyTx, tenant: string): Promise<RadiusClient[]> {
  return db
    .selectFrom('county_radius_clients')
    .select(['id', 'tenant', 'name', 'address', 'created_by', 'created_at'])
    .where('tenant', '=', tenant)
    .orderBy('name')
    .execute();
}

/** The county's NAS clients with their shared secrets in clear (for FreeRADIUS). */
export async function radiusClientSecrets(
  county: County,
  tenant: string,
): Promise<Array<RadiusClient & { secret: string }>> {
  const rows = await county.db
    .selectFrom('county_radius_clients')
    .selectAll()
    .where('tenant', '=', tenant)
    .orderBy('name')
    .execute();
  const opener = box(county, tenant);
  return rows.map(({ secret_sealed, ...client }) => ({ ...client, secret: opener.open(secret_sealed) }));
}

/** This node forgets what it remembers of a NAS changed here (other nodes: within 5 seconds). */
function forget(county: County, tenant: string, name: string): void {
  clientCache.get(county.db)?.delete(clientShortname({ tenant, name }));
  secretCache.get(county.db)?.delete(tenant);
}

const CLIENT_TTL_MS = 5_000;
const clientCache = new WeakMap<
  CountyTx,
  Map<string, { until: number; client: Promise<RadiusClient | undefined> }>
>();

/**
 * The NAS a request came through, remembered for 5 seconds (every Access-Request asks): a NAS
 * removed on another node is refused here within that time, on this node at once.
 */
export function cachedClientByShortname(db: CountyTx, shortname: string): Promise<RadiusClient | undefined> {
  let clients = clientCache.get(db);
  if (!clients) {
    clients = new Map();
    clientCache.set(db, clients);
  }
  const now = Date.now();
  const hit = clients.get(shortname);
  if (hit && hit.until > now) return hit.client;
  if (clients.size > 1000) clients.clear();
  const client = findClientByShortname(db, shortname);
  clients.set(shortname, { until: now + CLIENT_TTL_MS, client });
  client.catch(() => clients.delete(shortname));
  return client;
}

/** The NAS a request came through, by its FreeRADIUS shortname (`tenant.name`). */
export async function findClientByShortname(
  db: CountyTx,
  shortname: string,
): Promise<RadiusClient | undefined> {
  const dot = shortname.indexOf('.');
  if (dot < 1) return undefined;
  return db
    .selectFrom('county_radius_clients')
    .select(['id', 'tenant', 'name', 'address', 'created_by', 'created_at'])
    .where('tenant', '=', shortname.slice(0, dot))
    .where('name', '=', shortname.slice(dot + 1))
    .executeTakeFirst();
}

/** An address of a NAS's network (`192.0.2.10`, `192.0.2.0/24`, `2001:db8::/48`): its prefix length when it holds `source`. */
function prefixHolding(network: string, source: string): number | undefined {
  const [address = '', prefix] = network.split('/');
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  if (isIP(source) !== isIP(address)) return undefined;
  const bits = prefix === undefined ? (family === 'ipv4' ? 32 : 128) : Number(prefix);
  const list = new BlockList();
  list.addSubnet(address, bits, family);
  return list.check(source, family) ? bits : undefined;
}

type Secrets = Array<RadiusClient & { secret: string }>;
interface SecretsEntry {
  until: number;
  clients: Promise<Secrets>;
  /** The last list read from the database. */
  last?: Secrets | undefined;
}
const secretCache = new WeakMap<CountyTx, Map<string, SecretsEntry>>();

/** How long a read of the NAS clients may take before the last list read answers instead. */
const STALE_AFTER_MS = 500;

/**
 * The county's NAS clients with their secrets, read at most every 5 seconds. While the database
 * does not answer (or is slow to), the last list read stands in: FreeRADIUS keeps knowing its NAS
 * (and tells them that the service is unavailable) instead of dropping their requests.
 */
function clientSecrets(county: County, tenant: string): Promise<Secrets> {
  let tenants = secretCache.get(county.db);
  if (!tenants) {
    tenants = new Map();
    secretCache.set(county.db, tenants);
  }
  const known = tenants;
  const hit = known.get(tenant);
  if (hit && hit.until > Date.now()) return hit.clients;
  const last = hit?.last;
  const entry: SecretsEntry = { until: Date.now() + CLIENT_TTL_MS, clients: Promise.resolve([]), last };
  const read = radiusClientSecrets(county, tenant).then(
    (clients) => {
      entry.last = clients;
      entry.clients = Promise.resolve(clients);
      return clients;
    },
    (error: unknown) => {
      if (last && isDependencyFailure(error)) return last;
      if (known.get(tenant) === entry) known.delete(tenant);
      throw error;
    },
  );
  entry.clients = last
    ? Promise.race([
        read,
        new Promise<Secrets>((resolve) => setTimeout(() => resolve(last), STALE_AFTER_MS).unref()),
      ])
    : read;
  known.set(tenant, entry);
  return entry.clients;
}

/**
 * The NAS of the county that FreeRADIUS hears from at `source` (the most specific network holding
 * that address), with its shared secret: what FreeRADIUS asks when a NAS it does not know (or no
 * longer remembers) sends a request. Undefined when no NAS of the county has that address.
 */
export async function radiusClientFor(
  county: County,
  tenant: string,
  source: string,
): Promise<(RadiusClient & { secret: string }) | undefined> {
  if (isIP(source) === 0) return undefined;
  let best: { client: RadiusClient & { secret: string }; bits: number } | undefined;
  for (const client of await clientSecrets(county, tenant)) {
    const bits = prefixHolding(client.address, source);
    if (bits !== undefined && (!best || bits > best.bits)) best = { client, bits };
  }
  return best?.client;
}
