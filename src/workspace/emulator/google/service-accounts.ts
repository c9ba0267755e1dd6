import { createPublicKey, generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Kysely } from 'kysely';
import type { PlatformTables } from '../../../platform/database/platform-schema.ts';
import type { GoogleTables } from './schema.ts';

type Db = Kysely<GoogleTables & PlatformTables>;

/** Google's token URI, as a service account key names it and google-auth-library signs it into `aud`. */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';

/** The fields of a service account's JSON key that the JWT bearer grant uses (as Google's console downloads it). */
export interface ServiceAccountKeyFile {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  token_uri: string;
}

/** A new key of a service account: the JSON key file, private key included (it is stored nowhere else). */
export function newServiceAccountKey(account: {
  clientEmail: string;
  clientId: string;
}): ServiceAccountKeyFile {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    type: 'service_account',
    project_id: account.clientEmail.split('@')[1]?.split('.')[0] ?? 'edugate',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: account.clientEmail,
    client_id: account.clientId,
    token_uri: GOOGLE_TOKEN_URI,
  };
}

/** The stand-in learns a key's public half (the console's "add key"), keyed by the key ID. */
export async function registerServiceAccountKey(db: Db, key: ServiceAccountKeyFile): Promise<void> {
  const publicKeyPem = createPublicKey(key.private_key).export({ type: 'spki', format: 'pem' }).toString();
  await db
    .insertInto('google_service_account_keys')
    .values({
      key_id: key.private_key_id,
      client_email: key.client_email,
      client_id: key.client_id,
      public_key_pem: publicKeyPem,
    })
    .onConflict((oc) => oc.column('key_id').doNothing())
    .execute();
}

/** Domain-wide delegation (Admin console → Security → API controls): `clientId` may use `scopes` as any user. */
export async function delegateDomainWide(db: Db, clientId: string, scopes: readonly string[]): Promise<void> {
  const value = scopes.join(' ');
  await db
    .insertInto('google_delegations')
    .values({ client_id: clientId, scopes: value })
    .onConflict((oc) => oc.column('client_id').doUpdateSet({ scopes: value }))
    .execute();
}

/** The public keys of a service account (by its e-mail address). */
export async function serviceAccountKeys(db: Db, clientEmail: string) {
  return db
    .selectFrom('google_service_account_keys')
    .select(['key_id', 'client_id', 'public_key_pem'])
    .where('client_email', '=', clientEmail)
    .execute();
}

/** The scopes delegated domain-wide to `clientId` (empty when none). */
export async function delegatedScopes(db: Db, clientId: string): Promise<Set<string>> {
  const row = await db
    .selectFrom('google_delegations')
    .select('scopes')
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  return new Set((row?.scopes ?? '').split(/\s+/).filter(Boolean));
}

/** The demo's service account, in the stand-in's project. */
export const DEMO_SERVICE_ACCOUNT = {
  clientEmail: 'edugate-provisioning@edugate-demo.iam.gserviceaccount.com',
};

/**
 * The demo's service account key file at `path`: read, or created once (mode 600) with a new key,
 * as an administrator downloads it from the console. The demo's workspace role uses it through
 * `GOOGLE_SERVICE_ACCOUNT_FILE` like production; the stand-in registers its public key.
 */
export function demoServiceAccountFile(path: string): ServiceAccountKeyFile {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as ServiceAccountKeyFile;
  const key = newServiceAccountKey({
    clientEmail: DEMO_SERVICE_ACCOUNT.clientEmail,
    clientId: String(randomInt(10 ** 11, 10 ** 12 - 1)) + String(randomInt(10 ** 8, 10 ** 9 - 1)),
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600 });
  return key;
}
