// What describes a county portal apart from its code: the county's name, the portal's name (shown in
// every page header) and the domain of its official school mailboxes. Set by `edugate county tenants
// add`, changed by `… tenants edit`; the code never changes (it is in URLs and the OIDC issuer).
import type { FieldErrors } from '../registration/rules.ts';

export interface TenantDescription {
  name: string;
  portal_name: string;
  mail_domain: string;
}

export const DESCRIPTION_FIELDS = ['name', 'portal_name', 'mail_domain'] as const;

const NAME_MAX = 30;
const PORTAL_NAME_MAX = 60;
/** A DNS name of two labels or more (`hcc.edu.tw`), lower case. */
const MAIL_DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export type DescriptionField = (typeof DESCRIPTION_FIELDS)[number];

/** A field as it is stored: trimmed, the mail domain in lower case. */
export function tidyField(field: DescriptionField, value: string): string {
  return field === 'mail_domain' ? value.trim().toLowerCase() : value.trim();
}

/** The rules of the fields given (tidied): required, length and characters, mail domain form. */
export function descriptionErrors(input: Partial<TenantDescription>): FieldErrors {
  const errors: FieldErrors = {};
  const text = (field: 'name' | 'portal_name', max: number) => {
    const value = input[field];
    if (value === undefined) return;
    if (value === '') errors[field] = { key: 'register.error.required' };
    else if ([...value].length > max || /[<>\p{Cc}]/u.test(value))
      errors[field] = { key: 'manage.error.text', vars: { max } };
  };
  text('name', NAME_MAX);
  text('portal_name', PORTAL_NAME_MAX);
  const domain = input.mail_domain;
  if (domain === '') errors.mail_domain = { key: 'register.error.required' };
  else if (domain !== undefined && !MAIL_DOMAIN.test(domain))
    errors.mail_domain = { key: 'tenant.error.mail_domain' };
  return errors;
}
