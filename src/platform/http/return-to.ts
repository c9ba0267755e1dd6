/** A placeholder origin the value is resolved against; never sent anywhere. */
const BASE = 'http://return-to.invalid';
const MAX_LENGTH = 2000;
/** Control characters (browsers drop tabs and newlines, and `\t//host` becomes `//host`). */
const hasControl = (text: string) =>
  [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

export interface ReturnToOptions {
  /** Where to go when the value is missing or refused (a path of this site). */
  fallback: string;
  /** A path prefix the value must stay under once resolved (e.g. `/cyc/` for a county portal). */
  within?: string;
}

function unsafe(text: string): boolean {
  return hasControl(text) || text.includes('\\') || text.startsWith('//');
}

/**
 * Where to send a browser back to after a sign-in or another detour (`return_to`, `next`, a
 * continue URL): only a path of this same site. The value is accepted when it starts with a
 * single `/`, holds no backslash and no control character (also once percent-decoded, so
 * `/%2f%2fhost` and `%0d%0a` are refused), and still names a path of this site after `.` and
 * `..` segments are resolved (`/x/..//host` would become `//host`, another site). Anything else —
 * absolute and scheme-relative URLs, `javascript:`, `/\host` — gives `fallback`. The answer is the
 * resolved path with its query and fragment, safe to put in a `Location` header as it is.
 */
export function safeReturnTo(value: unknown, options: ReturnToOptions): string {
  const { fallback, within } = options;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return fallback;
  if (!value.startsWith('/') || unsafe(value)) return fallback;
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    return fallback;
  }
  if (unsafe(decoded)) return fallback;
  const url = URL.parse(value, BASE);
  if (!url || url.origin !== BASE) return fallback;
  const path = url.pathname;
  if (unsafe(path)) return fallback;
  if (within !== undefined && !path.startsWith(within)) return fallback;
  return `${path}${url.search}${url.hash}`;
}
