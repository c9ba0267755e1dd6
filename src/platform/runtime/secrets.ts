import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/options.ts';

export interface Secrets {
  /** Signs one-time links and other HMACs. */
  secret: string;
  /** `kid:key,…`, the first current (national-ID encryption). */
  nationalIdKeys: string;
  blindIndexKey: string;
  adminToken: string;
  /** Initial access token of OIDC Dynamic Client Registration; registration is closed without one. */
  registrationToken: string | undefined;
}

type GeneratedSecrets = Omit<Secrets, 'registrationToken'>;

const key = () => randomBytes(32).toString('base64url');

/** A fresh set of the secrets an installation needs, as `edugate secrets generate` prints them. */
export function generateSecrets(): GeneratedSecrets {
  return { secret: key(), nationalIdKeys: `k1:${key()}`, blindIndexKey: key(), adminToken: key() };
}

/** The environment variable of each generated secret. */
export const SECRET_VARIABLES: Record<keyof GeneratedSecrets, string> = {
  secret: 'EDUGATE_SECRET',
  nationalIdKeys: 'EDUGATE_NATIONAL_ID_KEYS',
  blindIndexKey: 'EDUGATE_BLIND_INDEX_KEY',
  adminToken: 'EDUGATE_ADMIN_TOKEN',
};

/**
 * The secrets of this installation. Configured values win. Only when some are missing (the
 * embedded demo) are the missing ones generated once and kept in `<data dir>/secrets.json`
 * (mode 600), so the demo keeps working across restarts; with every secret configured nothing is
 * read from or written to the data directory. Production checks (`edugate doctor`) require them
 * to be configured.
 */
export function loadSecrets(config: Config, persist = true): Secrets {
  const configured = {
    secret: config.secret,
    nationalIdKeys: config.nationalIdKeys,
    blindIndexKey: config.blindIndexKey,
    adminToken: config.adminToken,
  };
  const registrationToken = config.registrationToken;
  if (missingProductionSecrets(config).length === 0) {
    return { ...(configured as GeneratedSecrets), registrationToken };
  }
  const file = join(config.dataDir, 'secrets.json');
  let stored: Partial<GeneratedSecrets> = {};
  if (persist && existsSync(file))
    stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<GeneratedSecrets>;
  const fresh = generateSecrets();
  const generated: GeneratedSecrets = {
    secret: stored.secret ?? fresh.secret,
    nationalIdKeys: stored.nationalIdKeys ?? fresh.nationalIdKeys,
    blindIndexKey: stored.blindIndexKey ?? fresh.blindIndexKey,
    adminToken: stored.adminToken ?? fresh.adminToken,
  };
  if (persist && JSON.stringify(stored) !== JSON.stringify(generated)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  }
  return {
    secret: configured.secret ?? generated.secret,
    nationalIdKeys: configured.nationalIdKeys ?? generated.nationalIdKeys,
    blindIndexKey: configured.blindIndexKey ?? generated.blindIndexKey,
    adminToken: configured.adminToken ?? generated.adminToken,
    registrationToken,
  };
}

/** Which secrets fall back to generated values (a production deployment must configure them). */
export function missingProductionSecrets(config: Config): string[] {
  const missing: string[] = [];
  if (!config.secret) missing.push('EDUGATE_SECRET');
  if (!config.nationalIdKeys) missing.push('EDUGATE_NATIONAL_ID_KEYS');
  if (!config.blindIndexKey) missing.push('EDUGATE_BLIND_INDEX_KEY');
  if (!config.adminToken) missing.push('EDUGATE_ADMIN_TOKEN');
  return missing;
}
