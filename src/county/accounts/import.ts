import { parseNationalId } from '../../identity/index.ts';
import { audit, isUniqueViolation } from '../db.ts';
import type { AccountStatus } from '../schema.ts';
import type { County } from '../services.ts';
import { findUnit } from '../tenants/tenants.ts';
import { emailTaken, findAccountByBlindIndex, insertAccount, usernameTaken } from './repository.ts';

/** One account from an older portal, with the password hash as that portal stored it. */
export interface ImportRow {
  line: number;
  username: string;
  email: string;
  password_hash: string;
  unit_code: string;
  real_name?: string;
  family_name?: string;
  given_name?: string;
  national_id?: string;
  titles?: string;
  status?: string;
}

export interface ImportResult {
  created: number;
  skipped: Array<{ line: number; username: string; reason: string }>;
}

// The formats PasswordHasher verifies: argon2 (PHC), bcrypt, `sha256$salt$hex`, `md5$hex`.
const SUPPORTED_HASH = [
  /^\$argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/,
  /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/,
  /^sha256\$[^$]*\$[0-9a-fA-F]{64}$/,
  /^md5\$[0-9a-fA-F]{32}$/,
];
const LEGACY_USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const EMAIL =
  /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;
const IMPORT_STATUSES: readonly AccountStatus[] = ['active', 'suspended', 'departed'];

export function isSupportedHash(hash: string): boolean {
  return SUPPORTED_HASH.some((re) => re.test(hash));
}

/**
 * Imports accounts with their legacy password hashes (upgraded to argon2id at the next login).
 * Each row is validated and stored in its own transaction with its audit record: a bad row is
 * reported and skipped, never half-stored.
 */
export async function importAccounts(
  county: County,
  tenant: string,
  rows: readonly ImportRow[],
  actor: string,
): Promise<ImportResult> {
  const result: ImportResult = { created: 0, skipped: [] };
  for (const row of rows) {
    const reason = await importOne(county, tenant, row, actor);
    if (reason) result.skipped.push({ line: row.line, username: row.username, reason });
    else result.created++;
  }
  return result;
}

async function importOne(
  county: County,
  tenant: string,
  row: ImportRow,
  actor: string,
): Promise<string | undefined> {
  const username = row.username.trim();
  if (!LEGACY_USERNAME.test(username)) return 'invalid username';
  if (!EMAIL.test(row.email.trim())) return 'invalid email';
  if (!isSupportedHash(row.password_hash.trim())) return 'unsupported password hash format';
  const status = (row.status?.trim() || 'active') as AccountStatus;
  if (!IMPORT_STATUSES.includes(status)) return `invalid status ${row.status}`;
  let nationalId: string | undefined;
  if (row.national_id?.trim()) {
    const parsed = parseNationalId(row.national_id);
    if (!parsed.ok) return 'invalid national ID';
    nationalId = parsed.value;
  }
  try {
    return await county.db.transaction().execute(async (tx) => {
      if (!(await findUnit(tx, tenant, row.unit_code.trim()))) return `unknown unit ${row.unit_code}`;
      if (await usernameTaken(tx, tenant, username)) return 'username already exists';
      if (await emailTaken(tx, tenant, row.email)) return 'email already registered';
      const blindIndex = nationalId ? county.vault.blindIndex(nationalId) : null;
      if (blindIndex && (await findAccountByBlindIndex(tx, tenant, blindIndex))) {
        return 'this person already has an account';
      }
      const account = await insertAccount(tx, {
        tenant,
        username,
        passwordHash: row.password_hash.trim(),
        email: row.email,
        emailVerified: true,
        role: 'teacher',
        status,
        unitCode: row.unit_code.trim(),
        realName: row.real_name?.trim() || null,
        familyName: row.family_name?.trim() || null,
        givenName: row.given_name?.trim() || null,
        nationalIdEncrypted: nationalId ? await county.vault.encrypt(nationalId) : null,
        nationalIdBlindIndex: blindIndex,
        titles: (row.titles ?? '')
          .split(/[;|]/)
          .map((s) => s.trim())
          .filter(Boolean),
      });
      await audit(tx, {
        tenant,
        actor,
        action: 'account.imported',
        target: account.id,
        details: { username },
      });
      return undefined;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return 'duplicate (username, email or person)';
    throw error;
  }
}
