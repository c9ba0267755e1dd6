import { type AdminCall, defineCommand, defineCommandGroup } from '../platform/cli/command.ts';
import { printAdminResult } from '../platform/cli/output.ts';

const USAGE = `usage:
  edugate workspace activate --user CLOUD_NAME   activate a teacher's G Suite account (as the portal's button)
  edugate workspace retry --user CLOUD_NAME      activate again after a failed or conflicting activation
  edugate workspace retry --job ID               queue a failed provisioning job again
  edugate workspace list [--state STATE]         accounts (state none|queued|active|conflict|failed)
  edugate workspace jobs                         provisioning jobs (state, attempts, last error)
  edugate workspace reconcile                    compare Google with the portal now (report in the admin page)
  edugate workspace suspend|reactivate --user CLOUD_NAME [--reason TEXT]
  edugate workspace admins list                  the portal's administrators (education cloud usernames)
  edugate workspace admins add --user CLOUD_NAME`;

const user = (name: string) => `/accounts/${encodeURIComponent(name)}`;

function call(admin: AdminCall, method: 'GET' | 'POST', path: string, body?: unknown) {
  return printAdminResult(admin('workspace', method, `/admin/api/workspace${path}`, body));
}

const userOption = { user: { type: 'string', required: true } } as const;

function lifecycle(verb: 'suspend' | 'reactivate') {
  return defineCommand({
    name: verb,
    options: { ...userOption, reason: { type: 'string' } },
    run: ({ values, admin }) =>
      call(admin, 'POST', '/lifecycle', {
        username: values.user,
        state: verb === 'suspend' ? 'suspended' : 'active',
        reason: values.reason ?? 'cli',
      }),
  });
}

/** `edugate workspace …`: the activation portal's provisioning jobs, accounts and lifecycle. */
export const workspaceCommand = defineCommandGroup({
  name: 'workspace',
  usage: 'workspace activate|retry|list|jobs|reconcile|suspend|reactivate|admins',
  summary:
    'workspace activation: activate or retry a teacher, accounts, provisioning jobs, drift report, suspension in Google, portal administrators',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'activate',
      options: userOption,
      run: ({ values, admin }) => call(admin, 'POST', `${user(values.user)}/activate`),
    }),
    defineCommand({ name: 'jobs', options: {}, run: ({ admin }) => call(admin, 'GET', '/jobs') }),
    defineCommand({
      name: 'retry',
      options: { user: { type: 'string' }, job: { type: 'string' } },
      run({ values, admin }) {
        if (values.user) return call(admin, 'POST', `${user(values.user)}/retry`);
        if (values.job) return call(admin, 'POST', `/jobs/${encodeURIComponent(values.job)}/retry`);
        console.error(`retry needs --user or --job\n${USAGE}`);
        return 2;
      },
    }),
    defineCommand({
      name: 'list|accounts',
      options: { state: { type: 'string' } },
      run: ({ values, admin }) =>
        call(
          admin,
          'GET',
          `/accounts${values.state ? `?${new URLSearchParams({ state: values.state })}` : ''}`,
        ),
    }),
    defineCommand({ name: 'admins list', options: {}, run: ({ admin }) => call(admin, 'GET', '/admins') }),
    defineCommand({
      name: 'admins add',
      options: userOption,
      run: ({ values, admin }) => call(admin, 'POST', '/admins', { username: values.user }),
    }),
    defineCommand({ name: 'reconcile', options: {}, run: ({ admin }) => call(admin, 'POST', '/reconcile') }),
    lifecycle('suspend'),
    lifecycle('reactivate'),
  ],
});
