import type Provider from 'oidc-provider';
import type { Adapter } from 'oidc-provider';
import { errors } from 'oidc-provider';

/** Revokes every token of a grant (access, refresh, codes), then the grant itself. */
export async function revokeGrant(oidc: { provider: Provider }, grantId: string): Promise<void> {
  const { AccessToken, RefreshToken, AuthorizationCode, Grant } = oidc.provider;
  await Promise.all([
    AccessToken.revokeByGrantId(grantId),
    RefreshToken.revokeByGrantId(grantId),
    AuthorizationCode.revokeByGrantId(grantId),
  ]);
  const grant = await Grant.find(grantId);
  await grant?.destroy();
}

/**
 * What the second use of a code gets when the store finds it consumed at the consumption itself:
 * two exchanges of one code that both read it before either marked it (see `SINGLE_USE_MODELS`).
 */
export class ConsumedBefore extends errors.InvalidGrant {
  constructor() {
    super('authorization code already consumed');
  }
}

/**
 * The store of a single-use artifact that, when a consumption finds it used before, revokes the
 * grant it belongs to with every token issued from it before answering `invalid_grant`, as
 * oidc-provider does for a code it finds consumed (RFC 6749 §4.1.2: the tokens of a code used twice
 * SHOULD be revoked). The grant goes too, so that tokens the first exchange saves after this
 * revocation find no grant and are refused wherever they are used.
 */
export function revokingOnReplay(store: Adapter, revoke: (grantId: string) => Promise<void>): Adapter {
  return {
    upsert: (id, payload, expiresIn) => store.upsert(id, payload, expiresIn),
    find: (id) => store.find(id),
    findByUserCode: (userCode) => store.findByUserCode(userCode),
    findByUid: (uid) => store.findByUid(uid),
    destroy: (id) => store.destroy(id),
    revokeByGrantId: (grantId) => store.revokeByGrantId(grantId),
    async consume(id) {
      try {
        await store.consume(id);
      } catch (error) {
        if (error instanceof ConsumedBefore) {
          const grantId = (await store.find(id))?.grantId;
          if (typeof grantId === 'string') await revoke(grantId);
        }
        throw error;
      }
    },
  };
}
