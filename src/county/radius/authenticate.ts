import type { Kysely } from 'kysely';
import { normalizeUsername } from '../../identity/index.ts';
import { statement } from '../../platform/database/statement.ts';
import { loginKey } from '../accounts/authenticate.ts';
import { checkPassword } from '../accounts/password-check.ts';
import { profileCompleteness } from '../accounts/profile.ts';
import { type Account, REJECTED } from '../accounts/repository.ts';
import { audit } from '../db.ts';
import type { CountyDatabase } from '../schema.ts';
import type { County } from '../services.ts';
import { stationHash } from './credential.ts';
import { resolveRealm, tenantRealms } from './realm.ts';

/** An Access-Request as FreeRADIUS hands it over (PAP, or the inner PAP of EAP-TTLS). */
export interface RadiusAttempt {
  /** The NAS's county (from its FreeRADIUS client entry). */
  nasTenant: string;
  /** The NAS's name, for the audit log. */
  nas: string;
  userName: string;
  password: string;
  /** Calling-Station-Id: the device's MAC (Wi-Fi) or source address (VPN), when the NAS sends one. */
  station?: string | undefined;
}

/** A reply message (catalogue key + variables), sent in zh-TW and English. */
export interface ReplyMessage {
  key: string;
  vars?: Record<string, string | number>;
}

/**
 * What an authentication reads of the account: the hash, the state and profile checks, the unit
 * (`Class`) and the names it replies and audits with; not the other twenty-odd columns.
 */
export type RadiusAccount = Pick<
  Account,
  | 'id'
  | 'username'
  | 'password_hash'
  | 'state'
  | 'real_name'
  | 'national_id_encrypted'
  | 'unit_code'
  | 'unit_confirmed_at'
>;

export type RadiusVerdict =
  | {
      accept: true;
      account: RadiusAccount;
      /** `username@realm`: the identity the NAS reports in accounting. */
      identity: string;
      message: ReplyMessage;
    }
  | { accept: false; message: ReplyMessage; retryAfterSeconds?: number };

/**
 * Checks a RADIUS password the way the web login does: the account's (or remembered device's) and
 * the address's budgets are taken before the hash is computed, with the same hasher and the same
 * dummy hash for unknown names. A device (Calling-Station-Id) the account authenticated from
 * before keeps a budget of its own, so guesses from elsewhere cannot lock the teacher out of their
 * own laptop or phone. Right password, but the account is not active or its profile incomplete:
 * refused with the reason.
 */
export async function authenticateRadius(county: County, attempt: RadiusAttempt): Promise<RadiusVerdict> {
  const user = await resolveRealm(county.db, attempt.userName, attempt.nasTenant);
  if (!user) {
    const own = (await tenantRealms(county.db)).find((r) => r.tenant.code === attempt.nasTenant);
    return {
      accept: false,
      message: { key: 'radius.reply.unknown_realm', vars: { realm: own?.realm ?? '' } },
    };
  }
  const tenant = user.tenant.code;
  const username = user.username.slice(0, 64);
  const actor = username || 'anonymous';
  const secret = county.ctx.secrets.secret;
  const station = attempt.station?.trim() ? stationHash(secret, tenant, attempt.station) : undefined;
  // The account and whether this device authenticated it before: one statement.
  const { account, known } = username
    ? await accountAndDevice(county, tenant, username, station)
    : { account: undefined, known: false };
  const ip = `radius:${station ?? attempt.nas}`;
  const guard = county.signInGuard(tenant);
  const check = await checkPassword(county, guard, {
    attempt: {
      login: loginKey(tenant, username),
      ip,
      device: known ? `radius-${station}` : undefined,
      solution: '',
    },
    account,
    password: attempt.password,
    challenge: false,
  });
  if (check.kind === 'guard' || check.kind === 'abandoned') {
    const wait = check.kind === 'guard' && check.reason === 'throttled' ? check.retryAfterSeconds : 60;
    await audit(county.db, {
      tenant,
      actor,
      action: 'radius.throttled',
      ip: null,
      details: { nas: attempt.nas, wait },
    });
    return {
      accept: false,
      message: { key: 'radius.reply.throttled', vars: { minutes: Math.ceil(wait / 60) } },
      retryAfterSeconds: wait,
    };
  }
  if (check.kind === 'overloaded') {
    return {
      accept: false,
      message: { key: 'radius.reply.overloaded' },
      retryAfterSeconds: check.retryAfterSeconds,
    };
  }
  if (check.kind === 'wrong' || !account) {
    await audit(county.db, {
      tenant,
      actor,
      action: 'radius.failed',
      target: account?.id ?? null,
      ip: null,
      details: { nas: attempt.nas, reason: account ? 'wrong_password' : 'unknown_user' },
    });
    return { accept: false, message: { key: 'radius.reply.invalid' } };
  }
  await guard.succeeded(check.pass);
  const refusal =
    account.state !== 'active'
      ? `radius.reply.status.${account.state}`
      : !profileCompleteness(account).complete
        ? 'radius.reply.profile'
        : undefined;
  if (refusal) {
    await audit(county.db, {
      tenant,
      actor: account.username,
      action: 'radius.refused',
      target: account.id,
      ip: null,
      details: { nas: attempt.nas, status: account.state, reason: refusal },
    });
    return { accept: false, message: { key: refusal } };
  }
  if (station && !known) await rememberDevice(county, account.id, station);
  return {
    accept: true,
    account,
    identity: `${account.username}@${user.realm}`,
    message: { key: 'radius.reply.welcome', vars: { portal: user.tenant.portal_name } },
  };
}

const accountWithDevice = statement(
  (db: Kysely<CountyDatabase>, v: { tenant: string; username: string; station: string }) =>
    db
      .selectFrom('county_accounts as a')
      .select([
        'a.id',
        'a.username',
        'a.password_hash',
        'a.status',
        'a.real_name',
        'a.national_id_encrypted',
        'a.unit_code',
        'a.unit_confirmed_at',
      ])
      .select((eb) =>
        eb
          .exists(
            eb
              .selectFrom('county_radius_devices as d')
              .select('d.account_id')
              .whereRef('d.account_id', '=', 'a.id')
              .where('d.station_hash', '=', v.station),
          )
          .as('known_device'),
      )
      .where('a.tenant', '=', v.tenant)
      .where('a.username_normalized', '=', v.username)
      .where('a.status', '<>', REJECTED),
);

/** The live account with this name and whether `station` authenticated it before. */
async function accountAndDevice(
  county: County,
  tenant: string,
  username: string,
  station: string | undefined,
): Promise<{ account: RadiusAccount | undefined; known: boolean }> {
  const [row] = await accountWithDevice(county.db, {
    tenant,
    username: normalizeUsername(username),
    // No station: a value no keyed hash takes, so that the statement stays one.
    station: station ?? '',
  });
  if (!row) return { account: undefined, known: false };
  const { known_device, status, ...account } = row;
  return { account: { ...account, state: status }, known: Boolean(known_device) };
}

async function rememberDevice(county: County, accountId: string, station: string): Promise<void> {
  await county.db
    .insertInto('county_radius_devices')
    .values({ account_id: accountId, station_hash: station, last_success_at: new Date() })
    .onConflict((oc) =>
      oc.columns(['account_id', 'station_hash']).doUpdateSet({ last_success_at: new Date() }),
    )
    .execute();
}
