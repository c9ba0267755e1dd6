import { oidcMigrations } from '../../platform/oidc/index.ts';

/** The county OIDC provider's tables (one set for every tenant; rows carry the tenant code). */
export const countyOidcMigrations = oidcMigrations('1101_county_oidc_provider');
