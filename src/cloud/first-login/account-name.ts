import { normalizeAccountName, suggestAccountNames, validateCloudAccountName } from '../../identity/index.ts';
import type { CloudServices } from '../services.ts';
import type { LoginFlow } from './flows.ts';

/** Suggested names for a flow, from the county username, then the county email. */
export async function suggestionsFor(services: CloudServices, flow: LoginFlow, count = 5): Promise<string[]> {
  return suggestAccountNames(
    { username: flow.snapshot.username ?? undefined, email: flow.snapshot.email ?? undefined },
    (name) => services.accounts.isNameTaken(name),
    count,
  );
}

export interface NameCheck {
  name: string;
  /** Catalogue keys of the rules the name breaks (`account_name.*`), `account_name.taken` included. */
  problems: string[];
}

/** Every rule of SPEC §2 plus uniqueness, on the normalized name. */
export async function checkAccountName(services: CloudServices, input: string): Promise<NameCheck> {
  const name = normalizeAccountName(input.slice(0, 100));
  const problems: string[] = validateCloudAccountName(name).map((v) => v.code);
  if (problems.length === 0 && (await services.accounts.isNameTaken(name)))
    problems.push('account_name.taken');
  return { name, problems };
}
