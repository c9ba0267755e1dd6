/**
 * Family (姓) and given (名) names from a person's full name, for profiles that carry only the
 * full name (a county profile without its 姓/名 split, a Google user, which needs both).
 */

/** Two-character surnames met in Taiwan: the classical ones and the joined surnames of families. */
const COMPOUND_SURNAMES = new Set([
  '歐陽',
  '司馬',
  '諸葛',
  '上官',
  '東方',
  '皇甫',
  '尉遲',
  '公孫',
  '慕容',
  '令狐',
  '司徒',
  '夏侯',
  '長孫',
  '宇文',
  '軒轅',
  '端木',
  '西門',
  '南宮',
  '張簡',
  '范姜',
  '張廖',
  '廖張',
  '周黃',
  '劉張',
  '江謝',
  '陳吳',
  '徐辜',
]);

const HAN = /^\p{Script=Han}+$/u;
/** What separates the parts of a name and is not part of either (spaces, middle dots). */
const SEPARATORS = /[\s·•]+/gu;

export interface NameParts {
  family: string;
  given: string;
}

/**
 * The family and given name of a full name: a Chinese name of 2–5 characters has a surname of
 * its first character, or its first two when they are a two-character surname (歐陽, 張簡, …) and
 * a given name follows; a name of words (`Ya-Ting Lin`) is read given name(s) first, family
 * name last. Undefined when the name cannot be split (one word, one character).
 */
export function splitPersonalName(fullName: string): NameParts | undefined {
  const name = fullName.trim();
  if (HAN.test(name)) {
    const chars = [...name];
    if (chars.length < 2 || chars.length > 5) return undefined;
    const two = chars.slice(0, 2).join('');
    const familyLength = chars.length >= 3 && COMPOUND_SURNAMES.has(two) ? 2 : 1;
    return { family: chars.slice(0, familyLength).join(''), given: chars.slice(familyLength).join('') };
  }
  const words = name.split(/\s+/u).filter(Boolean);
  if (words.length < 2) return undefined;
  return { family: words[words.length - 1] as string, given: words.slice(0, -1).join(' ') };
}

const compact = (text: string) => text.replace(SEPARATORS, '').toLowerCase();

/**
 * Whether a family and a given name (either may be empty) agree with the full name: together,
 * in either order (姓名, or given name first in Latin script), they make the full name; one alone
 * begins or ends it.
 */
export function namePartsMatch(fullName: string, family: string, given: string): boolean {
  const full = compact(fullName);
  const f = compact(family);
  const g = compact(given);
  if (f && g) return full === f + g || full === g + f;
  const part = f || g;
  if (!part) return true;
  return full !== part && (full.startsWith(part) || full.endsWith(part));
}
