// A tenant's county administrator created by the operator (`edugate county admins add`), e.g. the
// first one of a new county: an active account without a usable password, which its owner chooses
// through a mailed one-time link (the reset link), all in one transaction with the audit record.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import { sendSetPasswordLink } from '../accounts/password.ts';
import { type Account, emailTaken, insertAccount, usernameTaken } from '../accounts/repository.ts';
import { audit } from '../db.ts';
import { nameErrors, splitName } from '../profile/profile.ts';
import { emailErrors, type FieldErrors, usernameErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import { listUnits, type Tenant } from './tenants.ts';

/** The admin API body; missing fields read as empty so that the rules name them. */
export const newCountyAdminBody = z.object({
  actor: z.string().min(1).max(64).default('cli'),
  username: z.string().max(200).default(''),
  email: z.string().max(1000).default(''),
  real_name: z.string().max(200).default(''),
});

export interface NewCountyAdmin {
  username: string;
  email: string;
  /** May be empty: the administrator fills it in on the profile page. */
  real_name: string;
}

/** The registration's username and email rules, and the profile's name rules when a name is given. */
export async function countyAdminErrors(
  county: County,
  tenant: Tenant,
  input: NewCountyAdmin,
): Promise<FieldErrors> {
  const units = await listUnits(county.db, tenant.code);
  const errors: FieldErrors = {
    ...usernameErrors(input.username, units),
    ...emailErrors(input.email, false),
  };
  if (input.real_name !== '') {
    errors.real_name = nameErrors({ realName: input.real_name, familyName: '', givenName: '' }).real_name;
  }
  return errors;
}

export interface CreatedCountyAdmin {
  account: Account;
  /** When the mailed set-password link stops working. */
  linkExpires: Date;
}

/**
 * Creates the administrator (valid input, see `countyAdminErrors`) and queues the mail with its
 * set-password link. A username or email already used in the tenant (case-insensitively) is 409.
 */
export async function createCountyAdmin(
  county: County,
  tenant: Tenant,
  input: NewCountyAdmin,
  by: { actor: string; ip: string },
): Promise<CreatedCountyAdmin> {
  const usernameInUse = () =>
    new AppError('county.username_taken', 409, { tenant: tenant.code, username: input.username });
  const emailInUse = () =>
    new AppError('county.email_taken', 409, { tenant: tenant.code, email: input.email });
  if (await usernameTaken(county.db, tenant.code, input.username)) throw usernameInUse();
  if (await emailTaken(county.db, tenant.code, input.email)) throw emailInUse();
  // A password nobody knows: the administrator chooses one through the link.
  const passwordHash = await county.hasher.hash(randomBytes(32).toString('base64url'));
  const { family, given } = splitName({ realName: input.real_name, familyName: '', givenName: '' });
  try {
    return await county.db.transaction().execute(async (tx) => {
      const account = await insertAccount(tx, {
        tenant: tenant.code,
        username: input.username,
        passwordHash,
        email: input.email,
        emailVerified: true,
        role: 'county_admin',
        state: 'active',
        unitCode: null,
        realName: input.real_name || null,
        familyName: family,
        givenName: given,
      });
      await audit(tx, {
        tenant: tenant.code,
        actor: by.actor,
        action: 'county_admin.created',
        target: account.id,
        ip: by.ip,
        details: { username: account.username, email: account.email },
      });
      return { account, linkExpires: await sendSetPasswordLink(county, tx, tenant, account) };
    });
  } catch (error) {
    if (isUniqueViolation(error, 'county_accounts_username')) throw usernameInUse();
    if (isUniqueViolation(error, 'county_accounts_email')) throw emailInUse();
    throw error;
  }
}
