// Test support for the county's OIDC providers: a county that serves its issuers over HTTP, and the
// authorization request a relying party sends.
import type { Config } from '../../platform/config/options.ts';
import { embeddedTestDatabase } from '../../platform/testing/databases.ts';
import { freePort } from '../../platform/testing/ports.ts';
import { type CountyTestApp, startCountyTestApp } from '../testing.ts';

/**
 * A county with the demo seed on PGlite, listening on a free port that is its public origin (as a
 * relying party reaches its issuers), the cloud at `http://cloud.test`, and `overrides`.
 */
export async function startListeningCounty(
  overrides: Partial<Config>,
): Promise<{ county: CountyTestApp; origin: string }> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const county = await startCountyTestApp(
    embeddedTestDatabase,
    { countyPort: port, countyUrl: origin, cloudUrl: 'http://cloud.test', ...overrides },
    { listen: true },
  );
  return { county, origin };
}

/** The address a relying party sends a browser to: an authorization code request for `scope` at `issuer`. */
export function authorizationRequest(
  issuer: string,
  request: { client_id: string; redirect_uri: string; state: string; scope?: string },
): URL {
  const authorize = new URL(`${issuer}/oidc/v1/azp`);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    scope: 'openid profile',
    ...request,
  }).toString();
  return authorize;
}
