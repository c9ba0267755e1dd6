import { AsyncLocalStorage } from 'node:async_hooks';
import Provider from 'oidc-provider';

/**
 * A typed place in the request scope. The module whose data it holds declares it (module-private)
 * and is the only one to read or write it: the artifact store its reads ahead, the provider the
 * accounts its host port read. No other module can reach a value it did not declare.
 */
export class ScopeSlot<T> {
  readonly name: string;
  readonly create: () => T;
  constructor(name: string, create: () => T) {
    this.name = name;
    this.create = create;
  }
}

/**
 * What one protocol request or resource API call keeps for its later steps, so that what several
 * steps need (a token's grant and session, the account behind it) is read once. Nothing outlives
 * its request: the next request reads again (or asks the owner's own cache, which the owner keeps
 * current).
 */
export class RequestScope {
  readonly #values = new Map<ScopeSlot<unknown>, unknown>();

  /** The slot's value for this request, created on first use. */
  get<T>(slot: ScopeSlot<T>): T {
    let value = this.#values.get(slot) as T | undefined;
    if (value === undefined) {
      value = slot.create();
      this.#values.set(slot, value);
    }
    return value;
  }
}

const providerRequests = new WeakMap<object, RequestScope>();
const resourceRequests = new AsyncLocalStorage<RequestScope>();

/**
 * The scope of the request being served: inside oidc-provider the one of its Koa context, around a
 * resource API the one `withRequestScope` opened; outside both, none (nothing is kept).
 */
export function currentScope(): RequestScope | undefined {
  const ctx: object | undefined = Provider.ctx;
  if (!ctx) return resourceRequests.getStore();
  let scope = providerRequests.get(ctx);
  if (!scope) {
    scope = new RequestScope();
    providerRequests.set(ctx, scope);
  }
  return scope;
}

/** Runs `fn` as one request with a scope of its own (resource APIs, tests). */
export function withRequestScope<T>(fn: () => Promise<T>): Promise<T> {
  return resourceRequests.run(new RequestScope(), fn);
}
