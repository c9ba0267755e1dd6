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

/** The roles whose issuers transmit security events. */
const TRANSMITTERS = new Set(['county', 'cloud']);

const USAGE = `usage: edugate events receiver add --role county|cloud [--tenant T] --url URL --audience AUD [--disabled]
       edugate events receiver list --role R [--tenant T]
       edugate events receiver enable|disable|remove --role R --id ID
       edugate events deliveries --role R [--state queued|running|done|failed]
       edugate events retry --role R --id ID`;

/**
 * `edugate events …`: the receivers a county or the cloud pushes its security events to, and the
 * deliveries in its outbox. Through the role's admin API, so it works while the server runs.
 */
export function securityEventCommands(callAdmin: AdminCall): Record<string, CliCommand> {
  return {
    events: {
      usage: 'events receiver add --role R --tenant T --url URL --audience AUD',
      summary: 'register where security events (RFC 8417 SETs) are pushed; list deliveries, retry one',
      async run(config, args) {
        const { values, positionals } = parseArgs({
          args,
          allowPositionals: true,
          options: {
            role: { type: 'string' },
            tenant: { type: 'string' },
            url: { type: 'string' },
            audience: { type: 'string' },
            id: { type: 'string' },
            state: { type: 'string' },
            disabled: { type: 'boolean' },
          },
        });
        const role = values.role ?? '';
        const [noun, verb] = positionals;
        if (!TRANSMITTERS.has(role) || !noun) {
          console.error(USAGE);
          return 2;
        }
        const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
          printAdminResult(
            callAdmin(config, role as RoleName, method, `/admin/api/security-events${path}`, body),
          );
        const id = values.id ? encodeURIComponent(values.id) : undefined;
        if (noun === 'deliveries') {
          return call(
            'GET',
            `/deliveries${values.state ? `?state=${encodeURIComponent(values.state)}` : ''}`,
          );
        }
        if (noun === 'retry' && id) return call('POST', `/deliveries/${id}/retry`);
        if (noun === 'receiver' && verb === 'list') {
          return call(
            'GET',
            `/receivers${values.tenant ? `?tenant=${encodeURIComponent(values.tenant)}` : ''}`,
          );
        }
        if (noun === 'receiver' && verb === 'add' && values.url && values.audience) {
          return call('POST', '/receivers', {
            tenant: values.tenant ?? 'default',
            url: values.url,
            audience: values.audience,
            enabled: !values.disabled,
          });
        }
        if (noun === 'receiver' && (verb === 'enable' || verb === 'disable') && id) {
          return call('POST', `/receivers/${id}/${verb}`);
        }
        if (noun === 'receiver' && verb === 'remove' && id) return call('DELETE', `/receivers/${id}`);
        console.error(USAGE);
        return 2;
      },
    },
  };
}
