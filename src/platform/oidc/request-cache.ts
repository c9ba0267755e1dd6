import { AsyncLocalStorage } from 'node:async_hooks';
import Provider from 'oidc-provider';

/**
 * Values remembered for the duration of one request, so that what several steps of one protocol
 * request read (the account behind a token, for instance) is read once. Inside oidc-provider the
 * request is its Koa context; around a resource API, `withRequestCache`. Outside both, nothing is
 * remembered. Nothing outlives its request: a suspended account is seen by the next request.
 */
const stores = new WeakMap<object, Map<string, unknown>>();
const resourceRequest = new AsyncLocalStorage<object>();

function currentStore(): Map<string, unknown> | undefined {
  const owner: object | undefined = Provider.ctx ?? resourceRequest.getStore();
  if (!owner) return undefined;
  let store = stores.get(owner);
  if (!store) {
    store = new Map();
    stores.set(owner, store);
  }
  return store;
}

/** Runs `fn` as one request: `requestScoped` calls inside it share their values. */
export function withRequestCache<T>(fn: () => Promise<T>): Promise<T> {
  return resourceRequest.run({}, fn);
}

/** The value of `key` for the current request, loaded once (a failed load is not remembered). */
export function requestScoped<T>(key: string, load: () => Promise<T>): Promise<T> {
  const store = currentStore();
  if (!store) return load();
  const hit = store.get(key) as Promise<T> | undefined;
  if (hit) return hit;
  const pending = load();
  store.set(key, pending);
  pending.catch(() => store.delete(key));
  return pending;
}

/** Takes (and forgets) a value another step of the current request left for this one. */
export function takeRequestValue<T>(key: string): T | undefined {
  const store = currentStore();
  if (!store?.has(key)) return undefined;
  const value = store.get(key) as T;
  store.delete(key);
  return value;
}

/** Leaves a value for a later step of the current request (`takeRequestValue`). */
export function leaveRequestValue(key: string, value: unknown): void {
  currentStore()?.set(key, value);
}

/** Forgets what the current request remembered under `key`. */
export function forgetRequestValue(key: string): void {
  currentStore()?.delete(key);
}
