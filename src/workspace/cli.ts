import { parseArgs } from 'node:util';
import { callAdmin } from '../cli/admin-call.ts';
import type { CliCommand } from '../cli/commands.ts';
import { printAdminResult } from '../cli/output.ts';
import type { Config } from '../platform/config/options.ts';

const USAGE = `usage:
  edugate workspace jobs                     provisioning jobs (state, attempts, last error)
  edugate workspace retry --job ID           queue a failed job again
  edugate workspace accounts                 activated and pending accounts
  edugate workspace reconcile                compare Google with the portal now (report in the admin page)
  edugate workspace suspend|reactivate --user CLOUD_NAME [--reason TEXT]`;

async function call(config: Config, method: 'GET' | 'POST', path: string, body?: unknown) {
  return printAdminResult(callAdmin(config, 'workspace', method, `/admin/api/workspace${path}`, body));
}

/** `edugate workspace …`: the activation portal's provisioning jobs, accounts and lifecycle. */
export const workspaceCommand: CliCommand = {
  usage: 'workspace jobs|retry|accounts|reconcile|suspend|reactivate',
  summary: 'workspace activation: provisioning jobs, drift report, account suspension in Google',
  async run(config, args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { job: { type: 'string' }, user: { type: 'string' }, reason: { type: 'string' } },
    });
    switch (positionals[0]) {
      case 'jobs':
        return call(config, 'GET', '/jobs');
      case 'retry':
        if (!values.job) break;
        return call(config, 'POST', `/jobs/${encodeURIComponent(values.job)}/retry`);
      case 'accounts':
        return call(config, 'GET', '/accounts');
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
