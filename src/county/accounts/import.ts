import { normalizeUsername, parseNationalId } from '../../identity/index.ts';
import { namePartsMatch } from '../../identity/naming/personal-name.ts';
import { recordAudits } from '../../platform/audit/audit-log.ts';
import { isUniqueViolation } from '../../platform/database/errors.ts';
import { AppError } from '../../platform/errors/app-error.ts';
import type { AccountState } from '../schema.ts';
import type { County } from '../services.ts';
import { insertAccounts, normalizeEmail, takenKeys } from './repository.ts';
import { IMPORTED_STATES } from './transitions.ts';

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

/** A row refused, with the line of the file it came from. */
export interface RejectedRow {
  line: number;
  username: string;
  reason: string;
}

/** `created` accounts, or none and every row that kept the file from being imported. */
export interface ImportResult {
  created: number;
  rejected: RejectedRow[];
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

export function isSupportedHash(hash: string): boolean {
  return SUPPORTED_HASH.some((re) => re.test(hash));
}

/** A row that passed the checks of its own, ready to be compared with the others and the database. */
interface CheckedRow {
  line: number;
  username: string;
  usernameKey: string;
  email: string;
  emailKey: string;
  passwordHash: string;
  unitCode: string;
  state: AccountState;
  nationalId: string | undefined;
  blindIndex: string | null;
  row: ImportRow;
}

/**
 * Imports the accounts of one file with their legacy password hashes (stored as they are: each is
 * upgraded to argon2id at the account's next login, so no password is hashed here). All or
 * nothing: when any row is refused (bad value, unknown unit, a username, email or person already
 * in the county or earlier in the file), nothing is stored and every refused row is reported.
 * Otherwise all accounts and their audit records are written in one transaction, with multi-row
 * inserts and the checks against the database made for all rows at once.
 */
export async function importAccounts(
  county: County,
  tenant: string,
  rows: readonly ImportRow[],
  actor: string,
): Promise<ImportResult> {
  const rejected: RejectedRow[] = [];
  const reject = (row: ImportRow, reason: string) =>
    rejected.push({ line: row.line, username: row.username, reason });
  const checked: CheckedRow[] = [];
  const firstLine = {
    username: new Map<string, number>(),
    email: new Map<string, number>(),
    person: new Map<string, number>(),
  };
  for (const row of rows) {
    const result = checkRow(county, row);
    if (typeof result === 'string') {
      reject(row, result);
      continue;
    }
    const repeated =
      sameAs('username', firstLine.username, result.usernameKey) ??
      sameAs('email', firstLine.email, result.emailKey) ??
      sameAs('national ID', firstLine.person, result.blindIndex);
    if (repeated) {
      reject(row, repeated);
      continue;
    }
    firstLine.username.set(result.usernameKey, row.line);
    firstLine.email.set(result.emailKey, row.line);
    if (result.blindIndex) firstLine.person.set(result.blindIndex, row.line);
    checked.push(result);
  }

  try {
    return await county.db.transaction().execute(async (tx) => {
      const units = new Set(
        (await tx.selectFrom('county_units').select('code').where('tenant', '=', tenant).execute()).map(
          (u) => u.code,
        ),
      );
      const usernames = await takenKeys(
        tx,
        tenant,
        'username',
        checked.map((c) => c.usernameKey),
      );
      const emails = await takenKeys(
        tx,
        tenant,
        'email',
        checked.map((c) => c.emailKey),
      );
      const people = await takenKeys(
        tx,
        tenant,
        'person',
        checked.flatMap((c) => (c.blindIndex ? [c.blindIndex] : [])),
      );
      for (const c of checked) {
        if (!units.has(c.unitCode)) reject(c.row, `unknown unit ${c.row.unit_code}`);
        else if (usernames.has(c.usernameKey)) reject(c.row, 'username already exists');
        else if (emails.has(c.emailKey)) reject(c.row, 'email already registered');
        else if (c.blindIndex && people.has(c.blindIndex))
          reject(c.row, 'this person already has an account');
      }
      if (rejected.length > 0) {
        rejected.sort((a, b) => a.line - b.line);
        return { created: 0, rejected };
      }
      const encrypted = await encryptAll(county, checked);
      const ids = await insertAccounts(
        tx,
        checked.map((c, i) => ({
          tenant,
          username: c.username,
          passwordHash: c.passwordHash,
          email: c.email,
          emailVerified: true,
          role: 'teacher' as const,
          state: c.state,
          unitCode: c.unitCode,
          realName: c.row.real_name?.trim() || null,
          familyName: c.row.family_name?.trim() || null,
          givenName: c.row.given_name?.trim() || null,
          nationalIdEncrypted: encrypted[i] ?? null,
          nationalIdBlindIndex: c.blindIndex,
          titles: (c.row.titles ?? '')
            .split(/[;|]/)
            .map((t) => t.trim())
            .filter(Boolean),
        })),
      );
      await recordAudits(
        tx,
        ids.map((id, i) => ({
          tenant,
          actor,
          action: 'account.imported',
          target: id,
          details: { username: checked[i]?.username },
        })),
      );
      return { created: ids.length, rejected: [] };
    });
  } catch (error) {
    // An account registered meanwhile with one of these usernames, emails or people.
    if (isUniqueViolation(error)) throw new AppError('county.import_conflict', 409);
    throw error;
  }
}

/** `same … as line N` when an earlier row of the file has this key. */
function sameAs(what: string, seen: ReadonlyMap<string, number>, key: string | null): string | undefined {
  const line = key === null ? undefined : seen.get(key);
  return line === undefined ? undefined : `same ${what} as line ${line}`;
}

function checkRow(county: County, row: ImportRow): CheckedRow | string {
  const username = row.username.trim();
  if (!LEGACY_USERNAME.test(username)) return 'invalid username';
  const email = row.email.trim();
  if (!EMAIL.test(email)) return 'invalid email';
  const passwordHash = row.password_hash.trim();
  if (!isSupportedHash(passwordHash)) return 'unsupported password hash format';
  // The file's column keeps the name operators know from the legacy export: `status`.
  const state = IMPORTED_STATES.find((s) => s === (row.status?.trim() || 'active'));
  if (!state) return `invalid status ${row.status}`;
  const realName = row.real_name?.trim() ?? '';
  const family = row.family_name?.trim() ?? '';
  const given = row.given_name?.trim() ?? '';
  if ((family || given) && !realName) return 'family or given name without a real name';
  if (realName && !namePartsMatch(realName, family, given))
    return 'family and given name do not make up the real name';
  let nationalId: string | undefined;
  if (row.national_id?.trim()) {
    const parsed = parseNationalId(row.national_id);
    if (!parsed.ok) return 'invalid national ID';
    nationalId = parsed.value;
  }
  return {
    line: row.line,
    username,
    usernameKey: normalizeUsername(username),
    email,
    emailKey: normalizeEmail(email),
    passwordHash,
    unitCode: row.unit_code.trim(),
    state,
    nationalId,
    blindIndex: nationalId ? county.vault.blindIndex(nationalId) : null,
    row,
  };
}

/** The encrypted national IDs of the rows (undefined where a row has none), a few hundred at a time. */
async function encryptAll(county: County, rows: readonly CheckedRow[]): Promise<Array<string | undefined>> {
  const out: Array<string | undefined> = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    out.push(
      ...(await Promise.all(
        chunk.map((c) => (c.nationalId ? county.vault.encrypt(c.nationalId) : undefined)),
      )),
    );
  }
  return out;
}
