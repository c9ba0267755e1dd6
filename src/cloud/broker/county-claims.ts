import { splitPersonalName } from '../../identity/index.ts';
import type { CountySnapshot } from '../schema.ts';

/** What a county login tells the cloud about the person. */
export interface CountyClaims {
  subject: string;
  snapshot: CountySnapshot;
  /** The county `guid` claim (SHA-256 hex of the national ID), when released. */
  guid: string | null;
}

type Claims = Record<string, unknown>;

const str = (value: unknown): string | null =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : null;

function strings(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(str).filter((v): v is string => v !== null);
  const one = str(value);
  return one ? [one] : [];
}

function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

/** Accepts `[{schoolid, titles: [...]}]`, or a flat list of titles of the main school. */
function normalizeTitles(value: unknown, schoolid: string | null): CountySnapshot['titles'] {
  if (!Array.isArray(value)) return [];
  if (value.every((v) => typeof v === 'string')) {
    return schoolid ? [{ schoolid, titles: strings(value) }] : [];
  }
  const out: CountySnapshot['titles'] = [];
  for (const entry of value) {
    if (typeof entry !== 'object' || entry === null) continue;
    const e = entry as Claims;
    const school = str(e.schoolid) ?? schoolid;
    if (!school) continue;
    out.push({ schoolid: school, titles: strings(e.titles) });
  }
  return out;
}

function normalizeClassinfo(value: unknown): CountySnapshot['classinfo'] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((v): v is Claims => typeof v === 'object' && v !== null)
    .map((v) =>
      Object.fromEntries(
        Object.entries(v)
          .filter(([, x]) => typeof x === 'string' || typeof x === 'number')
          .map(([k, x]) => [k, String(x)]),
      ),
    );
}

/**
 * The family and given name the county sent, or, when it sent only the full name (a profile
 * without its 姓/名 split), derived from it: never the full name in both.
 */
function nameParts(claims: Claims): { familyName: string | null; givenName: string | null } {
  const familyName = str(claims.family_name);
  const givenName = str(claims.given_name);
  const name = str(claims.name);
  if (familyName || givenName || !name) return { familyName, givenName };
  const parts = splitPersonalName(name);
  return { familyName: parts?.family ?? null, givenName: parts?.given ?? null };
}

/**
 * Reads the claims of a county login (ID token and userinfo merged). The education data may come
 * as top-level `schoolid`/`titles`/`classinfo` or nested in `eduinfo` (an object or its JSON text).
 */
export function readCountyClaims(claims: Claims): CountyClaims {
  const subject = str(claims.sub);
  if (!subject) throw new Error('county claims without sub');
  const nested = parseMaybeJson(claims.eduinfo);
  const edu: Claims = typeof nested === 'object' && nested !== null ? (nested as Claims) : claims;
  const schoolid = str(edu.schoolid) ?? str(claims.schoolid);
  const titles = normalizeTitles(edu.titles ?? claims.titles, schoolid);
  const openid2 = strings(claims.openid2_id)[0] ?? null;
  const guid = str(claims.guid);
  return {
    subject,
    guid: guid && /^[0-9a-f]{64}$/i.test(guid) ? guid.toLowerCase() : null,
    snapshot: {
      username: str(claims.preferred_username),
      name: str(claims.name),
      ...nameParts(claims),
      email: str(claims.email),
      schoolid: schoolid ?? titles[0]?.schoolid ?? null,
      titles,
      classinfo: normalizeClassinfo(edu.classinfo ?? claims.classinfo),
      openid2Id: openid2,
    },
  };
}
