import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * oidc-provider's in-memory storage without its 1000-entry LRU bound (which would evict live
 * tokens during a run): plain Maps, expiry checked on read.
 */
export function mapAdapter() {
  const store = new Map<string, { payload: AdapterPayload; expires: number }>();
  const uids = new Map<string, string>();
  return (model: string): Adapter => {
    const key = (id: string) => `${model}:${id}`;
    const find = async (id: string) => {
      const hit = store.get(key(id));
      return hit && hit.expires > Date.now() ? hit.payload : undefined;
    };
    return {
      async upsert(id, payload, expiresIn) {
        store.set(key(id), { payload, expires: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
        if (payload.uid) uids.set(payload.uid, id);
      },
      find,
      findByUid: async (uid) => {
        const id = uids.get(uid);
        return id ? find(id) : undefined;
      },
      findByUserCode: async () => undefined,
      async consume(id) {
        const hit = store.get(key(id));
        if (hit) hit.payload.consumed = Math.floor(Date.now() / 1000);
      },
      async destroy(id) {
        store.delete(key(id));
      },
      async revokeByGrantId(grantId) {
        for (const [k, v] of store)
          if (k.startsWith(`${model}:`) && v.payload.grantId === grantId) store.delete(k);
      },
    };
  };
}

/** The bare providers' lifetimes: long enough that nothing expires during a run. */
export const BARE_TTL = {
  AccessToken: 3600,
  AuthorizationCode: 60,
  IdToken: 3600,
  RefreshToken: 14 * 86400,
  Session: 8 * 3600,
  Interaction: 3600,
  Grant: 14 * 86400,
};
