import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import * as samlify from 'samlify';
import type { SamlDb } from './keys.ts';
import type { SamlTables } from './schema.ts';

export type ServiceProviderRow = Selectable<SamlTables['saml_service_providers']>;

export const NAME_ID_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
export const NAME_ID_EMAIL = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

export interface ServiceProviderInput {
  entityId: string;
  name?: string;
  acsUrls: string[];
  nameIdFormat?: string;
  nameIdDomain?: string | null;
  wantAssertionsSigned?: boolean;
}

export class RegistrationError extends Error {
  override name = 'RegistrationError';
}

/** Google's entity IDs: the legacy profile `google.com/a/DOMAIN`, or `https://accounts.google.com/…`. */
const GOOGLE_ENTITY_ID = /^(google\.com\/a\/|https:\/\/accounts\.google\.com\/)/;

/** Google's legacy profile `google.com/a/DOMAIN`: the NameID is the address in that domain. */
function defaultNameIdDomain(entityId: string): string | null {
  return /^google\.com\/a\/([a-z0-9.-]+)$/i.exec(entityId)?.[1]?.toLowerCase() ?? null;
}

/** Entity ID, ACS URLs (HTTP-POST), NameID format and signing wishes from SP metadata. */
export function readSpMetadata(xml: string): ServiceProviderInput {
  let sp: ReturnType<typeof samlify.ServiceProvider>;
  try {
    sp = samlify.ServiceProvider({ metadata: xml });
  } catch (error) {
    throw new RegistrationError(`not SAML service provider metadata: ${(error as Error).message}`);
  }
  const meta = sp.entityMeta;
  // Every HTTP-POST ACS of the metadata (samlify's lookup by binding returns only one).
  const all = (meta as unknown as { meta: { assertionConsumerService?: unknown } }).meta
    .assertionConsumerService;
  const entries = (Array.isArray(all) ? all : [all]) as Array<
    { binding?: string; location?: string } | undefined
  >;
  const acsUrls = entries
    .filter((e) => e?.binding === samlify.Constants.namespace.binding.post && typeof e.location === 'string')
    .map((e) => e?.location as string);
  const formats = (meta as unknown as { getNameIDFormat?: () => string[] | string }).getNameIDFormat?.();
  const format = Array.isArray(formats) ? formats[0] : formats;
  return {
    entityId: meta.getEntityID(),
    acsUrls,
    ...(format ? { nameIdFormat: format } : {}),
    wantAssertionsSigned: meta.isWantAssertionsSigned(),
  };
}

function validUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/** Service providers registered by their exact Issuer, each with an allowlist of ACS URLs. */
export class ServiceProviders {
  readonly #db: SamlDb;

  constructor(db: SamlDb) {
    this.#db = db;
  }

  async byEntityId(entityId: string): Promise<ServiceProviderRow | undefined> {
    return this.#db
      .selectFrom('saml_service_providers')
      .selectAll()
      .where('entity_id', '=', entityId)
      .executeTakeFirst();
  }

  async byId(id: string): Promise<ServiceProviderRow | undefined> {
    return this.#db.selectFrom('saml_service_providers').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(): Promise<ServiceProviderRow[]> {
    return this.#db.selectFrom('saml_service_providers').selectAll().orderBy('entity_id').execute();
  }

  /**
   * The first ACS URL of the enabled Google service provider (its legacy `google.com/a/DOMAIN`
   * profile or an `https://accounts.google.com/…` one), where Google's own sign-in lives; undefined
   * when none is enabled.
   */
  async googleAcsUrl(): Promise<string | undefined> {
    const providers = await this.#db
      .selectFrom('saml_service_providers')
      .select(['entity_id', 'acs_urls'])
      .where('enabled', '=', true)
      .execute();
    const google = providers.find((p) => GOOGLE_ENTITY_ID.test(p.entity_id));
    return google?.acs_urls[0];
  }

  /** Adds or updates (same entity ID) a service provider. */
  async register(input: ServiceProviderInput): Promise<ServiceProviderRow> {
    const entityId = input.entityId.trim();
    if (!entityId || entityId.length > 1024) throw new RegistrationError('entity ID is required');
    const acsUrls = [...new Set(input.acsUrls.map((u) => u.trim()).filter(Boolean))];
    if (acsUrls.length === 0) throw new RegistrationError('at least one HTTP-POST ACS URL is required');
    const bad = acsUrls.find((u) => !validUrl(u));
    if (bad) throw new RegistrationError(`not an http(s) URL: ${bad}`);
    const nameIdDomain =
      input.nameIdDomain === undefined ? defaultNameIdDomain(entityId) : input.nameIdDomain;
    if (nameIdDomain && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(nameIdDomain)) {
      throw new RegistrationError(`not a domain: ${nameIdDomain}`);
    }
    const values = {
      name: input.name?.trim() || entityId,
      acs_urls: JSON.stringify(acsUrls),
      name_id_format: input.nameIdFormat ?? (nameIdDomain ? NAME_ID_UNSPECIFIED : NAME_ID_EMAIL),
      name_id_domain: nameIdDomain?.toLowerCase() ?? null,
      want_assertions_signed: input.wantAssertionsSigned ?? false,
      updated_at: new Date(),
    };
    return this.#db
      .insertInto('saml_service_providers')
      .values({ id: randomUUID(), entity_id: entityId, enabled: true, ...values })
      .onConflict((oc) => oc.column('entity_id').doUpdateSet(values))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async remove(entityId: string): Promise<boolean> {
    const result = await this.#db
      .deleteFrom('saml_service_providers')
      .where('entity_id', '=', entityId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
