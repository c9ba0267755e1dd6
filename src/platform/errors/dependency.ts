import { AppError } from './app-error.ts';

/**
 * Failures of a dependency (PostgreSQL, Redis, SMTP, a peer over the network) that say nothing
 * about the request: the node cannot reach the dependency right now, or it did not answer in
 * time. Classified here, in one place, so that every entry point answers them the same way: 503
 * with Retry-After (the "service busy" page, JSON for API clients, `temporarily_unavailable` on
 * the OIDC protocol endpoints), and jobs back off instead of failing for good.
 */

/** Seconds a client is asked to wait (Retry-After) when a dependency is unavailable. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

/**
 * What an OAuth / OpenID Connect client reads when a dependency is unavailable (RFC 6749
 * `temporarily_unavailable`), wherever the protocol answers: oidc-provider's endpoints, the front
 * doors and the resource APIs.
 */
export const TEMPORARILY_UNAVAILABLE = {
  error: 'temporarily_unavailable',
  error_description: 'the service is temporarily unavailable; retry later',
} as const;

/** The JSON answer of a protocol endpoint served outside oidc-provider when a dependency is unavailable. */
export const PROTOCOL_UNAVAILABLE_ANSWER = {
  status: 503,
  headers: {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'retry-after': String(DEPENDENCY_RETRY_AFTER_SECONDS),
  },
  body: JSON.stringify(TEMPORARILY_UNAVAILABLE),
} as const;

/** Socket errors of a connection that failed, was refused, reset or timed out. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENETRESET',
  'EAI_AGAIN',
  'ERR_SOCKET_CLOSED',
  // nodemailer
  'ECONNECTION',
  'ESOCKET',
]);

/**
 * PostgreSQL SQLSTATEs of an unavailable server: class 08 (connection exception), 53
 * (insufficient resources: too many connections, out of memory or disk), 57P01–57P03
 * (administrator or crash shutdown, cannot connect now: restarts and failovers) and 57014
 * (statement cancelled: the statement timeout).
 */
function unavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code === '57P01' ||
    code === '57P02' ||
    code === '57P03' ||
    code === '57014'
  );
}

/** Messages of `pg`, `pg-pool` and ioredis errors that carry no code. */
const UNAVAILABLE_MESSAGES = [
  // pg
  /^Connection terminated/,
  /^timeout exceeded when trying to connect/,
  /not queryable/,
  /^Query read timeout/,
  // ioredis
  /^Connection is closed\.?$/,
  /^Command timed out/,
  /^Stream isn't writeable/,
  /^Socket timeout\./,
  /^Reached the max retries per request limit/,
  /^Command aborted due to connection close/,
  /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY)\b/,
];

const UNAVAILABLE_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'DependencyTimeout',
  'ClusterAllFailedError',
]);

/** A dependency did not answer within its timeout (see `withTimeout`). */
export class DependencyTimeout extends Error {
  override name = 'DependencyTimeout';
  readonly code = 'ETIMEDOUT';
}

/** True when `error` (or an error it wraps) says a dependency is unavailable right now. */
export function isDependencyFailure(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 5) return false;
  if (error instanceof AppError) return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (NETWORK_CODES.has(e.code)) return true;
    if (/^[0-9A-Z]{5}$/.test(e.code) && unavailableSqlState(e.code)) return true;
  }
  if (typeof e.name === 'string' && UNAVAILABLE_NAMES.has(e.name)) return true;
  if (
    typeof e.message === 'string' &&
    UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(e.message as string))
  )
    return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDependencyFailure(inner, depth + 1))) return true;
  return isDependencyFailure(e.cause, depth + 1);
}

/** The "service busy" answer (503, Retry-After) for a request that could not reach a dependency. */
export function dependencyUnavailable(): AppError {
  const seconds = DEPENDENCY_RETRY_AFTER_SECONDS;
  return new AppError('overloaded', 503, { seconds }, { 'retry-after': String(seconds) });
}

/** `promise`, or a `DependencyTimeout` when it has not settled after `ms` (0: no limit). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DependencyTimeout(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
