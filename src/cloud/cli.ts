import { type AdminCall, defineCommand, defineCommandGroup } from '../platform/cli/command.ts';
import { printAdminResult } from '../platform/cli/output.ts';

const USAGE = `usage:
  edugate cloud county add --code cyc --name 嘉義縣 --issuer URL --client-id ID --client-secret=SECRET [--disabled]
  edugate cloud county list
  edugate cloud county enable|disable|remove --code cyc
  edugate cloud account suspend|reactivate --name NAME
  edugate cloud account invalid-names
  edugate cloud role add --code CODE --name NAME [--description TEXT]
  edugate cloud role list
  edugate cloud role assign --code CODE --account NAME [--school SCHOOLID]`;

function call(admin: AdminCall, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  return printAdminResult(admin('cloud', method, `/admin/api/cloud${path}`, body));
}

const code = { code: { type: 'string', required: true } } as const;

/** `edugate cloud …`: county connections, account suspension and custom roles of the education cloud. */
export const cloudCommand = defineCommandGroup({
  name: 'cloud',
  usage: 'cloud county|account|role …',
  summary: 'education cloud: county connections, account suspension and invalid names, custom roles',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'county add',
      options: {
        ...code,
        name: { type: 'string', required: true },
        issuer: { type: 'string', required: true },
        'client-id': { type: 'string', required: true },
        'client-secret': { type: 'string', required: true },
        disabled: { type: 'boolean' },
      },
      run: ({ values, admin }) =>
        call(admin, 'POST', '/counties', {
          code: values.code,
          name: values.name,
          issuer: values.issuer,
          clientId: values['client-id'],
          clientSecret: values['client-secret'],
          enabled: !values.disabled,
        }),
    }),
    defineCommand({ name: 'county list', options: {}, run: ({ admin }) => call(admin, 'GET', '/counties') }),
    defineCommand({
      name: 'county enable',
      options: code,
      run: ({ values, admin }) => call(admin, 'POST', `/counties/${encodeURIComponent(values.code)}/enable`),
    }),
    defineCommand({
      name: 'county disable',
      options: code,
      run: ({ values, admin }) => call(admin, 'POST', `/counties/${encodeURIComponent(values.code)}/disable`),
    }),
    defineCommand({
      name: 'county remove',
      options: code,
      run: ({ values, admin }) => call(admin, 'DELETE', `/counties/${encodeURIComponent(values.code)}`),
    }),
    defineCommand({
      name: 'account suspend',
      options: { name: { type: 'string', required: true } },
      run: ({ values, admin }) => call(admin, 'POST', `/accounts/${encodeURIComponent(values.name)}/suspend`),
    }),
    defineCommand({
      name: 'account reactivate',
      options: { name: { type: 'string', required: true } },
      run: ({ values, admin }) =>
        call(admin, 'POST', `/accounts/${encodeURIComponent(values.name)}/reactivate`),
    }),
    defineCommand({
      name: 'account invalid-names',
      options: {},
      run: ({ admin }) => call(admin, 'GET', '/accounts/invalid-names'),
    }),
    defineCommand({
      name: 'role add',
      options: { ...code, name: { type: 'string', required: true }, description: { type: 'string' } },
      run: ({ values, admin }) =>
        call(admin, 'POST', '/roles', {
          code: values.code,
          name: values.name,
          description: values.description ?? '',
        }),
    }),
    defineCommand({ name: 'role list', options: {}, run: ({ admin }) => call(admin, 'GET', '/roles') }),
    defineCommand({
      name: 'role assign',
      options: { ...code, account: { type: 'string', required: true }, school: { type: 'string' } },
      run: ({ values, admin }) =>
        call(admin, 'POST', `/roles/${encodeURIComponent(values.code)}/assign`, {
          account: values.account,
          schoolid: values.school ?? '',
        }),
    }),
  ],
});
