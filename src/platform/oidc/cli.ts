import { parseArgs } from 'node:util';
import type { CliCommand } from '../../cli/commands.ts';
import { printAdminResult } from '../../cli/output.ts';
import type { Config } from '../config/options.ts';
import type { RoleName } from '../database/connect.ts';

type AdminCall = (
  config: Config,
  role: RoleName,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: unknown }>;

const ROLES_WITH_ISSUERS = new Set(['county', 'cloud']);

function target(values: { role?: string | undefined; tenant?: string | undefined }) {
  const role = values.role ?? '';
  if (!ROLES_WITH_ISSUERS.has(role)) return undefined;
  return { role: role as RoleName, tenant: values.tenant ?? 'default' };
}

async function call(
  callAdmin: AdminCall,
  config: Config,
  role: RoleName,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
) {
  return printAdminResult(
    callAdmin(config, role, method, path, body),
    path.endsWith('/clients') && method === 'POST',
  );
}

/**
 * `edugate client add|list|scopes|rotate-secret` and `edugate keys rotate|list` for the roles that are
 * OpenID providers. They go through the role's admin API, so they work while the server runs.
 */
export function oidcCommands(callAdmin: AdminCall): Record<string, CliCommand> {
  return {
    client: {
      usage: 'client add --role R --tenant T',
      summary:
        'register an OIDC client (--name, --redirect-uri…, --scope…; prints its id and secret once), or set the scopes a client may ask for (client scopes, grants restricted ones such as personid)',
      async run(config, args) {
        const { values, positionals } = parseArgs({
          args,
          allowPositionals: true,
          options: {
            role: { type: 'string' },
            tenant: { type: 'string' },
            name: { type: 'string' },
            'redirect-uri': { type: 'string', multiple: true },
            'post-logout-redirect-uri': { type: 'string', multiple: true },
            'backchannel-logout-uri': { type: 'string' },
            scope: { type: 'string', multiple: true },
            public: { type: 'boolean' },
            'client-id': { type: 'string' },
          },
        });
        const where = target(values);
        const verb = positionals[0];
        if (!where || !verb) {
          console.error(
            'usage: edugate client add --role county|cloud [--tenant T] --name NAME --redirect-uri URI [--post-logout-redirect-uri URI …] [--backchannel-logout-uri URI] [--scope S …] [--public]\n' +
              '       edugate client list --role R [--tenant T]\n' +
              '       edugate client scopes --role R [--tenant T] --client-id ID --scope S [--scope S …]\n' +
              '       edugate client rotate-secret --role R [--tenant T] --client-id ID',
          );
          return 2;
        }
        const base = `/admin/api/oidc/${encodeURIComponent(where.tenant)}/clients`;
        if (verb === 'list') return call(callAdmin, config, where.role, 'GET', base);
        if (verb === 'scopes') {
          // The full list the client may ask for from now on: this is how a restricted scope
          // (the county's personid) is granted, to a registered client as to any other.
          if (!values['client-id'] || !values.scope?.length) {
            console.error('client scopes needs --client-id and at least one --scope');
            return 2;
          }
          return call(
            callAdmin,
            config,
            where.role,
            'PUT',
            `${base}/${encodeURIComponent(values['client-id'])}`,
            {
              scopes: values.scope.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean),
            },
          );
        }
        if (verb === 'rotate-secret') {
          if (!values['client-id']) {
            console.error('rotate-secret needs --client-id');
            return 2;
          }
          return call(
            callAdmin,
            config,
            where.role,
            'POST',
            `${base}/${encodeURIComponent(values['client-id'])}/secret`,
          );
        }
        if (verb !== 'add' || !values.name || !values['redirect-uri']?.length) {
          console.error('client add needs --name and at least one --redirect-uri');
          return 2;
        }
        return call(callAdmin, config, where.role, 'POST', base, {
          name: values.name,
          redirect_uris: values['redirect-uri'],
          post_logout_redirect_uris: values['post-logout-redirect-uri'] ?? [],
          ...(values['backchannel-logout-uri']
            ? { backchannel_logout_uri: values['backchannel-logout-uri'] }
            : {}),
          scopes: (values.scope ?? ['openid']).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean),
          public: values.public ?? false,
          ...(values['client-id'] ? { client_id: values['client-id'] } : {}),
        });
      },
    },
    keys: {
      usage: 'keys rotate --role R --tenant T',
      summary: 'add a new ID token signing key (the old one stays published until its tokens expire)',
      async run(config, args) {
        const { values, positionals } = parseArgs({
          args,
          allowPositionals: true,
          options: { role: { type: 'string' }, tenant: { type: 'string' } },
        });
        const where = target(values);
        const verb = positionals[0];
        if (!where || (verb !== 'rotate' && verb !== 'list')) {
          console.error('usage: edugate keys rotate|list --role county|cloud [--tenant T]');
          return 2;
        }
        const base = `/admin/api/oidc/${encodeURIComponent(where.tenant)}/keys`;
        return verb === 'rotate'
          ? call(callAdmin, config, where.role, 'POST', `${base}/rotate`)
          : call(callAdmin, config, where.role, 'GET', base);
      },
    },
  };
}
