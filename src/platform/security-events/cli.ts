import { type AdminCall, defineCommand, defineCommandGroup } from '../cli/command.ts';
import { printAdminResult } from '../cli/output.ts';
import type { RoleName } from '../database/connect.ts';

/** The roles whose issuers transmit security events. */
const TRANSMITTERS = new Set(['county', 'cloud']);

const USAGE = `usage: edugate events receiver add --role county|cloud [--tenant T] --url URL --audience AUD [--disabled]
       edugate events receiver list --role R [--tenant T]
       edugate events receiver enable|disable|remove --role R --id ID
       edugate events deliveries --role R [--state queued|running|done|failed]
       edugate events retry --role R --id ID`;

const role = { role: { type: 'string', required: true } } as const;
const id = { ...role, id: { type: 'string', required: true } } as const;

/** The call to a transmitter's admin API, or undefined (after the usage) for another role. */
function transmitter(admin: AdminCall, name: string) {
  if (!TRANSMITTERS.has(name)) {
    console.error(USAGE);
    return undefined;
  }
  return (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) =>
    printAdminResult(admin(name as RoleName, method, `/admin/api/security-events${path}`, body));
}

function receiverSwitch(verb: 'enable' | 'disable') {
  return defineCommand({
    name: `receiver ${verb}`,
    options: id,
    run({ values, admin }) {
      const call = transmitter(admin, values.role);
      return call ? call('POST', `/receivers/${encodeURIComponent(values.id)}/${verb}`) : 2;
    },
  });
}

/**
 * `edugate events …`: the receivers a county or the cloud pushes its security events to, and the
 * deliveries in its outbox. Through the role's admin API, so it works while the server runs.
 */
export const eventsCommand = defineCommandGroup({
  name: 'events',
  usage: 'events receiver add --role R --tenant T --url URL --audience AUD',
  summary: 'register where security events (RFC 8417 SETs) are pushed; list deliveries, retry one',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'deliveries',
      options: { ...role, state: { type: 'string' } },
      run({ values, admin }) {
        const call = transmitter(admin, values.role);
        if (!call) return 2;
        return call('GET', `/deliveries${values.state ? `?state=${encodeURIComponent(values.state)}` : ''}`);
      },
    }),
    defineCommand({
      name: 'retry',
      options: id,
      run({ values, admin }) {
        const call = transmitter(admin, values.role);
        return call ? call('POST', `/deliveries/${encodeURIComponent(values.id)}/retry`) : 2;
      },
    }),
    defineCommand({
      name: 'receiver list',
      options: { ...role, tenant: { type: 'string' } },
      run({ values, admin }) {
        const call = transmitter(admin, values.role);
        if (!call) return 2;
        return call(
          'GET',
          `/receivers${values.tenant ? `?tenant=${encodeURIComponent(values.tenant)}` : ''}`,
        );
      },
    }),
    defineCommand({
      name: 'receiver add',
      options: {
        ...role,
        tenant: { type: 'string' },
        url: { type: 'string', required: true },
        audience: { type: 'string', required: true },
        disabled: { type: 'boolean' },
      },
      run({ values, admin }) {
        const call = transmitter(admin, values.role);
        if (!call) return 2;
        return call('POST', '/receivers', {
          tenant: values.tenant ?? 'default',
          url: values.url,
          audience: values.audience,
          enabled: !values.disabled,
        });
      },
    }),
    receiverSwitch('enable'),
    receiverSwitch('disable'),
    defineCommand({
      name: 'receiver remove',
      options: id,
      run({ values, admin }) {
        const call = transmitter(admin, values.role);
        return call ? call('DELETE', `/receivers/${encodeURIComponent(values.id)}`) : 2;
      },
    }),
  ],
});
