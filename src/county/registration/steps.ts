import { normalizeUsername } from '../../identity/index.ts';
import { rateLimited } from '../../platform/errors/app-error.ts';
import { emailTaken, normalizeEmail, usernameTaken } from '../accounts/repository.ts';
import type { HelpPage } from '../content/pages.ts';
import type { County } from '../services.ts';
import { findUnitByMailbox, listUnits, type Tenant } from '../tenants/tenants.ts';
import { completeStep, type RegistrationFlow } from './flow.ts';
import { credentialErrors, emailErrors, type FieldErrors, hasErrors, MAX_EMAIL } from './rules.ts';

/**
 * The registration's form steps (how-to 一, steps 1–3): each checks its input and, when it is
 * acceptable, records it on the flow and moves the flow on. The last step is `submitRegistration`.
 */

// Whether a username or e-mail is taken tells that an account exists: a budget per address.
async function checkAvailabilityBudget(county: County, ip: string): Promise<void> {
  const wait = await county.availabilityThrottle.take([`ip:${ip}`]);
  if (wait > 0) throw rateLimited(wait);
}

export async function saveCredentials(
  county: County,
  tenant: Tenant,
  flow: RegistrationFlow,
  input: { username: string; password: string; confirmation: string },
  ip: string,
): Promise<FieldErrors> {
  const errors = credentialErrors(input, await listUnits(county.db, tenant.code), {
    passwordOptional: Boolean(flow.password_hash),
  });
  if (!errors.username) await checkAvailabilityBudget(county, ip);
  if (!errors.username && (await usernameTaken(county.db, tenant.code, input.username))) {
    errors.username = { key: 'register.error.username.taken' };
  }
  if (hasErrors(errors)) return errors;
  const passwordHash = input.password ? await county.hasher.hash(input.password) : flow.password_hash;
  await completeStep(county.db, flow, 'saveCredentials', {
    username: input.username,
    username_normalized: normalizeUsername(input.username),
    password_hash: passwordHash,
  });
  return {};
}

export async function saveEmail(
  county: County,
  tenant: Tenant,
  flow: RegistrationFlow,
  email: string,
  ip: string,
): Promise<FieldErrors> {
  const isUnitMailbox =
    email !== '' && Boolean(await findUnitByMailbox(county.db, tenant.code, email.slice(0, MAX_EMAIL)));
  const errors = emailErrors(email, isUnitMailbox);
  if (!hasErrors(errors)) await checkAvailabilityBudget(county, ip);
  if (!hasErrors(errors) && (await emailTaken(county.db, tenant.code, email))) {
    errors.email = { key: 'register.error.email.taken' };
  }
  if (hasErrors(errors)) return errors;
  await completeStep(county.db, flow, 'saveEmail', { email, email_normalized: normalizeEmail(email) });
  return {};
}

/** The terms accepted in the version the applicant read (a changed text is shown again). */
export async function acceptTerms(
  county: County,
  flow: RegistrationFlow,
  terms: HelpPage,
  input: { accept: string; version: string },
): Promise<FieldErrors> {
  if (input.accept !== 'yes') return { accept: { key: 'register.error.terms.required' } };
  if (input.version !== String(terms.version)) return { accept: { key: 'register.error.terms.changed' } };
  await completeStep(county.db, flow, 'acceptTerms', {
    terms_version: String(terms.version),
    terms_accepted_at: new Date(),
  });
  return {};
}
