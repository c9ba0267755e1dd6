import { normalizeAccountName, suggestAccountNames, validateCloudAccountName } from '../../identity/index.ts';
import type { CloudServices } from '../services.ts';
import type { LoginFlow } from './flows.ts';

/** Suggested names for a flow, from the county username, then the county email. */
export async function suggestionsFor(services: CloudServices, flow: LoginFlow, count = 5): Promise<string[]> {
  return suggestAccountNames(
    { username: flow.snapshot.username ?? undefined, email: flow.snapshot.email ?? undefined },
    async (name) =>
      (await services.accounts.isNameTaken(name)) ||
      // Never suggest a name whose Google address is someone else's (or cannot be checked now).
      ((await services.googleNames?.(name)) ?? 'free') !== 'free',
    count,
  );
}

export interface NameCheck {
  name: string;
  /** Catalogue keys of the rules the name breaks (`account_name.*`), `account_name.taken` included. */
  problems: string[];
}

/**
 * Every rule of SPEC §2 and §8 plus uniqueness, on the normalized name: free in the cloud, and its
 * Google address not someone else's. When the workspace portal cannot say, the name is refused
 * for now (a name chosen blind could be a Google user's that the account can never use).
 */
export async function checkAccountName(services: CloudServices, input: string): Promise<NameCheck> {
  const name = normalizeAccountName(input.slice(0, 100));
  const problems: string[] = validateCloudAccountName(name).map((v) => v.code);
  if (problems.length === 0 && (await services.accounts.isNameTaken(name)))
    problems.push('account_name.taken');
  if (problems.length === 0) {
    const google = (await services.googleNames?.(name)) ?? 'free';
    if (google === 'taken') problems.push('account_name.google_taken');
    if (google === 'unknown') problems.push('account_name.google_unknown');
  }
  return { name, problems };
}
