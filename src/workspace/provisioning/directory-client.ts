import { admin, type admin_directory_v1 } from '@googleapis/admin';
import type { GoogleTarget } from './google-auth.ts';
import type { RequestPacer } from './pacing.ts';

export type GoogleUser = admin_directory_v1.Schema$User;

/**
 * What a failed Directory call means for provisioning:
 * - notFound / duplicate: answers, used by the idempotent steps;
 * - notReady: 412 "User creation is not complete" (Google is still creating the user);
 * - retryable: rate limit, quota, 429, 5xx, network, expired token — try again later;
 * - permanent: the request itself is wrong (400, 403 forbidden) — an administrator must look.
 */
export type FailureKind = 'notFound' | 'duplicate' | 'notReady' | 'retryable' | 'permanent';

export class DirectoryFailure extends Error {
  override name = 'DirectoryFailure';
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(kind: FailureKind, message: string, status?: number, reason?: string, retryAfterMs?: number) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
  }
}

const RATE_REASONS = new Set(['userRateLimitExceeded', 'rateLimitExceeded', 'quotaExceeded', 'backendError']);

function header(headers: unknown, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const value = (headers as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Retry-After as seconds or an HTTP date, in milliseconds. */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 3_600_000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.min(date - Date.now(), 3_600_000));
}

export function classify(error: unknown): DirectoryFailure {
  const e = error as {
    status?: number;
    code?: string | number;
    message?: string;
    response?: { status?: number; headers?: unknown; data?: unknown };
  };
  const status = e.response?.status ?? e.status;
  const data = e.response?.data as
    | { error?: { message?: string; errors?: Array<{ reason?: string }> } }
    | undefined;
  const reason = data?.error?.errors?.[0]?.reason;
  const message = `${status ?? 'network'}${reason ? ` ${reason}` : ''}: ${data?.error?.message ?? e.message ?? String(error)}`;
  const after = retryAfterMs(header(e.response?.headers, 'retry-after'));
  if (status === undefined)
    return new DirectoryFailure('retryable', message, undefined, String(e.code ?? ''));
  if (status === 404) return new DirectoryFailure('notFound', message, status, reason);
  if (status === 409) return new DirectoryFailure('duplicate', message, status, reason);
  if (status === 412) return new DirectoryFailure('notReady', message, status, reason, after);
  if (status === 429 || status >= 500 || status === 401) {
    return new DirectoryFailure('retryable', message, status, reason, after);
  }
  if (status === 403 && reason && RATE_REASONS.has(reason)) {
    return new DirectoryFailure('retryable', message, status, reason, after);
  }
  return new DirectoryFailure('permanent', message, status, reason);
}

/**
 * The Directory API calls provisioning makes, through `@googleapis/admin` (rootUrl = Google or the
 * stand-in). The client's own retries are off: the job queue retries, durably, with backoff.
 */
export class DirectoryClient {
  readonly #api: admin_directory_v1.Admin;
  readonly #pacer: RequestPacer;

  constructor(target: GoogleTarget, pacer: RequestPacer) {
    this.#api = admin({
      version: 'directory_v1',
      auth: target.auth,
      ...(target.rootUrl ? { rootUrl: target.rootUrl } : {}),
      retry: false,
      timeout: 30_000,
    });
    this.#pacer = pacer;
  }

  async #call<T>(fn: () => Promise<{ data: T }>): Promise<T> {
    try {
      return (await this.#pacer.run(fn)).data;
    } catch (error) {
      throw classify(error);
    }
  }

  /** users.get; undefined when Google does not know the address (or not yet). */
  async getUser(userKey: string): Promise<GoogleUser | undefined> {
    try {
      return await this.#call(() => this.#api.users.get({ userKey }));
    } catch (error) {
      if (error instanceof DirectoryFailure && error.kind === 'notFound') return undefined;
      throw error;
    }
  }

  insertUser(user: GoogleUser): Promise<GoogleUser> {
    return this.#call(() => this.#api.users.insert({ requestBody: user }));
  }

  patchUser(userKey: string, changes: GoogleUser): Promise<GoogleUser> {
    return this.#call(() => this.#api.users.patch({ userKey, requestBody: changes }));
  }

  async orgUnitExists(path: string): Promise<boolean> {
    try {
      await this.#call(() =>
        this.#api.orgunits.get({ customerId: 'my_customer', orgUnitPath: path.replace(/^\//, '') }),
      );
      return true;
    } catch (error) {
      if (error instanceof DirectoryFailure && error.kind === 'notFound') return false;
      throw error;
    }
  }

  /** orgunits.insert; an org unit that already exists counts as created. */
  async insertOrgUnit(name: string, parentPath: string): Promise<void> {
    try {
      await this.#call(() =>
        this.#api.orgunits.insert({
          customerId: 'my_customer',
          requestBody: { name, parentOrgUnitPath: parentPath },
        }),
      );
    } catch (error) {
      if (error instanceof DirectoryFailure && error.kind === 'duplicate') return;
      throw error;
    }
  }
}
