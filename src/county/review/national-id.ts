// Correcting a teacher's national ID: a teacher who recorded a wrong number asks the school's
// reviewer, who checks the teacher's document and records the right number in the review console.
// The old number stops matching at once (new ciphertext and new blind index); the teacher is told
// by mail, and the correction is in the audit log (and the unit's trail in the console).
import { maskNationalId, parseNationalId } from '../../identity/index.ts';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import {
  type Account,
  dropNationalIdSubmission,
  findAccountByBlindIndex,
  findAccountById,
  setNationalId,
  unitStaffWithSubmittedNationalId,
} from '../accounts/repository.ts';
import { auditAccount } from '../db.ts';
import { mailAccount } from '../mail-text.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import { findUnit, type Tenant } from '../tenants/tenants.ts';

export interface CorrectionInput {
  tenant: Tenant;
  accountId: string;
  nationalId: string;
  /** The reviewer's username. */
  actor: string;
  ip: string;
  /** A reviewer's own unit: only its staff can be corrected; undefined for county administrators. */
  unitCode: string | undefined;
}

/** The account a reviewer (or a county administrator) may correct: active or suspended staff. */
export async function correctableAccount(
  county: County,
  tenant: Tenant,
  accountId: string,
  unitCode: string | undefined,
): Promise<Account> {
  const account = await findAccountById(county.db, tenant.code, accountId);
  if (!account || !['active', 'suspended'].includes(account.state)) throw new AppError('not_found', 404);
  if (unitCode !== undefined && account.unit_code !== unitCode) throw new AppError('forbidden', 403);
  return account;
}

export type CorrectionResult = { ok: true; masked: string } | { ok: false; errors: FieldErrors };

const refused = (key: string): CorrectionResult => ({ ok: false, errors: { national_id: { key } } });

export async function correctNationalId(county: County, input: CorrectionInput): Promise<CorrectionResult> {
  const { tenant } = input;
  const account = await correctableAccount(county, tenant, input.accountId, input.unitCode);
  if (input.nationalId === '') return refused('register.error.required');
  const parsed = parseNationalId(input.nationalId.slice(0, 20));
  if (!parsed.ok) return refused(`profile.error.national_id.${parsed.reason}`);
  const blindIndex = county.vault.blindIndex(parsed.value);
  if (account.national_id_blind_index === blindIndex) return refused('review.national_id.error.same');
  const holder = await findAccountByBlindIndex(county.db, tenant.code, blindIndex);
  if (holder && holder.id !== account.id) return refused('review.national_id.error.held');
  const encrypted = await county.vault.encrypt(parsed.value);
  const masked = maskNationalId(parsed.value);
  const unit = account.unit_code ? await findUnit(county.db, tenant.code, account.unit_code) : undefined;
  try {
    await county.db.transaction().execute(async (tx) => {
      await setNationalId(tx, account.id, { encrypted, blindIndex });
      await auditAccount(tx, account, {
        actor: input.actor,
        action: 'profile.national_id_corrected',
        ip: input.ip,
        details: { unit: account.unit_code, kind: parsed.kind, had: account.national_id_encrypted !== null },
      });
      await mailAccount(tx, tenant, account, 'mail.national_id_corrected', {
        unit: unit?.name ?? account.unit_code ?? '',
        masked,
      });
    });
  } catch (error) {
    if (isUniqueViolation(error, 'county_accounts_person')) return refused('review.national_id.error.held');
    throw error;
  }
  return { ok: true, masked };
}

export interface SubmissionDecision {
  tenant: Tenant;
  accountId: string;
  /** The reviewer's username. */
  actor: string;
  ip: string;
  unitCode: string | undefined;
}

/** Staff of the reviewer's unit whose typed number waits for the reviewer. */
export function pendingNationalIds(county: County, tenant: string, unitCode: string): Promise<Account[]> {
  return unitStaffWithSubmittedNationalId(county.db, tenant, unitCode);
}

/**
 * The reviewer has checked the teacher's document against the number the teacher typed: it is
 * recorded, unless another account of the county holds it (then it stays waiting, and the reviewer
 * declines it or asks the county network center).
 */
export async function confirmNationalId(
  county: County,
  input: SubmissionDecision,
): Promise<CorrectionResult | { ok: 'gone' }> {
  const { tenant } = input;
  const account = await correctableAccount(county, tenant, input.accountId, input.unitCode);
  const sealed = account.national_id_submitted_encrypted;
  if (!sealed || account.national_id_encrypted) return { ok: 'gone' };
  const number = await county.vault.decrypt(sealed);
  const parsed = parseNationalId(number);
  if (!parsed.ok) return refused(`profile.error.national_id.${parsed.reason}`);
  const blindIndex = county.vault.blindIndex(parsed.value);
  const holder = await findAccountByBlindIndex(county.db, tenant.code, blindIndex);
  if (holder && holder.id !== account.id) return refused('review.national_id.error.held');
  const masked = maskNationalId(parsed.value);
  try {
    await county.db.transaction().execute(async (tx) => {
      await setNationalId(tx, account.id, { encrypted: sealed, blindIndex }, { onlyIfUnset: true });
      await auditAccount(tx, account, {
        actor: input.actor,
        action: 'profile.national_id_confirmed',
        ip: input.ip,
        details: { unit: account.unit_code, kind: parsed.kind },
      });
      await mailAccount(tx, tenant, account, 'mail.national_id_confirmed', { masked });
    });
  } catch (error) {
    if (isUniqueViolation(error, 'county_accounts_person')) return refused('review.national_id.error.held');
    throw error;
  }
  return { ok: true, masked };
}

/** The reviewer does not record the number (it does not match the document, or it is held). */
export async function declineNationalId(county: County, input: SubmissionDecision): Promise<void> {
  const { tenant } = input;
  const account = await correctableAccount(county, tenant, input.accountId, input.unitCode);
  if (!account.national_id_submitted_encrypted) return;
  const unit = account.unit_code ? await findUnit(county.db, tenant.code, account.unit_code) : undefined;
  await county.db.transaction().execute(async (tx) => {
    await dropNationalIdSubmission(tx, account.id);
    await auditAccount(tx, account, {
      actor: input.actor,
      action: 'profile.national_id_declined',
      ip: input.ip,
      details: { unit: account.unit_code },
    });
    await mailAccount(tx, tenant, account, 'mail.national_id_declined', {
      unit: unit?.name ?? account.unit_code ?? '',
    });
  });
}
