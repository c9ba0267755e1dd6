import type { Kysely, Selectable } from 'kysely';
import * as samlify from 'samlify';
import type { PlatformTables } from '../../../../platform/database/platform-schema.ts';
import { identityProviderWithoutLogout } from '../../../../platform/saml/identity-provider.ts';
import type { GoogleTables } from '../schema.ts';

type Db = Kysely<GoogleTables & PlatformTables>;
export type DomainRow = Selectable<GoogleTables['google_domains']>;

export interface TrustedIdp {
  entityId: string;
  ssoUrl: string;
  /** Base64 DER certificates registered for the domain's SSO profile (at most two). */
  certificates: string[];
}

const REDIRECT = samlify.Constants.namespace.binding.redirect;

/** Reads entity ID, HTTP-Redirect SSO URL and signing certificates from IdP metadata. */
export function readIdpMetadata(xml: string): TrustedIdp {
  const idp = samlify.IdentityProvider({ metadata: xml });
  const meta = idp.entityMeta;
  const sso = meta.getSingleSignOnService('redirect');
  const certs = meta.getX509Certificate('signing');
  const certificates = (Array.isArray(certs) ? certs : [certs])
    .filter((c): c is string => typeof c === 'string' && c.length > 0)
    .map((c) => c.replace(/\s+/g, ''));
  if (typeof sso !== 'string' || !sso) throw new Error('IdP metadata has no HTTP-Redirect SSO service');
  if (certificates.length === 0) throw new Error('IdP metadata has no signing certificate');
  return { entityId: meta.getEntityID(), ssoUrl: sso, certificates: certificates.slice(0, 2) };
}

/**
 * The IdP a domain's SSO profile trusts. Like an administrator uploading the IdP certificate to the
 * Admin console, the stand-in takes it from the IdP's metadata the first time someone signs in
 * (not at boot, so the IdP may start later) and keeps it until an administrator refreshes it.
 */
export async function trustedIdp(db: Db, domain: string, refresh = false): Promise<TrustedIdp | undefined> {
  const row = await db
    .selectFrom('google_domains')
    .selectAll()
    .where('domain', '=', domain)
    .executeTakeFirst();
  if (!row) return undefined;
  const stored = row.idp_certificates;
  if (!refresh && row.idp_entity_id && row.idp_sso_url && stored.length > 0) {
    return { entityId: row.idp_entity_id, ssoUrl: row.idp_sso_url, certificates: stored };
  }
  if (!row.idp_metadata_url) return undefined;
  const response = await fetch(row.idp_metadata_url, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`IdP metadata ${row.idp_metadata_url} answered ${response.status}`);
  const idp = readIdpMetadata(await response.text());
  await db
    .updateTable('google_domains')
    .set({
      idp_entity_id: idp.entityId,
      idp_sso_url: idp.ssoUrl,
      idp_certificates: JSON.stringify(idp.certificates),
      idp_fetched_at: new Date(),
    })
    .where('domain', '=', domain)
    .execute();
  return idp;
}

/** The samlify IdP entity built only from what the domain trusts (no certificate from the message). */
export function idpEntity(idp: TrustedIdp) {
  return identityProviderWithoutLogout({
    entityID: idp.entityId,
    signingCert: idp.certificates.map((c) => `-----BEGIN CERTIFICATE-----\n${c}\n-----END CERTIFICATE-----`),
    singleSignOnService: [{ Binding: REDIRECT, Location: idp.ssoUrl }],
    wantAuthnRequestsSigned: false,
  });
}
