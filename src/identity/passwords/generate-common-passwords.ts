// Regenerates common-passwords.txt from the ranked password list of @zxcvbn-ts/language-common
// (a devDependency, needed only here; the runtime reads the txt file):
//
//   PATH=$PWD/node_modules/.bin:$PATH node src/identity/passwords/generate-common-passwords.ts
//
// The file holds the 10,000 most common passwords, then continues down the ranking with the
// passwords that the length rule would otherwise allow (8–128 characters) until 10,000 of those
// are in, since shorter ones are refused anyway.
import { writeFileSync } from 'node:fs';
import { dictionary } from '@zxcvbn-ts/language-common';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './policy.ts';

export const TOP_RANKED = 10_000;
export const ALLOWED_LENGTH_TARGET = 10_000;

export function buildCommonPasswordList(ranked: readonly string[]): string[] {
  const list: string[] = [];
  const seen = new Set<string>();
  let allowedLength = 0;
  for (const [rank, raw] of ranked.entries()) {
    if (rank >= TOP_RANKED && allowedLength >= ALLOWED_LENGTH_TARGET) break;
    const password = raw.toLowerCase();
    // One per line: a password containing a line break cannot be stored (and cannot be typed).
    if (password === '' || /[\r\n]/.test(password) || seen.has(password)) continue;
    const length = [...password].length;
    const lengthAllowed = length >= PASSWORD_MIN_LENGTH && length <= PASSWORD_MAX_LENGTH;
    if (rank >= TOP_RANKED && !lengthAllowed) continue;
    seen.add(password);
    list.push(password);
    if (lengthAllowed) allowedLength++;
  }
  return list;
}

if (import.meta.main) {
  const list = buildCommonPasswordList(dictionary['passwords-common']);
  const target = new URL('./common-passwords.txt', import.meta.url);
  writeFileSync(target, `${list.join('\n')}\n`);
  console.log(`wrote ${list.length} passwords to ${target.pathname}`);
}
