import type { FastifyInstance } from 'fastify';
import { decodeJwt, type JWTVerifyGetKey } from 'jose';
import { type Kysely, sql, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import { RemoteKeySets } from '../security/remote-keys.ts';
import { securityEventView } from './schema.ts';
import {
  SECEVENT_CONTENT_TYPE,
  SetRejected,
  type VerifiedSecurityEvent,
  verifySecurityEvent,
} from './set.ts';

/** A transmitter this recipient trusts: its issuer, the audience it must use, its public keys. */
export interface TrustedTransmitter {
  issuer: string;
  audience: string;
  /** Usually `${issuer}/oidc/v1/jwksets`. */
  jwksUri: string;
  /** A known issuer an administrator turned off: its SETs are refused with `access_denied`. */
  enabled?: boolean;
}

export interface SecurityEventReceiverOptions<DB> {
  db: Kysely<DB>;
  log: Logger;
  /** The transmitter whose issuer is `iss`, or undefined when it is unknown here. */
  transmitter(iss: string): Promise<TrustedTransmitter | undefined>;
  /**
   * Applies a verified event, inside the transaction that records its `jti`: if it throws, the
   * SET is not recorded and the transmitter gets a 500 (it retries). Unknown event types should
   * be ignored. Never called twice for the same `txn`, nor for an event older than one applied.
   */
  handle(tx: Transaction<DB>, event: VerifiedSecurityEvent): Promise<void>;
  maxAgeSeconds?: number;
  clockToleranceSeconds?: number;
  /** The key set of a JWKS URI (default: `remoteKeySet`, one kept per URI). */
  keys?: (jwksUri: string) => JWTVerifyGetKey;
}

export type ReceiveResult =
  | { status: 202; applied: boolean }
  | { status: 400 | 503; err: string | undefined; description: string };

const PRUNE_EVERY_MS = 60_000;

/**
 * The recipient side of push delivery (RFC 8935): verifies each SET (see `verifySecurityEvent`)
 * against the transmitter's published keys, refuses a `jti` already received from that issuer,
 * applies it at most once per `txn` and never after a newer event of the same subject, and
 * answers 202.
 */
export class SecurityEventReceiver<DB> {
  readonly #options: SecurityEventReceiverOptions<DB>;
  readonly #keys: RemoteKeySets;
  readonly #maxAge: number;
  readonly #tolerance: number;
  #prunedAt = 0;

  constructor(options: SecurityEventReceiverOptions<DB>) {
    this.#options = options;
    this.#keys = new RemoteKeySets(options.keys);
    this.#maxAge = options.maxAgeSeconds ?? 300;
    this.#tolerance = options.clockToleranceSeconds ?? 60;
  }

  /** Handles one request body; `contentType` is the request's Content-Type header. */
  async receive(token: unknown, contentType: string | undefined): Promise<ReceiveResult> {
    try {
      return { status: 202, applied: await this.#receive(token, contentType) };
    } catch (error) {
      if (!(error instanceof SetRejected)) throw error;
      this.#options.log.warn({ err: error.err, reason: error.message }, 'security event refused');
      return { status: error.status, err: error.err, description: error.message };
    }
  }

  async #receive(token: unknown, contentType: string | undefined): Promise<boolean> {
    const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
    if (mediaType !== SECEVENT_CONTENT_TYPE) {
      throw new SetRejected('invalid_request', `the body must be ${SECEVENT_CONTENT_TYPE}`);
    }
    const text = typeof token === 'string' ? token.trim() : '';
    let iss: unknown;
    try {
      iss = decodeJwt(text).iss;
    } catch {
      throw new SetRejected('invalid_request', 'the body is not a signed JWT');
    }
    if (typeof iss !== 'string' || iss === '')
      throw new SetRejected('invalid_request', 'the SET has no issuer');
    const transmitter = await this.#options.transmitter(iss);
    if (!transmitter) throw new SetRejected('invalid_issuer', 'unknown issuer');
    if (transmitter.enabled === false)
      throw new SetRejected('access_denied', 'this issuer is turned off here');
    const event = await verifySecurityEvent(text, {
      issuer: transmitter.issuer,
      audience: transmitter.audience,
      keys: this.#keys.of(transmitter.jwksUri),
      maxAgeSeconds: this.#maxAge,
      clockToleranceSeconds: this.#tolerance,
    });
    await this.#prune();
    const keepUntil = new Date((event.iat + this.#maxAge + 2 * this.#tolerance) * 1000);
    return this.#options.db.transaction().execute(async (tx) => {
      const own = securityEventView(tx);
      const fresh = await own
        .insertInto('security_event_jtis')
        .values({ issuer: event.issuer, jti: event.jti, expires_at: keepUntil })
        .onConflict((oc) => oc.columns(['issuer', 'jti']).doNothing())
        .returning('jti')
        .executeTakeFirst();
      if (!fresh) throw new SetRejected('invalid_request', 'this jti was already received');
      const last = await own
        .selectFrom('security_event_subjects')
        .select(['last_toe', 'last_txn'])
        .where('issuer', '=', event.issuer)
        .where('subject', '=', event.subject.sub)
        .forUpdate()
        .executeTakeFirst();
      if (last) {
        const older = event.toe < last.last_toe;
        const again = event.txn !== undefined && event.txn === last.last_txn;
        if (older || again) {
          this.#options.log.info(
            { issuer: event.issuer, txn: event.txn, older, again },
            'security event already superseded',
          );
          return false;
        }
      }
      await own
        .insertInto('security_event_subjects')
        .values({
          issuer: event.issuer,
          subject: event.subject.sub,
          last_toe: event.toe,
          last_txn: event.txn ?? null,
          updated_at: new Date(),
        })
        .onConflict((oc) =>
          oc
            .columns(['issuer', 'subject'])
            .doUpdateSet({ last_toe: event.toe, last_txn: event.txn ?? null, updated_at: new Date() }),
        )
        .execute();
      await this.#options.handle(tx, event);
      return true;
    });
  }

  /** Forgets `jti`s whose SETs would be refused as too old anyway (at most once a minute). */
  async #prune(): Promise<void> {
    if (Date.now() - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = Date.now();
    await securityEventView(this.#options.db)
      .deleteFrom('security_event_jtis')
      .where('expires_at', '<', sql<Date>`now()`)
      .execute();
  }
}

/**
 * Mounts a receiver at `path` (POST): the body is read as text whatever its type, errors are
 * RFC 8935 JSON (`{"err","description"}`, 400), 503 asks the transmitter to come back later,
 * success is an empty 202. Called by other sites: no session, no CSRF form token.
 */
export async function mountSecurityEventReceiver<DB>(
  app: FastifyInstance,
  path: string,
  receiver: SecurityEventReceiver<DB>,
): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler(async (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode;
      if (status === 413 || status === 415 || status === 400) {
        return reply.code(400).send({ err: 'invalid_request', description: 'the body is not a SET' });
      }
      request.log.error({ err: error }, 'security event receiver failed');
      return reply.code(500).send({ description: 'the event could not be processed now' });
    });
    scope.post(path, { config: { csrf: false } }, async (request, reply) => {
      const result = await receiver.receive(request.body, request.headers['content-type']);
      if (result.status === 202) return reply.code(202).send();
      if (result.status === 503) reply.header('retry-after', '30');
      return reply
        .code(result.status)
        .header('cache-control', 'no-store')
        .send(
          result.err
            ? { err: result.err, description: result.description }
            : { description: result.description },
        );
    });
  });
}
