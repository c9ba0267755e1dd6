import { createHmac, timingSafeEqual } from 'node:crypto';

/** The HTTP Basic user name FreeRADIUS's `rest` module presents to the RADIUS API. */
export const RADIUS_API_USER = 'freeradius';

/**
 * The password of the RADIUS API, derived from the installation secret: only the RADIUS server
 * holds it (written into its `rest` module by `edugate radius config`); it opens nothing else.
 */
export function radiusApiPassword(installationSecret: string): string {
  return createHmac('sha256', installationSecret).update('edugate/radius-api').digest('base64url');
}

/**
 * The check of the RADIUS API credential in an Authorization header, derived once from the
 * installation secret (every authentication asks it).
 */
export function radiusServerCheck(installationSecret: string): (header: string | undefined) => boolean {
  const expected = Buffer.from(`${RADIUS_API_USER}:${radiusApiPassword(installationSecret)}`);
  return (header) => {
    if (!header?.startsWith('Basic ')) return false;
    const sent = Buffer.from(header.slice(6), 'base64');
    return sent.length === expected.length && timingSafeEqual(sent, expected);
  };
}

/** A keyed hash of a Calling-Station-Id (MAC or source address), normalized: how devices are remembered. */
export function stationHash(installationSecret: string, tenant: string, station: string): string {
  return createHmac('sha256', installationSecret)
    .update(`edugate/radius-station/${tenant}/${normalizeStation(station)}`)
    .digest('base64url');
}

/** `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff` and `aa:bb:cc:dd:ee:ff` are one MAC; other values are kept (trimmed, lowercase). */
export function normalizeStation(station: string): string {
  const value = station.trim().toLowerCase();
  const hex = value.replace(/[^0-9a-f]/g, '');
  if (
    hex.length === 12 &&
    /^[0-9a-f]{2}([-:.]?[0-9a-f]{2}){5}$|^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(value)
  ) {
    return hex.match(/../g)?.join(':') ?? value;
  }
  return value;
}
