import type { Kysely } from 'kysely';
import type { OidcTables } from './schema.ts';

/**
 * Consent remembered per account and client: the scopes the person agreed to release. A new
 * authorization for those scopes needs no consent page; a request for more asks again.
 */
export class ConsentStore {
  readonly #db: Kysely<OidcTables>;
  readonly #tenant: string;

  constructor(db: Kysely<OidcTables>, tenant: string) {
    this.#db = db;
    this.#tenant = tenant;
  }

  async scopes(accountId: string, clientId: string): Promise<string[]> {
    const row = await this.#db
      .selectFrom('oidc_consents')
      .select('scopes')
      .where('tenant', '=', this.#tenant)
      .where('account_id', '=', accountId)
      .where('client_id', '=', clientId)
      .executeTakeFirst();
    return (row?.scopes as string[] | undefined) ?? [];
  }

  /** Adds scopes to what the account agreed to release to the client. */
  async remember(accountId: string, clientId: string, scopes: string[]): Promise<string[]> {
    const merged = [...new Set([...(await this.scopes(accountId, clientId)), ...scopes])];
    const json = JSON.stringify(merged);
    await this.#db
      .insertInto('oidc_consents')
      .values({
        tenant: this.#tenant,
        account_id: accountId,
        client_id: clientId,
        scopes: json,
        updated_at: new Date(),
      })
      .onConflict((oc) =>
        oc
          .columns(['tenant', 'account_id', 'client_id'])
          .doUpdateSet({ scopes: json, updated_at: new Date() }),
      )
      .execute();
    return merged;
  }

  /** Forgets the consent (the person withdrew it); the next login asks again. */
  async forget(accountId: string, clientId: string): Promise<void> {
    await this.#db
      .deleteFrom('oidc_consents')
      .where('tenant', '=', this.#tenant)
      .where('account_id', '=', accountId)
      .where('client_id', '=', clientId)
      .execute();
  }
}
