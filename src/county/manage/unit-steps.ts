import { randomBytes } from 'node:crypto';
import { validateCountyUsername } from '../../identity/index.ts';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { EMAIL } from '../accounts/import.ts';
import { sendSetPasswordLink } from '../accounts/password.ts';
import { type Account, emailTaken, insertAccount, usernameTaken } from '../accounts/repository.ts';
import { parseCsvRecords } from '../csv.ts';
import { audit } from '../db.ts';
import type { FieldErrors } from '../registration/rules.ts';
import type { County } from '../services.ts';
import {
  findUnit,
  findUnitByMailbox,
  type Tenant,
  type Unit,
  type UnitInput,
  upsertUnit,
} from '../tenants/tenants.ts';
import { unitErrors } from '../tenants/unit-rules.ts';
import { hasAny } from '../views/form.ts';

/** The console's unit and reviewer steps: each checks its input, then writes with its audit record. */

const IMPORT_MAX_ROWS = 5000;

export interface Actor {
  username: string;
  ip: string;
}

/** A problem of an import: of the whole file, or of one line's field. */
export interface ImportProblem {
  key: string;
  vars?: Record<string, string | number>;
  line?: number;
  field?: string;
}

export async function createUnit(
  county: County,
  tenant: Tenant,
  input: UnitInput,
  by: Actor,
): Promise<FieldErrors> {
  const errors = unitErrors(input, tenant.mail_domain);
  if (!errors.code && (await findUnit(county.db, tenant.code, input.code)))
    errors.code = { key: 'manage.error.unit_exists' };
  if (!errors.mailbox && (await findUnitByMailbox(county.db, tenant.code, input.mailbox)))
    errors.mailbox = { key: 'manage.error.mailbox_taken' };
  if (hasAny(errors)) return errors;
  return savedUnlessTaken(() =>
    county.db.transaction().execute(async (tx) => {
      await upsertUnit(tx, tenant.code, input);
      const details = { unit: input.code, name: input.name, mailbox: input.mailbox };
      await audit(tx, {
        tenant: tenant.code,
        actor: by.username,
        action: 'unit.created',
        target: input.code,
        ip: by.ip,
        details,
      });
    }),
  );
}

/**
 * Runs a unit's save; a school code or mailbox that another save took between the checks above and
 * this one (two administrators at the same moment) is the same form error the checks give.
 */
async function savedUnlessTaken(save: () => Promise<void>): Promise<FieldErrors> {
  try {
    await save();
    return {};
  } catch (error) {
    if (isUniqueViolation(error, 'county_units_mailbox'))
      return { mailbox: { key: 'manage.error.mailbox_taken' } };
    if (isUniqueViolation(error)) return { code: { key: 'manage.error.unit_exists' } };
    throw error;
  }
}

export async function updateUnit(
  county: County,
  tenant: Tenant,
  unit: Unit,
  input: UnitInput,
  by: Actor,
): Promise<FieldErrors> {
  const errors = unitErrors(input, tenant.mail_domain);
  const other = errors.mailbox ? undefined : await findUnitByMailbox(county.db, tenant.code, input.mailbox);
  if (other && other.code !== unit.code) errors.mailbox = { key: 'manage.error.mailbox_taken' };
  if (hasAny(errors)) return errors;
  return savedUnlessTaken(() =>
    county.db.transaction().execute(async (tx) => {
      await upsertUnit(tx, tenant.code, input);
      const details = { unit: unit.code, name: input.name, mailbox: input.mailbox, active: input.active };
      await audit(tx, {
        tenant: tenant.code,
        actor: by.username,
        action: 'unit.updated',
        target: unit.code,
        ip: by.ip,
        details,
      });
    }),
  );
}

function importProblems(
  tenant: Tenant,
  header: readonly string[],
  inputs: readonly UnitInput[],
): ImportProblem[] {
  const problems: ImportProblem[] = [];
  if (!['code', 'name', 'mailbox'].every((h) => header.includes(h)))
    problems.push({ key: 'manage.units.import.header' });
  if (inputs.length === 0 || inputs.length > IMPORT_MAX_ROWS)
    problems.push({ key: 'manage.units.import.count', vars: { max: IMPORT_MAX_ROWS } });
  const seenCodes = new Set<string>();
  const seenMailboxes = new Set<string>();
  inputs.forEach((input, i) => {
    const line = i + 2;
    for (const [field, error] of Object.entries(unitErrors(input, tenant.mail_domain))) {
      if (error) problems.push({ ...error, line, field });
    }
    if (seenCodes.has(input.code)) problems.push({ key: 'manage.error.unit_exists', line, field: 'code' });
    seenCodes.add(input.code);
    const mailbox = input.mailbox.toLowerCase();
    if (seenMailboxes.has(mailbox))
      problems.push({ key: 'manage.error.mailbox_taken', line, field: 'mailbox' });
    seenMailboxes.add(mailbox);
  });
  return problems;
}

/** Units from CSV, all or nothing: any invalid line and no unit is changed. */
export async function importUnits(
  county: County,
  tenant: Tenant,
  csv: string,
  by: Actor,
): Promise<{ problems: ImportProblem[]; count: number }> {
  const { header, records } = parseCsvRecords(csv);
  const inputs: UnitInput[] = records.map((r) => ({
    code: r.code ?? '',
    name: r.name ?? '',
    abbreviation: r.abbreviation || null,
    mailbox: r.mailbox ?? '',
    active: !['no', 'false', '0'].includes((r.active ?? 'yes').toLowerCase()),
  }));
  const problems = importProblems(tenant, header, inputs);
  if (problems.length > 0) return { problems, count: 0 };
  try {
    await county.db.transaction().execute(async (tx) => {
      let created = 0;
      for (const input of inputs) if ((await upsertUnit(tx, tenant.code, input)) === 'created') created++;
      const details = { created, updated: inputs.length - created };
      await audit(tx, {
        tenant: tenant.code,
        actor: by.username,
        action: 'unit.imported',
        ip: by.ip,
        details,
      });
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { problems: [{ key: 'manage.error.mailbox_taken' }], count: 0 };
  }
  return { problems: [], count: inputs.length };
}

export interface ReviewerInput {
  username: string;
  email: string;
  unit: string;
}

async function reviewerErrors(county: County, tenant: Tenant, v: ReviewerInput): Promise<FieldErrors> {
  const errors: FieldErrors = {};
  const [violation] =
    v.username === '' ? [{ code: 'required' }] : validateCountyUsername(v.username.slice(0, 64));
  if (violation)
    errors.username = {
      key: violation.code === 'required' ? 'register.error.required' : `register.error.${violation.code}`,
      vars: { term: '' },
    };
  else if (await usernameTaken(county.db, tenant.code, v.username))
    errors.username = { key: 'register.error.username.taken' };
  if (v.email === '' || v.email.length > 254 || !EMAIL.test(v.email))
    errors.email = { key: 'register.error.email.format' };
  else if (await emailTaken(county.db, tenant.code, v.email))
    errors.email = { key: 'register.error.email.taken' };
  return errors;
}

/**
 * A reviewer account bound to one active unit, with a mailed link to set its password; the
 * account, its audit record and the mail are written together.
 */
export async function createReviewer(
  county: County,
  tenant: Tenant,
  v: ReviewerInput,
  by: Actor,
): Promise<{ ok: true; account: Account } | { ok: false; errors: FieldErrors; conflict?: boolean }> {
  const errors = await reviewerErrors(county, tenant, v);
  const unit = await findUnit(county.db, tenant.code, v.unit);
  if (!unit?.active) errors.unit = { key: 'register.error.mailbox.unknown' };
  if (hasAny(errors) || !unit) return { ok: false, errors };
  const passwordHash = await county.hasher.hash(randomBytes(32).toString('base64url'));
  try {
    const account = await county.db.transaction().execute(async (tx) => {
      const created = await insertAccount(tx, {
        tenant: tenant.code,
        username: v.username,
        passwordHash,
        email: v.email,
        emailVerified: true,
        role: 'reviewer',
        state: 'active',
        unitCode: unit.code,
        unitConfirmed: true,
      });
      const details = { unit: unit.code, username: created.username };
      await audit(tx, {
        tenant: tenant.code,
        actor: by.username,
        action: 'reviewer.created',
        target: created.id,
        ip: by.ip,
        details,
      });
      await sendSetPasswordLink(county, tx, tenant, created);
      return created;
    });
    return { ok: true, account };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return { ok: false, errors: { username: { key: 'register.error.username.taken' } }, conflict: true };
  }
}
