/**
 * # Security events between the roles (RFC 8417 SETs pushed by HTTP, RFC 8935)
 *
 * How a county tells the education cloud that an account was suspended, reactivated or departed,
 * and how the cloud tells the workspace portal the same about a cloud account — over HTTP, never
 * through a shared table. A role that changes an account's state is the *transmitter*; the role
 * that reacts is the *receiver*. Both sides are here; the roles only map their states to events.
 *
 * ## The token
 * A Security Event Token (RFC 8417), signed RS256 with the transmitting issuer's current OIDC
 * signing key (the one behind its `/oidc/v1/jwksets`), header `typ: secevent+jwt`, claims:
 * `iss` (the issuer), `aud` (the receiver's audience, by convention its OIDC client id at that
 * issuer), `iat`, `jti` (new for every SET), `txn` (the state change: the same for every receiver
 * and every retry), `toe` (time of the change, seconds with a fraction), `sub_id`
 * `{format: "iss_sub", iss, sub}` (RFC 9493; `sub` is the issuer's OIDC subject) and `events` with
 * one RISC event: `…/risc/event-type/account-disabled` `{reason}` or `…/account-enabled` `{}`.
 * Reasons (set.ts `DisableReason`): `suspended` and `departed` are EduGate's additions to RISC's
 * `hijacking` and `bulk-account`.
 *
 * ## Transmitter
 * ```ts
 * migrations: { ...securityEventMigrations('1201_security_events') } // role prefix; both sides' tables
 * // in the transaction that changes the account:
 * await emitSecurityEvent(tx, { tenant: 'cyc', issuer: 'https://cyc.example/cyc', subject: account.id,
 *   events: accountDisabled('departed') });
 * // jobs (registerJobs):
 * ctx.jobs.register(DELIVER_SECURITY_EVENT_JOB, securityEventDelivery({ db: ctx.db, log: ctx.log,
 *   signingKey: oidcIssuerSigningKeys(ctx.db, ctx.secrets.secret) }));
 * // admin API (CLI `edugate events …`):
 * await adminApi(app, token, (api) => securityEventAdminRoutes(api, { db, tenantExists }));
 * ```
 * - `ReceiverRegistry` (registry.ts): receivers per transmitting issuer (tenant): URL, audience,
 *   enabled; `save` upserts by tenant + URL.
 * - `emitSecurityEvent` queues one `security-event.deliver` job per enabled receiver with the
 *   idempotency key `secevent:{txn}:{receiver}` — a rolled-back change sends nothing.
 * - `securityEventDelivery` signs and POSTs (`application/secevent+jwt`); 2xx is done; network
 *   errors, 408/425/429/5xx and `invalid_key` retry with jittered backoff (Retry-After honoured,
 *   30 attempts ≈ 5 hours); other refusals fail the job with the receiver's `err`/`description`
 *   (`edugate events deliveries`, `edugate events retry`).
 *
 * ## Receiver
 * ```ts
 * const receiver = new SecurityEventReceiver({ db, log,
 *   transmitter: async (iss) => ({ issuer: iss, audience: 'my-client-id', jwksUri: `${iss}/oidc/v1/jwksets` }),
 *   handle: async (tx, event) => { … event.subject.sub, event.events[RISC_ACCOUNT_DISABLED] … } });
 * await mountSecurityEventReceiver(app, '/secevent/county', receiver);
 * ```
 * Checks: Content-Type, known and enabled issuer (`invalid_issuer` / `access_denied`), signature
 * against the issuer's JWKS fetched with `createRemoteJWKSet` (`invalid_key`), `typ`, `aud`
 * (`invalid_audience`), `iat` at most `maxAgeSeconds` (300) old and not in the future beyond the
 * clock tolerance (60 s), `jti` not seen before from that issuer (kept while a SET could still be
 * fresh; a replay is `invalid_request`), an `iss_sub` subject of the same issuer. Then, in one
 * transaction, the `jti` is recorded and `handle` runs — unless the subject already had an event
 * with a later `toe` or the same `txn` (a retry after a lost answer): then nothing is applied.
 * Answers: empty 202; 400 `{"err","description"}`; 503 + Retry-After when the issuer's keys cannot
 * be fetched; 500 when `handle` failed (the transmitter retries).
 */
export { type SecurityEventAdminOptions, securityEventAdminRoutes } from './admin.ts';
export { eventsCommand } from './cli.ts';
export { oidcIssuerSigningKeys } from './keys.ts';
export { securityEventMigrations } from './migrations.ts';
export {
  mountSecurityEventReceiver,
  type ReceiveResult,
  SecurityEventReceiver,
  type SecurityEventReceiverOptions,
  type TrustedTransmitter,
} from './receiver.ts';
export { type ReceiverInput, type ReceiverRecord, ReceiverRegistry } from './registry.ts';
export { type SecurityEventTables, securityEventView } from './schema.ts';
export {
  accountDisabled,
  accountEnabled,
  type DisableReason,
  type IssSubSubject,
  RISC_ACCOUNT_DISABLED,
  RISC_ACCOUNT_ENABLED,
  SECEVENT_CONTENT_TYPE,
  SECEVENT_TYP,
  type SecurityEvents,
  type SetErrorCode,
  SetRejected,
  type SetSigningKey,
  signSecurityEvent,
  type VerifiedSecurityEvent,
  verifySecurityEvent,
} from './set.ts';
export {
  DELIVER_SECURITY_EVENT_JOB,
  DELIVERY_MAX_ATTEMPTS,
  emitSecurityEvent,
  type SecurityEventInput,
  securityEventDelivery,
} from './transmitter.ts';
