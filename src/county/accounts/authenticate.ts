import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { AbandonedError, OverloadedError, UnsupportedHashError } from '../../identity/index.ts';
import { statement } from '../../platform/database/statement.ts';
import type { PendingSession } from '../../platform/http/sessions.ts';
import { audit } from '../db.ts';
import type { AccountState, CountyDatabase } from '../schema.ts';
import type { County } from '../services.ts';
import { type Account, findAccountByUsername } from './repository.ts';

export interface Credentials {
  tenant: string;
  username: string;
  password: string;
  /** Client address (throttling and audit). */
  ip: string;
  /** The browser's User-Agent, shown in the account's list of sessions. */
  userAgent?: string | undefined;
  /** The proof-of-work solution the form carried ('' or undefined = none). */
  solution?: string | undefined;
  /** The device id of the browser's genuine device cookie for this username, if it has one. */
  device?: string | undefined;
  /** Aborts when nobody waits for the answer any more (see `AbandonedError`). */
  signal?: AbortSignal | undefined;
  /**
   * The browser session a successful sign-in starts, prepared for the sign-in's own statement to
   * write (see `Session.prepareSignIn`): committed once that statement has. Without one, or when
   * it gives none (sessions in Redis), the caller starts the session itself.
   */
  browserSession?: ((account: Account, sessionId: string) => PendingSession | undefined) | undefined;
}

export type AuthFailure =
  /** The CAPTCHA policy asks for one and none was answered. */
  | { ok: false; reason: 'captcha_required' }
  | { ok: false; reason: 'captcha_wrong' }
  /** Unknown username or wrong password: never says which. */
  | { ok: false; reason: 'invalid_credentials'; captchaRequired: boolean }
  /** The budget of this account (on this device) or of this address is spent: try again later. */
  | { ok: false; reason: 'throttled'; retryAfterSeconds: number }
  /** The client went away while the attempt waited for a hashing slot: nothing was checked. */
  | { ok: false; reason: 'abandoned' }
  /** Password hashing is saturated: 503 + Retry-After. */
  | { ok: false; reason: 'overloaded'; retryAfterSeconds: number }
  /** Right password, but the account cannot sign in (pending, rejected, suspended, departed). */
  | { ok: false; reason: 'inactive'; state: AccountState; account: Account };

/**
 * Signed in: the account as updated, the id of its new row in the list of sessions, and whether
 * the browser session was started with it (`browserSession`).
 */
export type AuthResult =
  | { ok: true; account: Account; sessionId: string; sessionStarted: boolean }
  | AuthFailure;

/** The login name as the sign-in budgets key it (see sign-in-guard.ts). */
export const loginKey = (tenant: string, username: string) => `${tenant}:${username.trim().toLowerCase()}`;

/** Whether the CAPTCHA policy asks for the challenge on the next attempt for this account and address. */
export async function captchaRequired(
  county: County,
  input: { tenant: string; username?: string; ip: string; device?: string | undefined },
): Promise<boolean> {
  const username = input.username?.trim() ?? '';
  return county.signInGuard(input.tenant).challengeNeeded({
    login: username ? loginKey(input.tenant, username) : undefined,
    ip: input.ip,
    device: input.device,
  });
}

/**
 * Checks a username and password against the tenant's accounts, applying the CAPTCHA policy and
 * the sign-in budgets, and records the attempt in the audit log. The attempt is taken from the
 * budgets before the password is hashed, so concurrent guesses never get more hashes than the
 * budgets allow. On success the password hash is upgraded when it uses a legacy format or older
 * parameters.
 */
export async function authenticate(county: County, input: Credentials): Promise<AuthResult> {
  const { tenant, ip } = input;
  const username = input.username.trim();
  const actor = username.slice(0, 64) || 'anonymous';
  const guard = county.signInGuard(tenant);

  const [admission, account] = await Promise.all([
    guard.admit({
      login: loginKey(tenant, username),
      ip,
      device: input.device,
      solution: input.solution ?? '',
    }),
    username ? findAccountByUsername(county.db, tenant, username) : undefined,
  ]);
  if (!admission.ok) {
    if (admission.reason === 'throttled') {
      const wait = admission.retryAfterSeconds;
      await audit(county.db, { tenant, actor, action: 'login.throttled', ip, details: { wait } });
    } else if (admission.reason === 'captcha_wrong') {
      await audit(county.db, { tenant, actor, action: 'login.captcha_failed', ip });
    }
    return admission;
  }
  const { pass } = admission;

  let verified: { ok: boolean; needsRehash: boolean };
  try {
    verified = account
      ? await county.hasher.verify(account.password_hash, input.password, { signal: input.signal })
      : await county.hasher.verifyDummy(input.password, { signal: input.signal });
  } catch (error) {
    if (error instanceof AbandonedError || error instanceof OverloadedError) await guard.unchecked(pass);
    if (error instanceof AbandonedError) return { ok: false, reason: 'abandoned' };
    if (error instanceof OverloadedError) {
      return { ok: false, reason: 'overloaded', retryAfterSeconds: error.retryAfterSeconds };
    }
    if (error instanceof UnsupportedHashError) verified = { ok: false, needsRehash: false };
    else throw error;
  }

  if (!account || !verified.ok) {
    await audit(county.db, {
      tenant,
      actor,
      action: 'login.failed',
      target: account?.id ?? null,
      ip,
      details: { reason: account ? 'wrong_password' : 'unknown_user' },
    });
    return { ok: false, reason: 'invalid_credentials', captchaRequired: guard.challengeAfterFailure(pass) };
  }

  await guard.succeeded(pass);
  if (account.state !== 'active') {
    await audit(county.db, {
      tenant,
      actor: account.username,
      action: 'login.refused',
      target: account.id,
      ip,
      details: { status: account.state },
    });
    return { ok: false, reason: 'inactive', state: account.state, account };
  }

  const newHash = verified.needsRehash ? await rehash(county, input.password) : undefined;
  const sessionId = randomBytes(18).toString('base64url');
  const at = new Date();
  const browser = input.browserSession?.(account, sessionId);
  const [signedIn] = await recordSignIn(county.db, {
    accountId: account.id,
    tenant: account.tenant,
    username: account.username,
    ip,
    userAgent: (input.userAgent ?? '').slice(0, 300),
    sessionId,
    at,
    newHash: newHash ?? null,
    details: JSON.stringify(newHash ? { rehashed: true } : {}),
    browserSession: browser?.row.id ?? null,
    browserSessionData: browser?.row.data ?? null,
    browserSessionExpires: browser?.row.expires ?? null,
    replacedBrowserSession: browser?.row.previous ?? null,
  });
  // The account row read a moment ago is gone: no sign-in.
  if (!signedIn) throw new Error('the account vanished during sign-in');
  browser?.commit();
  return {
    ok: true,
    account: { ...account, last_login_at: at, ...(newHash ? { password_hash: newHash } : {}) },
    sessionId,
    sessionStarted: browser !== undefined,
  };
}

/**
 * One statement: the sign-in time (and the upgraded hash, when there is one), the audit record,
 * the account's new row in its list of sessions and, when given, the browser session's row (in
 * place of the one it replaces: the row `DatabaseSessionStore.replace` would write) commit
 * together. Compiled once (see statement.ts).
 */
const recordSignIn = statement(
  (
    db: Kysely<CountyDatabase>,
    v: {
      accountId: string;
      tenant: string;
      username: string;
      ip: string;
      userAgent: string;
      sessionId: string;
      at: Date;
      newHash: string | null;
      details: string;
      browserSession: string | null;
      browserSessionData: string | null;
      browserSessionExpires: Date | null;
      replacedBrowserSession: string | null;
    },
  ) =>
    db
      .with('signed_in', (q) =>
        q
          .updateTable('county_accounts')
          .set({ last_login_at: v.at, password_hash: sql<string>`coalesce(${v.newHash}, password_hash)` })
          .where('id', '=', v.accountId)
          .returning('id'),
      )
      .with('audited', (q) =>
        q.insertInto('audit_log').values({
          tenant: v.tenant,
          actor: v.username,
          action: 'login.succeeded',
          target: v.accountId,
          ip: v.ip,
          details: v.details,
        }),
      )
      .with('listed', (q) =>
        q.insertInto('county_account_sessions').values({
          id: v.sessionId,
          tenant: v.tenant,
          account_id: v.accountId,
          ip: v.ip,
          user_agent: v.userAgent,
          revoked_at: null,
        }),
      )
      .with('replaced', (q) => q.deleteFrom('sessions').where('id', '=', v.replacedBrowserSession))
      .with('started', (q) =>
        q
          .insertInto('sessions')
          .columns(['id', 'data', 'expires_at'])
          .expression(
            db
              .selectNoFrom([
                sql<string>`${v.browserSession}::text`.as('id'),
                sql<string>`${v.browserSessionData}::jsonb`.as('data'),
                sql<Date>`${v.browserSessionExpires}::timestamptz`.as('expires_at'),
              ])
              .where(sql<boolean>`${v.browserSession}::text is not null`),
          ),
      )
      .selectFrom('signed_in')
      .select('id'),
);

async function rehash(county: County, password: string): Promise<string | undefined> {
  try {
    return await county.hasher.hash(password);
  } catch (error) {
    // Upgrading the hash can wait for the next login when hashing is saturated.
    if (error instanceof OverloadedError) return undefined;
    throw error;
  }
}
