import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { OidcTables } from './schema.ts';

/**
 * A counter per issuer that moves whenever its clients or signing keys change. Every node keeps
 * clients and keys in memory and compares the counter at most every few seconds (`OidcProvider`
 * `sync()`), so a client edited, disabled or rotated on one node is seen by all of them within
 * that bound; the node that made the change forgets its copy at once.
 */
export class ChangeVersion {
  readonly #db: Kysely<OidcTables>;
  readonly #tenant: string;

  constructor(db: Kysely<OidcTables>, tenant: string) {
    this.#db = db;
    this.#tenant = tenant;
  }

  /** Records a change (call after the change itself is written). */
  async bump(): Promise<void> {
    await this.#db
      .insertInto('oidc_versions')
      .values({ tenant: this.#tenant, version: 1, changed_at: new Date() })
      .onConflict((oc) =>
        oc.column('tenant').doUpdateSet({
          version: sql`oidc_versions.version + 1`,
          changed_at: new Date(),
        }),
      )
      .execute();
  }

  /** The current counter (0 before the first change). */
  async current(): Promise<number> {
    const row = await this.#db
      .selectFrom('oidc_versions')
      .select('version')
      .where('tenant', '=', this.#tenant)
      .executeTakeFirst();
    return Number(row?.version ?? 0);
  }
}
