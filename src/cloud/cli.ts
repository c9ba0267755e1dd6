import { parseArgs } from 'node:util';
import { callAdmin } from '../cli/admin-call.ts';
import type { CliCommand } from '../cli/commands.ts';
import { printAdminResult } from '../cli/output.ts';
import type { Config } from '../platform/config/options.ts';

const USAGE = `usage:
  edugate cloud county add --code cyc --name 嘉義縣 --issuer URL --client-id ID --client-secret=SECRET [--disabled]
  edugate cloud county list
  edugate cloud county enable|disable|remove --code cyc
  edugate cloud account suspend|reactivate --name NAME
  edugate cloud account invalid-names
  edugate cloud role add --code CODE --name NAME [--description TEXT]
  edugate cloud role list
  edugate cloud role assign --code CODE --account NAME [--school SCHOOLID]`;

async function call(config: Config, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  return printAdminResult(callAdmin(config, 'cloud', method, `/admin/api/cloud${path}`, body));
}

function need(values: Record<string, unknown>, ...names: string[]): string | undefined {
  return names.find((n) => typeof values[n] !== 'string' || values[n] === '');
}

/** `edugate cloud …`: county connections, account suspension and custom roles of the education cloud. */
export const cloudCommand: CliCommand = {
  usage: 'cloud county|account|role …',
  summary: 'education cloud: county connections, account suspension and invalid names, custom roles',
  async run(config, args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        code: { type: 'string' },
        name: { type: 'string' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        disabled: { type: 'boolean' },
        description: { type: 'string' },
        account: { type: 'string' },
        school: { type: 'string' },
      },
    });
    const [noun, verb] = positionals;
    const missing = (...names: string[]) => {
      const name = need(values, ...names);
      if (name) console.error(`missing --${name}\n${USAGE}`);
      return name !== undefined;
    };
    const code = encodeURIComponent(values.code ?? '');
    switch (`${noun} ${verb}`) {
      case 'county add':
        if (missing('code', 'name', 'issuer', 'client-id', 'client-secret')) return 2;
        return call(config, 'POST', '/counties', {
          code: values.code,
          name: values.name,
          issuer: values.issuer,
          clientId: values['client-id'],
          clientSecret: values['client-secret'],
          enabled: !values.disabled,
        });
      case 'county list':
        return call(config, 'GET', '/counties');
      case 'county enable':
      case 'county disable':
        if (missing('code')) return 2;
        return call(config, 'POST', `/counties/${code}/${verb}`);
      case 'county remove':
        if (missing('code')) return 2;
        return call(config, 'DELETE', `/counties/${code}`);
      case 'account suspend':
      case 'account reactivate':
        if (missing('name')) return 2;
        return call(config, 'POST', `/accounts/${encodeURIComponent(values.name ?? '')}/${verb}`);
      case 'account invalid-names':
        return call(config, 'GET', '/accounts/invalid-names');
      case 'role add':
        if (missing('code', 'name')) return 2;
        return call(config, 'POST', '/roles', {
          code: values.code,
          name: values.name,
          description: values.description ?? '',
        });
      case 'role list':
        return call(config, 'GET', '/roles');
      case 'role assign':
        if (missing('code', 'account')) return 2;
        return call(config, 'POST', `/roles/${code}/assign`, {
          account: values.account,
          schoolid: values.school ?? '',
        });
      default:
        console.error(USAGE);
        return 2;
    }
  },
};
