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
  registrationToken: string | undefined;
}

const key = () => randomBytes(32).toString('base64url');

/**
 * The secrets of this installation. Configured values win; missing ones are generated once and
 * kept in `<data dir>/secrets.json` (mode 600) so the embedded demo keeps working across restarts.
 * Production checks (`edugate doctor`) require them to be configured.
 */
export function loadSecrets(config: Config, persist = true): Secrets {
  const file = join(config.dataDir, 'secrets.json');
  let stored: Partial<Secrets> = {};
  if (persist && existsSync(file)) stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Secrets>;
  const generated: Secrets = {
    secret: stored.secret ?? key(),
    nationalIdKeys: stored.nationalIdKeys ?? `k1:${key()}`,
    blindIndexKey: stored.blindIndexKey ?? key(),
    adminToken: stored.adminToken ?? key(),
    registrationToken: stored.registrationToken ?? key(),
  };
  if (persist && JSON.stringify(stored) !== JSON.stringify(generated)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify(generated, null, 2), { mode: 0o600 });
  }
  return {
    secret: config.secret ?? generated.secret,
    nationalIdKeys: config.nationalIdKeys ?? generated.nationalIdKeys,
    blindIndexKey: config.blindIndexKey ?? generated.blindIndexKey,
    adminToken: config.adminToken ?? generated.adminToken,
    registrationToken: config.registrationToken ?? generated.registrationToken,
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
