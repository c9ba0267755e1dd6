import { EMAIL } from '../accounts/import.ts';
import type { FieldErrors } from '../registration/rules.ts';
import { normalizeMailbox, type UnitInput } from './tenants.ts';

/** 學校代碼: usually 6 characters; some units use other alphanumeric codes (SPEC §5). */
export const UNIT_CODE = /^[0-9A-Za-z]{6,8}$/;
const NAME_MAX = 100;
const ABBREVIATION_MAX = 30;

export function unitErrors(input: UnitInput, mailDomain: string): FieldErrors {
  const errors: FieldErrors = {};
  if (!UNIT_CODE.test(input.code)) errors.code = { key: 'manage.error.unit_code' };
  if (input.name === '') errors.name = { key: 'register.error.required' };
  else if ([...input.name].length > NAME_MAX || /[<>]/.test(input.name))
    errors.name = { key: 'manage.error.text', vars: { max: NAME_MAX } };
  if (
    input.abbreviation &&
    ([...input.abbreviation].length > ABBREVIATION_MAX || /[<>]/.test(input.abbreviation))
  ) {
    errors.abbreviation = { key: 'manage.error.text', vars: { max: ABBREVIATION_MAX } };
  }
  const mailbox = normalizeMailbox(input.mailbox);
  if (mailbox === '') errors.mailbox = { key: 'register.error.required' };
  else if (
    mailbox.length > 254 ||
    !EMAIL.test(mailbox) ||
    !mailbox.endsWith(`@${mailDomain.toLowerCase()}`)
  ) {
    errors.mailbox = { key: 'register.error.mailbox.format', vars: { domain: mailDomain } };
  }
  return errors;
}
