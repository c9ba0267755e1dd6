import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { z } from 'zod';
import { AppError } from '../errors/app-error.ts';
import { type SecurityEventTables, securityEventView } from './schema.ts';

/** Where an issuer of this role pushes its security events. */
export interface ReceiverRecord {
  id: string;
  tenant: string;
  url: string;
  audience: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export const receiverInput = z.object({
  tenant: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9-]{0,31}$/),
  url: z
    .url({ protocol: /^https?$/ })
    .trim()
    .max(2000),
  audience: z.string().trim().min(1).max(500),
  enabled: z.boolean().default(true),
});
export type ReceiverInput = z.input<typeof receiverInput>;

type Row = Selectable<SecurityEventTables['security_event_receivers']>;

function toReceiver(row: Row): ReceiverRecord {
  return {
    id: row.id,
    tenant: row.tenant,
    url: row.endpoint_url,
    audience: row.audience,
    enabled: row.enabled,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The receivers registered for the issuers of one role (stored in the role's own database). */
export class ReceiverRegistry<DB = unknown> {
  readonly #db: Kysely<SecurityEventTables>;

  /** `db` is the role database, or a transaction on it (then every call runs in it). */
  constructor(db: Kysely<DB>) {
    this.#db = securityEventView(db);
  }

  async list(tenant?: string): Promise<ReceiverRecord[]> {
    let q = this.#db
      .selectFrom('security_event_receivers')
      .selectAll()
      .orderBy('tenant')
      .orderBy('created_at');
    if (tenant !== undefined) q = q.where('tenant', '=', tenant);
    return (await q.execute()).map(toReceiver);
  }

  async get(id: string): Promise<ReceiverRecord | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const row = await this.#db
      .selectFrom('security_event_receivers')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toReceiver(row);
  }

  /** Registers a receiver, or updates the one of this tenant at the same URL. */
  async save(input: ReceiverInput): Promise<ReceiverRecord> {
    const parsed = receiverInput.safeParse(input);
    if (!parsed.success) throw new AppError('bad_request', 400);
    const { tenant, url, audience, enabled } = parsed.data;
    const row = await this.#db
      .insertInto('security_event_receivers')
      .values({ id: randomUUID(), tenant, endpoint_url: url, audience, enabled, updated_at: new Date() })
      .onConflict((oc) =>
        oc.columns(['tenant', 'endpoint_url']).doUpdateSet({ audience, enabled, updated_at: new Date() }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toReceiver(row);
  }

  async setEnabled(id: string, enabled: boolean): Promise<ReceiverRecord | undefined> {
    if (!(await this.get(id))) return undefined;
    const row = await this.#db
      .updateTable('security_event_receivers')
      .set({ enabled, updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toReceiver(row);
  }

  async remove(id: string): Promise<boolean> {
    if (!(await this.get(id))) return false;
    const result = await this.#db
      .deleteFrom('security_event_receivers')
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
