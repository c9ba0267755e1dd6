import type { SealedColumn } from '../security/sealed-columns.ts';

/** What an OIDC issuer seals under the installation secret (see `OidcProvider`'s `box`). */
export const oidcSealedColumns: readonly SealedColumn[] = [
  {
    what: 'signing keys',
    table: 'oidc_signing_keys',
    column: 'private_jwk_ciphertext',
    key: ['tenant', 'kid'],
    purpose: (row) => `signing-key/${String(row.tenant)}`,
  },
  {
    what: 'OIDC client secrets',
    table: 'oidc_clients',
    column: 'secret_ciphertext',
    key: ['tenant', 'client_id'],
    purpose: (row) => `client-secret/${String(row.tenant)}`,
  },
];
