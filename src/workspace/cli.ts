import { parseArgs } from 'node:util';
import { callAdmin } from '../cli/admin-call.ts';
import type { CliCommand } from '../cli/commands.ts';
import { printAdminResult } from '../cli/output.ts';
import type { Config } from '../platform/config/options.ts';

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

async function call(config: Config, method: 'GET' | 'POST', path: string, body?: unknown) {
  return printAdminResult(callAdmin(config, 'workspace', method, `/admin/api/workspace${path}`, body));
}

/** `edugate workspace …`: the activation portal's provisioning jobs, accounts and lifecycle. */
export const workspaceCommand: CliCommand = {
  usage: 'workspace activate|retry|list|jobs|reconcile|suspend|reactivate|admins',
  summary:
    'workspace activation: activate or retry a teacher, accounts, provisioning jobs, drift report, suspension in Google, portal administrators',
  async run(config, args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        job: { type: 'string' },
        user: { type: 'string' },
        reason: { type: 'string' },
        state: { type: 'string' },
      },
    });
    switch (positionals[0]) {
      case 'activate':
        if (!values.user) break;
        return call(config, 'POST', `${user(values.user)}/activate`);
      case 'jobs':
        return call(config, 'GET', '/jobs');
      case 'retry':
        if (values.user) return call(config, 'POST', `${user(values.user)}/retry`);
        if (!values.job) break;
        return call(config, 'POST', `/jobs/${encodeURIComponent(values.job)}/retry`);
      case 'list':
      case 'accounts':
        return call(
          config,
          'GET',
          `/accounts${values.state ? `?${new URLSearchParams({ state: values.state })}` : ''}`,
        );
      case 'admins':
        if (positionals[1] === 'list') return call(config, 'GET', '/admins');
        if (positionals[1] === 'add' && values.user)
          return call(config, 'POST', '/admins', { username: values.user });
        break;
      case 'reconcile':
        return call(config, 'POST', '/reconcile');
      case 'suspend':
      case 'reactivate':
        if (!values.user) break;
        return call(config, 'POST', '/lifecycle', {
          username: values.user,
          state: positionals[0] === 'suspend' ? 'suspended' : 'active',
          reason: values.reason ?? 'cli',
        });
    }
    console.error(USAGE);
    return 2;
  },
};
