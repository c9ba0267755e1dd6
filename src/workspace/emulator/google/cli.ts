import { parseArgs } from 'node:util';
import { callAdmin } from '../../../cli/admin-call.ts';
import type { CliCommand } from '../../../cli/commands.ts';
import { printAdminResult } from '../../../cli/output.ts';

const USAGE = `usage (the local Google stand-in only, with its environment):
  edugate google service-account key --email CLIENT_EMAIL   a new JSON key of the service account on stdout
                                                            (its public key registered at the stand-in)
  edugate google delegate --client-id ID --scope URL [--scope URL …]
                                                            domain-wide delegation of exactly these scopes`;

/**
 * `edugate google …`: what an operator does in Google's consoles, done at the stand-in — create a
 * service account key (the JSON file for GOOGLE_SERVICE_ACCOUNT_FILE) and delegate scopes domain-wide.
 */
export const googleCommand: CliCommand = {
  usage: 'google service-account key|delegate',
  summary: 'Google stand-in: a service account key for GOOGLE_SERVICE_ACCOUNT_FILE, domain-wide delegation',
  async run(config, args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        email: { type: 'string' },
        'client-id': { type: 'string' },
        scope: { type: 'string', multiple: true },
      },
    });
    if (positionals[0] === 'service-account' && positionals[1] === 'key' && values.email) {
      return printAdminResult(
        callAdmin(config, 'google', 'POST', '/admin/api/service-accounts/keys', {
          clientEmail: values.email,
        }),
      );
    }
    if (positionals[0] === 'delegate' && values['client-id'] && values.scope?.length) {
      return printAdminResult(
        callAdmin(
          config,
          'google',
          'PUT',
          `/admin/api/delegations/${encodeURIComponent(values['client-id'])}`,
          { scopes: values.scope },
        ),
      );
    }
    console.error(USAGE);
    return 2;
  },
};
