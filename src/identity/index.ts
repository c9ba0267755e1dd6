export {
  ACCOUNT_NAME_MAX_LENGTH,
  ACCOUNT_NAME_MIN_LENGTH,
  type AccountNameSeed,
  type AccountNameViolation,
  type AccountNameViolationCode,
  accountNameBase,
  CLOUD_ACCOUNT_NAME_PATTERN,
  isReservedAccountName,
  isValidCloudAccountName,
  normalizeAccountName,
  RESERVED_ACCOUNT_NAMES,
  suggestAccountNames,
  validateCloudAccountName,
} from './naming/cloud-account-name.ts';
export {
  COUNTY_USERNAME_MAX_LENGTH,
  COUNTY_USERNAME_MIN_LENGTH,
  normalizeUsername,
  type UnitNaming,
  type UsernameViolation,
  type UsernameViolationCode,
  validateCountyUsername,
} from './naming/county-username.ts';
export { type NameParts, namePartsMatch, splitPersonalName } from './naming/personal-name.ts';
export {
  isValidNationalId,
  looksLikeNationalId,
  maskNationalId,
  type NationalIdKind,
  type NationalIdParseResult,
  normalizeNationalId,
  parseNationalId,
} from './national-id/national-id.ts';
export {
  generateKey,
  type KeyRing,
  NationalIdVault,
  NationalIdVaultError,
  type NationalIdVaultOptions,
  nationalIdGuid,
  parseKeyRing,
} from './national-id/vault.ts';
export {
  AbandonedError,
  type Argon2Params,
  DEFAULT_ARGON2_PARAMS,
  type HashCallOptions,
  type HasherStats,
  OverloadedError,
  PasswordHasher,
  type PasswordHasherOptions,
  UnsupportedHashError,
  type VerifyResult,
} from './passwords/hasher.ts';
export {
  isCommonPassword,
  loadCommonPasswords,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  type PasswordCandidate,
  type PasswordViolation,
  type PasswordViolationCode,
  passwordLength,
  validatePassword,
} from './passwords/policy.ts';
