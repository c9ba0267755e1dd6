// A county tenant created by the operator (`edugate county tenants add`): the rules of its fields,
// and the creation with its audit record in one transaction.
import { z } from 'zod';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { audit } from '../db.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import { descriptionErrors, type TenantDescription, tidyField } from './tenant-description.ts';
import { announceTenant, RESERVED_TENANT_CODES, TENANT_CODE, type Tenant } from './tenants.ts';

/** The admin API body; missing fields read as empty so that the rules name them. */
export const newTenantBody = z.object({
  actor: z.string().min(1).max(64).default('cli'),
  code: z.string().max(200).default(''),
  name: z.string().max(1000).default(''),
  portal_name: z.string().max(1000).default(''),
  mail_domain: z.string().max(1000).default(''),
});

export interface NewTenant extends TenantDescription {
  code: string;
}

/** The fields as they are stored (trimmed; the mail domain in lower case). */
export function tidyTenant(input: NewTenant): NewTenant {
  return {
    code: input.code.trim(),
    name: tidyField('name', input.name),
    portal_name: tidyField('portal_name', input.portal_name),
    mail_domain: tidyField('mail_domain', input.mail_domain),
  };
}

export function tenantErrors(input: NewTenant): FieldErrors {
  const errors: FieldErrors = {};
  if (input.code === '') errors.code = { key: 'register.error.required' };
  else if (!TENANT_CODE.test(input.code)) errors.code = { key: 'tenant.error.code' };
  else if (RESERVED_TENANT_CODES.has(input.code))
    errors.code = { key: 'tenant.error.code_reserved', vars: { code: input.code } };
  return { ...errors, ...descriptionErrors(input) };
}

/** Creates the tenant (valid input, see `tenantErrors`); `county.tenant_exists` (409) when the code is taken. */
export async function createTenant(
  county: County,
  input: NewTenant,
  by: { actor: string; ip: string },
): Promise<Tenant> {
  try {
    return await county.db.transaction().execute(async (tx) => {
      const tenant = await tx
        .insertInto('county_tenants')
        .values(input)
        .returningAll()
        .executeTakeFirstOrThrow();
      await audit(tx, {
        tenant: tenant.code,
        actor: by.actor,
        action: 'tenant.created',
        target: tenant.code,
        ip: by.ip,
        details: { name: tenant.name, portal_name: tenant.portal_name, mail_domain: tenant.mail_domain },
      });
      await announceTenant(tx, tenant.code);
      return tenant;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('county.tenant_exists', 409, { tenant: input.code });
    throw error;
  }
}
