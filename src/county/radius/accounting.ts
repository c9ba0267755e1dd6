import { sql } from 'kysely';
import { findAccountByUsername } from '../accounts/repository.ts';
import { audit, type CountyTx } from '../db.ts';
import type { County } from '../services.ts';
import { normalizeStation } from './credential.ts';
import { resolveRealm } from './realm.ts';

/** An Accounting-Request as FreeRADIUS hands it over. */
export interface AccountingRecord {
  nasTenant: string;
  nas: string;
  status: 'Start' | 'Interim-Update' | 'Stop' | string;
  userName: string;
  sessionId: string;
  station?: string | undefined;
  framedIp?: string | undefined;
  /** Acct-Input-Octets + Acct-Input-Gigawords × 2^32 (from the device: its upload). */
  inputBytes: bigint;
  outputBytes: bigint;
  /** Acct-Delay-Time: how long the NAS has been trying to send this. */
  delaySeconds: number;
  terminateCause?: string | undefined;
}

/**
 * Stores a Start, Interim-Update or Stop of a session of a county account (one row per NAS and
 * Acct-Session-Id; a Stop without its Start still makes one). Requests for names that are no
 * account are dropped: the NAS has nothing to retry.
 */
export async function recordAccounting(county: County, record: AccountingRecord): Promise<boolean> {
  if (!['Start', 'Interim-Update', 'Stop'].includes(record.status) || !record.sessionId) return false;
  const user = await resolveRealm(county.db, record.userName, record.nasTenant);
  const account = user?.username
    ? await findAccountByUsername(county.db, user.tenant.code, user.username)
    : undefined;
  if (!user || !account) return false;
  const at = new Date(Date.now() - Math.max(0, Math.min(record.delaySeconds, 86400)) * 1000);
  const stopped = record.status === 'Stop' ? at : null;
  await county.db
    .insertInto('county_radius_sessions')
    .values({
      tenant: account.tenant,
      account_id: account.id,
      username: account.username,
      nas: record.nas,
      acct_session_id: record.sessionId.slice(0, 128),
      calling_station_id: record.station ? normalizeStation(record.station).slice(0, 64) : null,
      framed_ip: record.framedIp?.slice(0, 64) ?? null,
      started_at: at,
      updated_at: at,
      stopped_at: stopped,
      input_bytes: record.inputBytes.toString(),
      output_bytes: record.outputBytes.toString(),
      terminate_cause: record.terminateCause?.slice(0, 64) ?? null,
    })
    .onConflict((oc) =>
      oc.columns(['tenant', 'nas', 'acct_session_id']).doUpdateSet((eb) => ({
        updated_at: at,
        stopped_at: sql<Date | null>`coalesce(${eb.ref('excluded.stopped_at')}, county_radius_sessions.stopped_at)`,
        framed_ip: sql<
          string | null
        >`coalesce(${eb.ref('excluded.framed_ip')}, county_radius_sessions.framed_ip)`,
        input_bytes: sql<string>`greatest(${eb.ref('excluded.input_bytes')}, county_radius_sessions.input_bytes)`,
        output_bytes: sql<string>`greatest(${eb.ref('excluded.output_bytes')}, county_radius_sessions.output_bytes)`,
        terminate_cause: sql<
          string | null
        >`coalesce(${eb.ref('excluded.terminate_cause')}, county_radius_sessions.terminate_cause)`,
      })),
    )
    .execute();
  return true;
}

export interface SessionRow {
  username: string;
  nas: string;
  calling_station_id: string | null;
  framed_ip: string | null;
  started_at: Date;
  stopped_at: Date | null;
  input_bytes: string;
  output_bytes: string;
}

const columns = [
  'username',
  'nas',
  'calling_station_id',
  'framed_ip',
  'started_at',
  'stopped_at',
  'input_bytes',
  'output_bytes',
] as const;

/** An account's own connections, newest first. */
export function sessionsOfAccount(db: CountyTx, accountId: string, limit = 100): Promise<SessionRow[]> {
  return db
    .selectFrom('county_radius_sessions')
    .select(columns)
    .where('account_id', '=', accountId)
    .orderBy('started_at', 'desc')
    .limit(limit)
    .execute();
}

/**
 * A county administrator's search by account or device MAC, recorded in the audit log (the
 * records are confidential: how-to terms 6) in the same transaction as the read.
 */
export async function searchSessions(
  county: County,
  tenant: string,
  query: string,
  by: { actor: string; ip: string | null },
  limit = 200,
): Promise<SessionRow[]> {
  const q = query.trim();
  const station = normalizeStation(q);
  return county.db.transaction().execute(async (tx) => {
    await audit(tx, {
      tenant,
      actor: by.actor,
      action: 'radius.records_searched',
      ip: by.ip,
      details: { query: q.slice(0, 64) },
    });
    return tx
      .selectFrom('county_radius_sessions')
      .select(columns)
      .where('tenant', '=', tenant)
      .where((eb) => eb.or([eb('username', '=', q), eb('calling_station_id', '=', station)]))
      .orderBy('started_at', 'desc')
      .limit(limit)
      .execute();
  });
}

/** Deletes the connection records and remembered devices older than the retention; returns the count. */
export async function purgeRadiusRecords(county: County, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - county.ctx.config.radiusRecordDays * 86400_000);
  const deleted = await county.db
    .deleteFrom('county_radius_sessions')
    .where('updated_at', '<', cutoff)
    .executeTakeFirst();
  await county.db.deleteFrom('county_radius_devices').where('last_success_at', '<', cutoff).execute();
  return Number(deleted.numDeletedRows);
}
