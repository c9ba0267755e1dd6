// Education-cloud account names, the local part of `name@mail.edu.tw` and of the Google address
// `name@go.edu.tw` (SPEC §2, §8): `[a-z][a-z0-9_.]{5,19}`, no trailing dot, no two dots in a row.

export const ACCOUNT_NAME_MIN_LENGTH = 6;
export const ACCOUNT_NAME_MAX_LENGTH = 20;

export type AccountNameViolationCode =
  | 'account_name.start'
  | 'account_name.length'
  | 'account_name.characters'
  | 'account_name.dots'
  | 'account_name.reserved';

export type AccountNameViolation = { code: AccountNameViolationCode };

// Role, system and institution names that would let an account impersonate staff or a service.
export const RESERVED_ACCOUNT_NAMES: ReadonlySet<string> = new Set([
  'abuse',
  'account',
  'accounts',
  'admin',
  'administrator',
  'anonymous',
  'api',
  'billing',
  'cloud',
  'contact',
  'daemon',
  'dns',
  'edu',
  'educloud',
  'edugate',
  'everyone',
  'ftp',
  'google',
  'gsuite',
  'guest',
  'help',
  'helpdesk',
  'hostmaster',
  'imap',
  'info',
  'k12',
  'list',
  'login',
  'logout',
  'mail',
  'mailer-daemon',
  'mailerdaemon',
  'manager',
  'microsoft',
  'ministry',
  'moderator',
  'moe',
  'news',
  'nobody',
  'noc',
  'no-reply',
  'noreply',
  'null',
  'office365',
  'official',
  'oidc',
  'openid',
  'operator',
  'owner',
  'pop',
  'postmaster',
  'privacy',
  'register',
  'root',
  'saml',
  'security',
  'service',
  'services',
  'signin',
  'signup',
  'smtp',
  'sso',
  'superuser',
  'support',
  'sysadmin',
  'system',
  'tanet',
  'test',
  'undefined',
  'webmaster',
  'workspace',
  'www',
]);

const ALLOWED = /^[a-z0-9_.]*$/;
const STARTS_WITH_LETTER = /^[a-z]/;
/**
 * The same rule as an HTML `pattern` (the browser checks it before the server does): every dot is
 * followed by a letter, digit or underscore.
 */
export const CLOUD_ACCOUNT_NAME_PATTERN = '[a-z](?:[a-z0-9_]|\\.(?=[a-z0-9_])){5,19}';
/** Google refuses a local part that ends with a dot or has two dots in a row (RFC 5321 dot-atom too). */
const BAD_DOTS = /\.\.|\.$/;

/** What a user probably meant: trimmed and lowercased. Validate the result, not the raw input. */
export function normalizeAccountName(input: string): string {
  return input.trim().toLowerCase();
}

/**
 * Reserved when the name, or its skeleton (dots and underscores removed, trailing digits removed),
 * is on the list: `admin`, `ad.min`, `root_01` and `support2` are all refused.
 */
export function isReservedAccountName(name: string): boolean {
  const lower = name.toLowerCase();
  const skeleton = lower.replace(/[._]/g, '').replace(/\d+$/, '');
  return RESERVED_ACCOUNT_NAMES.has(lower) || RESERVED_ACCOUNT_NAMES.has(skeleton);
}

/** Every rule the name breaks; empty when it is acceptable. No trimming or case folding here. */
export function validateCloudAccountName(name: string): AccountNameViolation[] {
  const violations: AccountNameViolation[] = [];
  if (!STARTS_WITH_LETTER.test(name)) violations.push({ code: 'account_name.start' });
  const length = [...name].length;
  if (length < ACCOUNT_NAME_MIN_LENGTH || length > ACCOUNT_NAME_MAX_LENGTH) {
    violations.push({ code: 'account_name.length' });
  }
  if (!ALLOWED.test(name)) violations.push({ code: 'account_name.characters' });
  if (BAD_DOTS.test(name)) violations.push({ code: 'account_name.dots' });
  if (isReservedAccountName(name)) violations.push({ code: 'account_name.reserved' });
  return violations;
}

export function isValidCloudAccountName(name: string): boolean {
  return validateCloudAccountName(name).length === 0;
}

export type AccountNameSeed = { username?: string | undefined; email?: string | undefined };

const PADDING = '123456789';
const FALLBACK_BASE = 'teacher';
const MAX_LOOKUPS = 200;

/** Turns free text into a valid-looking base name, or undefined when nothing usable is left. */
export function accountNameBase(raw: string): string | undefined {
  let base = raw
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^a-z0-9_.]/g, '')
    .replace(/([._])[._]+/g, '$1')
    .replace(/^[._]+|[._]+$/g, '');
  if (base === '') return undefined;
  if (!STARTS_WITH_LETTER.test(base)) base = `t${base}`;
  base = trimTo(base, ACCOUNT_NAME_MAX_LENGTH);
  if (base.length < ACCOUNT_NAME_MIN_LENGTH) base += PADDING.slice(0, ACCOUNT_NAME_MIN_LENGTH - base.length);
  return base;
}

function trimTo(base: string, length: number): string {
  return base.slice(0, length).replace(/[._]+$/, '');
}

function emailLocalPart(email: string): string {
  const at = email.lastIndexOf('@');
  const local = at < 0 ? email : email.slice(0, at);
  // Sub-addresses (`name+tag@`) are not part of the person's name.
  return local.split('+')[0] ?? '';
}

function withSuffix(base: string, suffix: string): string {
  return trimTo(base, ACCOUNT_NAME_MAX_LENGTH - suffix.length) + suffix;
}

/** name, name2, name.tw, name_1, name3, name_2, …, name99, name_98 */
function* variants(base: string): Generator<string> {
  yield base;
  yield withSuffix(base, '2');
  yield withSuffix(base, '.tw');
  yield withSuffix(base, '_1');
  for (let n = 3; n <= 99; n++) {
    yield withSuffix(base, String(n));
    yield withSuffix(base, `_${n - 1}`);
  }
}

function* candidates(seed: AccountNameSeed): Generator<string> {
  const bases = [seed.username, seed.email === undefined ? undefined : emailLocalPart(seed.email)]
    .map((raw) => (raw === undefined ? undefined : accountNameBase(raw)))
    .filter((base): base is string => base !== undefined && !isReservedAccountName(base));
  if (bases.length === 0) bases.push(FALLBACK_BASE);
  // Each base itself first, then the variants of each in turn.
  for (const base of bases) yield base;
  for (const base of bases) yield* variants(base);
}

/**
 * Up to `count` free, valid names derived from the county username or the email's local part
 * (a generic base when neither gives anything usable; reserved bases are never varied).
 * `isTaken` is called one name at a time, at most a bounded number of times.
 */
export async function suggestAccountNames(
  seed: AccountNameSeed,
  isTaken: (name: string) => Promise<boolean>,
  count = 5,
): Promise<string[]> {
  const suggestions: string[] = [];
  const seen = new Set<string>();
  let lookups = 0;
  for (const candidate of candidates(seed)) {
    if (suggestions.length >= count || lookups >= MAX_LOOKUPS) break;
    if (seen.has(candidate)) continue;
    seen.add(candidate);
    if (!isValidCloudAccountName(candidate)) continue;
    lookups++;
    if (!(await isTaken(candidate))) suggestions.push(candidate);
  }
  return suggestions;
}
