import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Logger } from 'pino';
import type { PlatformTables } from '../database/platform-schema.ts';
import { enqueueJob } from '../jobs/queue.ts';
import { PermanentFailure, RetryLater } from '../jobs/runner.ts';
import { ReceiverRegistry } from './registry.ts';
import type { SecurityEventTables } from './schema.ts';
import {
  SECEVENT_CONTENT_TYPE,
  type SecurityEvents,
  type SetErrorCode,
  type SetSigningKey,
  signSecurityEvent,
} from './set.ts';

/** The outbox job: one per (event, receiver). */
export const DELIVER_SECURITY_EVENT_JOB = 'security-event.deliver';

/** About five hours of retries with jittered exponential backoff (capped at 15 minutes). */
export const DELIVERY_MAX_ATTEMPTS = 30;

export interface SecurityEventInput {
  /** The transmitting issuer inside the role (county code, or `default` for the cloud). */
  tenant: string;
  /** Its issuer URL: the SET `iss` and the `iss` of the `iss_sub` subject. */
  issuer: string;
  /** The subject at that issuer (the OIDC `sub`). */
  subject: string;
  events: SecurityEvents;
  /** When the change happened (default: now). */
  toe?: Date;
  /** Identifies the change (default: a new UUID). */
  txn?: string;
}

interface DeliveryPayload extends Record<string, unknown> {
  receiverId: string;
  tenant: string;
  issuer: string;
  subject: string;
  events: SecurityEvents;
  txn: string;
  toe: number;
}

/**
 * Queues the event for every enabled receiver of the tenant. Call it inside the transaction that
 * makes the change: the change and its deliveries are stored together or not at all (outbox).
 * The idempotency key (txn + receiver) makes a repeated call for the same change a no-op.
 */
export async function emitSecurityEvent<DB>(
  db: Kysely<DB> | Transaction<DB>,
  input: SecurityEventInput,
): Promise<{ txn: string; queued: number }> {
  const tx = db as unknown as Kysely<SecurityEventTables & PlatformTables>;
  const txn = input.txn ?? randomUUID();
  const toe = (input.toe ?? new Date()).getTime() / 1000;
  const receivers = await new ReceiverRegistry(tx).list(input.tenant);
  let queued = 0;
  for (const receiver of receivers) {
    if (!receiver.enabled) continue;
    const payload: DeliveryPayload = {
      receiverId: receiver.id,
      tenant: input.tenant,
      issuer: input.issuer.replace(/\/+$/, ''),
      subject: input.subject,
      events: input.events,
      txn,
      toe,
    };
    const id = await enqueueJob(tx, DELIVER_SECURITY_EVENT_JOB, payload, {
      idempotencyKey: `secevent:${txn}:${receiver.id}`,
      maxAttempts: DELIVERY_MAX_ATTEMPTS,
    });
    if (id) queued++;
  }
  return { txn, queued };
}

export interface DeliveryOptions<DB> {
  db: Kysely<DB>;
  log: Logger;
  /** The issuer's current signing key (see keys.ts `oidcIssuerSigningKeys`). */
  signingKey(tenant: string): Promise<SetSigningKey | undefined>;
  timeoutMs?: number;
}

/** RFC 8935 errors that another try may fix: the receiver may not have fetched a rotated key yet. */
const RETRYABLE_ERRORS: ReadonlySet<string> = new Set<SetErrorCode>(['invalid_key']);

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(3600, Math.max(0, seconds)) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.min(3600_000, Math.max(0, at - Date.now()));
}

/**
 * The delivery job: signs a fresh SET (new `jti`, current `iat`; same `txn` and `toe` on every
 * try) and POSTs it to the receiver (RFC 8935). 202 (any 2xx) is done. Network errors, timeouts,
 * 408, 425, 429, 5xx and `invalid_key` are retried with backoff (Retry-After honoured); any
 * other refusal fails the job at once with the receiver's `err` and `description` as its error.
 * A receiver removed or disabled meanwhile drops the delivery.
 */
export function securityEventDelivery<DB>(options: DeliveryOptions<DB>) {
  const registry = new ReceiverRegistry(options.db);
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (raw: Record<string, unknown>): Promise<void> => {
    const payload = raw as DeliveryPayload;
    const receiver = await registry.get(String(payload.receiverId));
    if (!receiver?.enabled) {
      options.log.info(
        { receiver: payload.receiverId, txn: payload.txn },
        'security event dropped: receiver gone',
      );
      return;
    }
    const key = await options.signingKey(payload.tenant);
    if (!key) throw new RetryLater(`issuer ${payload.tenant} has no signing key yet`, 60_000);
    const token = await signSecurityEvent(key, {
      issuer: payload.issuer,
      audience: receiver.audience,
      subject: payload.subject,
      events: payload.events,
      txn: payload.txn,
      toe: payload.toe,
    });
    let response: Response;
    try {
      response = await fetch(receiver.url, {
        method: 'POST',
        headers: { 'content-type': SECEVENT_CONTENT_TYPE, accept: 'application/json' },
        body: token,
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new Error(`${receiver.url} unreachable: ${cause ?? (error as Error).message}`);
    }
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel();
      return;
    }
    const text = await response.text().catch(() => '');
    let err: string | undefined;
    let description = '';
    try {
      const body = JSON.parse(text) as { err?: unknown; description?: unknown };
      err = typeof body.err === 'string' ? body.err : undefined;
      description = typeof body.description === 'string' ? body.description : '';
    } catch {
      description = text.slice(0, 200);
    }
    const message = `${receiver.url} answered ${response.status}${err ? ` ${err}` : ''}${description ? `: ${description}` : ''}`;
    const transient =
      response.status >= 500 ||
      response.status === 408 ||
      response.status === 425 ||
      response.status === 429 ||
      (err !== undefined && RETRYABLE_ERRORS.has(err));
    if (!transient) throw new PermanentFailure(message);
    const delay = retryAfterMs(response);
    if (delay !== undefined) throw new RetryLater(message, delay);
    throw new Error(message);
  };
}
