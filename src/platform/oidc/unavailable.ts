import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { isDependencyFailure, TEMPORARILY_UNAVAILABLE } from '../errors/dependency.ts';

/**
 * The protocol's answer when a dependency (database, Redis) is unavailable: the OAuth error
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1), status 503. oidc-provider renders it like its
 * own errors: redirected to the client on the authorization endpoint, JSON elsewhere. Its
 * status is ≥ 500, so it is marked as one to show (oidc-provider would say `server_error`).
 */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause: unknown) {
    super(503, 'temporarily_unavailable', { cause });
    this.expose = true;
    this.error_description = TEMPORARILY_UNAVAILABLE.error_description;
  }
}

/** `error` as oidc-provider should see it: dependency failures become `temporarily_unavailable`. */
export function asProtocolError(error: unknown): unknown {
  return isDependencyFailure(error) ? new TemporarilyUnavailable(error) : error;
}

/** Runs `work`; a dependency failure comes out as `temporarily_unavailable`. */
export function protocolCall<T>(work: () => Promise<T> | T): Promise<T> {
  // Not an async function: on every adapter call of every request, one promise and no extra turn.
  try {
    return Promise.resolve(work()).catch(rethrowAsProtocolError);
  } catch (error) {
    return Promise.reject(asProtocolError(error));
  }
}

function rethrowAsProtocolError(error: unknown): never {
  throw asProtocolError(error);
}

/** An adapter whose dependency failures oidc-provider reports as `temporarily_unavailable`. */
export class GuardedAdapter implements Adapter {
  readonly #inner: Adapter;

  constructor(inner: Adapter) {
    this.#inner = inner;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    return protocolCall(() => this.#inner.upsert(id, payload, expiresIn));
  }
  find(id: string) {
    return protocolCall(() => this.#inner.find(id));
  }
  findByUserCode(userCode: string) {
    return protocolCall(() => this.#inner.findByUserCode(userCode));
  }
  findByUid(uid: string) {
    return protocolCall(() => this.#inner.findByUid(uid));
  }
  consume(id: string) {
    return protocolCall(() => this.#inner.consume(id));
  }
  destroy(id: string) {
    return protocolCall(() => this.#inner.destroy(id));
  }
  revokeByGrantId(grantId: string) {
    return protocolCall(() => this.#inner.revokeByGrantId(grantId));
  }
}
