import { type AdminCall, defineCommand, defineCommandGroup } from '../cli/command.ts';
import { printAdminResult } from '../cli/output.ts';
import type { RoleName } from '../database/connect.ts';

const ROLES_WITH_ISSUERS = new Set(['county', 'cloud']);

const CLIENT_USAGE =
  'usage: edugate client add --role county|cloud [--tenant T] --name NAME --redirect-uri URI [--post-logout-redirect-uri URI …] [--backchannel-logout-uri URI] [--scope S …] [--public]\n' +
  '       edugate client list --role R [--tenant T]\n' +
  '       edugate client scopes --role R [--tenant T] --client-id ID --scope S [--scope S …]\n' +
  '       edugate client rotate-secret --role R [--tenant T] --client-id ID';

const KEYS_USAGE = 'usage: edugate keys rotate|list --role county|cloud [--tenant T]';

/** What `edugate client add` prints: the new client's id and its secret (shown this once). */
export interface IssuedClient {
  client_id: string;
  client_secret: string;
}

/**
 * The words after `edugate` that register a client (`client add`), as operators type them: for
 * scripts, benches and tests that register one the way the deployment guide does.
 */
export function clientAddArgs(client: {
  role: 'county' | 'cloud';
  tenant: string;
  name: string;
  redirectUri: string;
  scopes?: readonly string[];
}): string[] {
  const { role, tenant, name, redirectUri, scopes = [] } = client;
  const scopeArgs = scopes.flatMap((scope) => ['--scope', scope]);
  return [
    'client',
    'add',
    '--role',
    role,
    '--tenant',
    tenant,
    '--name',
    name,
    '--redirect-uri',
    redirectUri,
    ...scopeArgs,
  ];
}

/** The issuer a command is about: a role that is an OpenID provider, and its tenant. */
const where = {
  role: { type: 'string', required: true },
  tenant: { type: 'string' },
} as const;

/**
 * Calls the admin API of the issuer a command names (`--role`, `--tenant`); a role that is no
 * OpenID provider gets the usage and exit 2.
 */
function callIssuer(
  values: { role: string; tenant?: string | undefined },
  admin: AdminCall,
  usage: string,
  method: 'GET' | 'POST' | 'PUT',
  path: (tenant: string) => string,
  body?: unknown,
) {
  if (!ROLES_WITH_ISSUERS.has(values.role)) {
    console.error(usage);
    return 2;
  }
  const role = values.role as RoleName;
  const at = path(values.tenant ?? 'default');
  return printAdminResult(admin(role, method, at, body), at.endsWith('/clients') && method === 'POST');
}

const clients = (tenant: string) => `/admin/api/oidc/${encodeURIComponent(tenant)}/clients`;
const client = (tenant: string, clientId: string) => `${clients(tenant)}/${encodeURIComponent(clientId)}`;
const keys = (tenant: string) => `/admin/api/oidc/${encodeURIComponent(tenant)}/keys`;
const scopes = (values: string[]) => values.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean);

/**
 * `edugate client add|list|scopes|rotate-secret` for the roles that are OpenID providers. They go
 * through the role's admin API, so they work while the server runs.
 */
export const clientCommand = defineCommandGroup({
  name: 'client',
  usage: 'client add --role R --tenant T',
  summary:
    'register an OIDC client (--name, --redirect-uri…, --scope…; prints its id and secret once), or set the scopes a client may ask for (client scopes, grants restricted ones such as personid)',
  help: CLIENT_USAGE,
  commands: [
    defineCommand({
      name: 'add',
      options: {
        ...where,
        name: { type: 'string', required: true },
        'redirect-uri': { type: 'string', multiple: true, required: true },
        'post-logout-redirect-uri': { type: 'string', multiple: true },
        'backchannel-logout-uri': { type: 'string' },
        scope: { type: 'string', multiple: true },
        public: { type: 'boolean' },
        'client-id': { type: 'string' },
      },
      run({ values, admin }) {
        return callIssuer(values, admin, CLIENT_USAGE, 'POST', clients, {
          name: values.name,
          redirect_uris: values['redirect-uri'],
          post_logout_redirect_uris: values['post-logout-redirect-uri'] ?? [],
          ...(values['backchannel-logout-uri']
            ? { backchannel_logout_uri: values['backchannel-logout-uri'] }
            : {}),
          scopes: scopes(values.scope ?? ['openid']),
          public: values.public ?? false,
          ...(values['client-id'] ? { client_id: values['client-id'] } : {}),
        });
      },
    }),
    defineCommand({
      name: 'list',
      options: where,
      run: ({ values, admin }) => callIssuer(values, admin, CLIENT_USAGE, 'GET', clients),
    }),
    defineCommand({
      // The full list the client may ask for from now on: this is how a restricted scope
      // (the county's personid) is granted, to a registered client as to any other.
      name: 'scopes',
      options: {
        ...where,
        'client-id': { type: 'string', required: true },
        scope: { type: 'string', multiple: true, required: true },
      },
      run: ({ values, admin }) =>
        callIssuer(values, admin, CLIENT_USAGE, 'PUT', (tenant) => client(tenant, values['client-id']), {
          scopes: scopes(values.scope),
        }),
    }),
    defineCommand({
      name: 'rotate-secret',
      options: { ...where, 'client-id': { type: 'string', required: true } },
      run: ({ values, admin }) =>
        callIssuer(
          values,
          admin,
          CLIENT_USAGE,
          'POST',
          (tenant) => `${client(tenant, values['client-id'])}/secret`,
        ),
    }),
  ],
});

/** `edugate keys rotate|list`: the ID token signing keys of a county or the cloud. */
export const keysCommand = defineCommandGroup({
  name: 'keys',
  usage: 'keys rotate --role R --tenant T',
  summary: 'add a new ID token signing key (the old one stays published until its tokens expire)',
  help: KEYS_USAGE,
  commands: [
    defineCommand({
      name: 'rotate',
      options: where,
      run: ({ values, admin }) =>
        callIssuer(values, admin, KEYS_USAGE, 'POST', (tenant) => `${keys(tenant)}/rotate`),
    }),
    defineCommand({
      name: 'list',
      options: where,
      run: ({ values, admin }) => callIssuer(values, admin, KEYS_USAGE, 'GET', keys),
    }),
  ],
});
