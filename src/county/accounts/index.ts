export {
  type AuthFailure,
  type AuthResult,
  authenticate,
  type Credentials,
  captchaRequired,
} from './authenticate.ts';
export { type CountyIdentityClaims, identityClaims } from './claims.ts';
export { type ProfileCompleteness, type ProfileGap, profileCompleteness } from './profile.ts';
export {
  type Account,
  type AccountSearch,
  findAccountByEmail,
  findAccountById,
  findAccountByUsername,
  insertAccount,
  type NewAccount,
  normalizeEmail,
  searchAccounts,
  transitionAccount,
} from './repository.ts';
