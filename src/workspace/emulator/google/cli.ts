import { defineCommand, defineCommandGroup } from '../../../platform/cli/command.ts';
import { printAdminResult } from '../../../platform/cli/output.ts';

const USAGE = `usage (the local Google stand-in only, with its environment):
  edugate google service-account key --email CLIENT_EMAIL   a new JSON key of the service account on stdout
                                                            (its public key registered at the stand-in)
  edugate google delegate --client-id ID --scope URL [--scope URL …]
                                                            domain-wide delegation of exactly these scopes`;

/**
 * `edugate google …`: what an operator does in Google's consoles, done at the stand-in — create a
 * service account key (the JSON file for GOOGLE_SERVICE_ACCOUNT_FILE) and delegate scopes domain-wide.
 */
export const googleCommand = defineCommandGroup({
  name: 'google',
  usage: 'google service-account key|delegate',
  summary: 'Google stand-in: a service account key for GOOGLE_SERVICE_ACCOUNT_FILE, domain-wide delegation',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'service-account key',
      options: { email: { type: 'string', required: true } },
      run: ({ values, admin }) =>
        printAdminResult(
          admin('google', 'POST', '/admin/api/service-accounts/keys', { clientEmail: values.email }),
        ),
    }),
    defineCommand({
      name: 'delegate',
      options: {
        'client-id': { type: 'string', required: true },
        scope: { type: 'string', multiple: true, required: true },
      },
      run: ({ values, admin }) =>
        printAdminResult(
          admin('google', 'PUT', `/admin/api/delegations/${encodeURIComponent(values['client-id'])}`, {
            scopes: values.scope,
          }),
        ),
    }),
  ],
});
