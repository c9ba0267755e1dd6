// Taiwanese national IDs (身分證字號) and resident certificate numbers (居留證號), SPEC §5.

export type NationalIdKind = 'national' | 'resident-old' | 'resident-new';

export type NationalIdParseResult =
  | { ok: true; value: string; kind: NationalIdKind }
  | { ok: false; reason: 'format' | 'checksum' };

const LETTER_VALUES: Readonly<Record<string, number>> = {
  A: 10,
  B: 11,
  C: 12,
  D: 13,
  E: 14,
  F: 15,
  G: 16,
  H: 17,
  I: 34,
  J: 18,
  K: 19,
  L: 20,
  M: 21,
  N: 22,
  O: 35,
  P: 23,
  Q: 24,
  R: 25,
  S: 26,
  T: 27,
  U: 28,
  V: 29,
  W: 32,
  X: 30,
  Y: 31,
  Z: 33,
};

// Weights for a, b, d1 … d9.
const WEIGHTS = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1] as const;

const FORMAT = /^[A-Z][1289A-D]\d{8}$/;
const ANYWHERE = /[A-Z][1289A-D]\d{8}/i;

/** Trims and uppercases; NFKC also turns full-width input (Ａ１２３…) into ASCII. */
export function normalizeNationalId(input: string): string {
  return input.normalize('NFKC').trim().toUpperCase();
}

function kindOf(second: string): NationalIdKind {
  if (second === '1' || second === '2') return 'national';
  if (second === '8' || second === '9') return 'resident-new';
  return 'resident-old';
}

function digitValue(char: string): number {
  const letter = LETTER_VALUES[char];
  // Old resident numbers carry a letter in second position; it counts as its value mod 10.
  return letter === undefined ? Number(char) : letter % 10;
}

function checksumHolds(value: string): boolean {
  const first = LETTER_VALUES[value.charAt(0)];
  if (first === undefined) return false;
  const digits = [Math.floor(first / 10), first % 10];
  for (const char of value.slice(1)) digits.push(digitValue(char));
  let sum = 0;
  for (const [index, weight] of WEIGHTS.entries()) sum += weight * (digits[index] ?? 0);
  return sum % 10 === 0;
}

export function parseNationalId(input: string): NationalIdParseResult {
  const value = normalizeNationalId(input);
  if (!FORMAT.test(value)) return { ok: false, reason: 'format' };
  if (!checksumHolds(value)) return { ok: false, reason: 'checksum' };
  return { ok: true, value, kind: kindOf(value.charAt(1)) };
}

export function isValidNationalId(input: string): boolean {
  return parseNationalId(input).ok;
}

/** `A123456789` → `A1******89`. Never returns more than the first two and last two characters. */
export function maskNationalId(input: string): string {
  const value = normalizeNationalId(input);
  if (value.length <= 4) return '*'.repeat(value.length);
  return `${value.slice(0, 2)}${'*'.repeat(value.length - 4)}${value.slice(-2)}`;
}

/** True when the string contains something shaped like an ID or resident number, in any case. */
export function looksLikeNationalId(input: string): boolean {
  return ANYWHERE.test(input);
}
