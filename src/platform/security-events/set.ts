import { randomUUID } from 'node:crypto';
import { errors, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';

/** Media type of a SET in an HTTP body (RFC 8935 §2) and its `typ` header (RFC 8417 §2.3). */
export const SECEVENT_CONTENT_TYPE = 'application/secevent+jwt';
export const SECEVENT_TYP = 'secevent+jwt';

const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
/** RISC: the account was disabled; payload `{ reason }`. */
export const RISC_ACCOUNT_DISABLED = `${RISC}account-disabled`;
/** RISC: the account was enabled again; empty payload. */
export const RISC_ACCOUNT_ENABLED = `${RISC}account-enabled`;

/**
 * Reasons EduGate puts in `account-disabled`. RISC defines `hijacking` and `bulk-account`; EduGate
 * adds `suspended` (an administrator or an audit deadline suspended the account; reversible) and
 * `departed` (the person left: the account stops for good).
 */
export type DisableReason = 'suspended' | 'departed' | 'hijacking' | 'bulk-account';

/** Subject identifier of format `iss_sub` (RFC 9493 §3.2.5). */
export interface IssSubSubject {
  format: 'iss_sub';
  iss: string;
  sub: string;
}

/** Event type URI → event payload (the SET `events` claim). */
export type SecurityEvents = Record<string, Record<string, unknown>>;

export function accountDisabled(reason: DisableReason): SecurityEvents {
  return { [RISC_ACCOUNT_DISABLED]: { reason } };
}

export function accountEnabled(): SecurityEvents {
  return { [RISC_ACCOUNT_ENABLED]: {} };
}

/** A private key that signs SETs, with the `kid` its issuer publishes at its JWKS. */
export interface SetSigningKey {
  key: CryptoKey;
  kid: string;
  alg: string;
}

export interface SetContent {
  issuer: string;
  audience: string;
  /** The issuer's own subject (`sub_id` is `iss_sub` with the SET issuer). */
  subject: string;
  events: SecurityEvents;
  /** Identifies the state change; the same in every SET reporting it (to each receiver, on each try). */
  txn: string;
  /** Time of the event, in seconds (a fraction keeps the order of quick successive changes). */
  toe: number;
  /** A new one per SET unless given. */
  jti?: string;
  /** Issued-at override (tests); seconds. */
  iat?: number;
}

/** Signs a Security Event Token (RFC 8417): `typ` secevent+jwt, `sub_id` per RFC 9493. */
export async function signSecurityEvent(key: SetSigningKey, content: SetContent): Promise<string> {
  const sign = new SignJWT({
    toe: content.toe,
    txn: content.txn,
    sub_id: { format: 'iss_sub', iss: content.issuer, sub: content.subject } satisfies IssSubSubject,
    events: content.events,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: SECEVENT_TYP })
    .setIssuer(content.issuer)
    .setAudience(content.audience)
    .setJti(content.jti ?? randomUUID());
  return (content.iat === undefined ? sign.setIssuedAt() : sign.setIssuedAt(content.iat)).sign(key.key);
}

/** RFC 8935 §2.4 error codes. */
export type SetErrorCode =
  | 'invalid_request'
  | 'invalid_key'
  | 'invalid_issuer'
  | 'invalid_audience'
  | 'authentication_failed'
  | 'access_denied';

/**
 * A SET the recipient refuses: `status` 400 with an RFC 8935 `err` code, or 503 when the
 * recipient cannot decide now (the issuer's keys could not be fetched) and the transmitter
 * should try again later.
 */
export class SetRejected extends Error {
  override name = 'SetRejected';
  readonly err: SetErrorCode | undefined;
  readonly status: 400 | 503;
  constructor(err: SetErrorCode | undefined, description: string, status: 400 | 503 = 400) {
    super(description);
    this.err = err;
    this.status = status;
  }
}

export interface VerifiedSecurityEvent {
  issuer: string;
  jti: string;
  iat: number;
  txn: string | undefined;
  /** Time of the event (`toe`), or `iat` when the SET has none. */
  toe: number;
  subject: IssSubSubject;
  events: SecurityEvents;
}

export interface VerifyOptions {
  issuer: string;
  audience: string;
  /** The issuer's public keys (e.g. `createRemoteJWKSet` over its `/oidc/v1/jwksets`). */
  keys: JWTVerifyGetKey;
  /** How old `iat` may be (default 300 s). */
  maxAgeSeconds?: number;
  clockToleranceSeconds?: number;
  algorithms?: string[];
  currentDate?: Date;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Verifies a SET: signature against the issuer's keys, `typ` secevent+jwt, `iss`, `aud`, `iat`
 * not older than the allowed age (nor in the future), a `jti`, an `events` object and an `iss_sub`
 * subject of the same issuer (in `sub_id`, or RISC's older `subject` inside the event).
 */
export async function verifySecurityEvent(
  token: string,
  options: VerifyOptions,
): Promise<VerifiedSecurityEvent> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      audience: options.audience,
      typ: SECEVENT_TYP,
      maxTokenAge: options.maxAgeSeconds ?? 300,
      clockTolerance: options.clockToleranceSeconds ?? 60,
      algorithms: options.algorithms ?? ['RS256', 'PS256', 'ES256', 'EdDSA'],
      requiredClaims: ['jti', 'iat'],
      ...(options.currentDate ? { currentDate: options.currentDate } : {}),
    }));
  } catch (error) {
    throw rejection(error);
  }
  const events = payload.events;
  if (!isObject(events) || Object.keys(events).length === 0 || !Object.values(events).every(isObject)) {
    throw new SetRejected('invalid_request', 'the SET has no events');
  }
  const inEvent = Object.values(events)
    .map((e) => (e as Record<string, unknown>).subject)
    .find(isObject);
  const subject = isObject(payload.sub_id) ? payload.sub_id : inEvent;
  if (
    subject?.format !== 'iss_sub' ||
    typeof subject.sub !== 'string' ||
    subject.sub === '' ||
    subject.iss !== options.issuer
  ) {
    throw new SetRejected('invalid_request', 'the subject must be an iss_sub identifier of the issuer');
  }
  const iat = payload.iat as number;
  const toe = typeof payload.toe === 'number' && Number.isFinite(payload.toe) ? payload.toe : iat;
  return {
    issuer: options.issuer,
    jti: String(payload.jti),
    iat,
    txn: typeof payload.txn === 'string' ? payload.txn : undefined,
    toe,
    subject: { format: 'iss_sub', iss: options.issuer, sub: subject.sub },
    events: events as SecurityEvents,
  };
}

function rejection(error: unknown): SetRejected {
  if (error instanceof SetRejected) return error;
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'aud')
      return new SetRejected('invalid_audience', 'the SET is not meant for this recipient');
    if (error.claim === 'iss') return new SetRejected('invalid_issuer', 'unexpected issuer');
    if (error.claim === 'typ')
      return new SetRejected('invalid_request', 'the typ header must be secevent+jwt');
    return new SetRejected('invalid_request', `the ${error.claim} claim is not acceptable`);
  }
  if (error instanceof errors.JWTExpired) return new SetRejected('invalid_request', 'the SET is too old');
  if (
    error instanceof errors.JWSSignatureVerificationFailed ||
    error instanceof errors.JWKSNoMatchingKey ||
    error instanceof errors.JWKSMultipleMatchingKeys ||
    error instanceof errors.JOSEAlgNotAllowed ||
    error instanceof errors.JOSENotSupported
  ) {
    return new SetRejected('invalid_key', 'the SET is not signed by a key the issuer publishes');
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return new SetRejected('invalid_request', 'the body is not a signed JWT');
  }
  // The issuer's key set could not be fetched (down, timeout, not a key set): try again later.
  return new SetRejected(undefined, "the issuer's keys are not available now", 503);
}
