// A county tenant's description changed by the operator (`edugate county tenants edit`): the fields
// given change, the others stay; the code never does (it is in URLs and the OIDC issuer). The change
// and its audit record commit together.
import { z } from 'zod';
import { AppError } from '../../platform/errors/app-error.ts';
import { audit } from '../db.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import {
  DESCRIPTION_FIELDS,
  type DescriptionField,
  descriptionErrors,
  type TenantDescription,
  tidyField,
} from './tenant-description.ts';
import { announceTenant, type Tenant } from './tenants.ts';

/** The admin API body: the fields to change. A `code` other than the tenant's is refused. */
export const tenantEditBody = z.object({
  actor: z.string().min(1).max(64).default('cli'),
  code: z.string().max(200).optional(),
  name: z.string().max(1000).optional(),
  portal_name: z.string().max(1000).optional(),
  mail_domain: z.string().max(1000).optional(),
});

export type TenantEdit = z.infer<typeof tenantEditBody>;

/** The fields to change, as they are stored. */
export function tidyTenantEdit(body: TenantEdit): Partial<TenantDescription> {
  const changes: Partial<TenantDescription> = {};
  for (const field of DESCRIPTION_FIELDS) {
    const value = body[field];
    if (value !== undefined) changes[field] = tidyField(field, value);
  }
  return changes;
}

/** The rules of the fields given; `code` may only repeat the tenant's own. */
export function tenantEditErrors(
  tenant: string,
  body: TenantEdit,
  changes: Partial<TenantDescription>,
): FieldErrors {
  const errors: FieldErrors = {};
  if (body.code !== undefined && body.code.trim() !== tenant) {
    errors.code = { key: 'tenant.error.code_fixed', vars: { code: tenant } };
  }
  return { ...errors, ...descriptionErrors(changes) };
}

export interface EditedTenant {
  tenant: Tenant;
  /** The fields whose value changed (none when the edit repeats the stored values). */
  changed: DescriptionField[];
}

/**
 * Changes the tenant's description (valid changes, see `tenantEditErrors`, at least one field):
 * `county.unknown_tenant` (404) when there is no such tenant. Writes nothing, and audits nothing,
 * when every value given is already the stored one.
 */
export async function editTenant(
  county: County,
  code: string,
  changes: Partial<TenantDescription>,
  by: { actor: string; ip: string },
): Promise<EditedTenant> {
  return county.db.transaction().execute(async (tx) => {
    const before = await tx
      .selectFrom('county_tenants')
      .selectAll()
      .where('code', '=', code)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw new AppError('county.unknown_tenant', 404, { tenant: code });
    const changed = DESCRIPTION_FIELDS.filter((f) => changes[f] !== undefined && changes[f] !== before[f]);
    if (changed.length === 0) return { tenant: before, changed };
    const update = Object.fromEntries(changed.map((f) => [f, changes[f]]));
    const tenant = await tx
      .updateTable('county_tenants')
      .set(update)
      .where('code', '=', code)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(tx, {
      tenant: code,
      actor: by.actor,
      action: 'tenant.updated',
      target: code,
      ip: by.ip,
      details: {
        before: Object.fromEntries(changed.map((f) => [f, before[f]])),
        after: update,
      },
    });
    await announceTenant(tx, code);
    return { tenant, changed };
  });
}
