import { readFileSync } from 'node:fs';
import { type Finding, reason, type Setup } from './check.ts';

/** The checks of the activation portal's Google Workspace set-up (a machine that runs the portal). */

const check = 'google';

/** Provisioning talks to a stand-in (the demo's, or a test double), not to Google. */
export function googleStandIn({ config, demo }: Setup): Finding[] {
  if (!config.googleRootUrl) return [];
  return [
    {
      level: demo ? 'ok' : 'warn',
      check,
      message: `GOOGLE_ROOT_URL=${config.googleRootUrl}: provisioning talks to a stand-in, not to Google. Unset it in production`,
    },
  ];
}

/** The service account key: set, readable as JSON, and a service account's. */
export function serviceAccountKey({ config, demo }: Setup): Finding[] {
  const file = config.googleServiceAccountFile;
  if (!file) {
    return [
      {
        level: demo ? 'warn' : 'fail',
        check,
        message:
          'GOOGLE_SERVICE_ACCOUNT_FILE not set: activations cannot create Google accounts. Create a service account key with domain-wide delegation (docs/OPERATIONS.md, Google Workspace) and set its path',
      },
    ];
  }
  let key: Record<string, unknown>;
  try {
    key = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return [
      {
        level: 'fail',
        check,
        message: `GOOGLE_SERVICE_ACCOUNT_FILE ${file} cannot be read as JSON (${reason(error)}): download the service account's JSON key again`,
      },
    ];
  }
  const usable =
    key.type === 'service_account' &&
    typeof key.client_email === 'string' &&
    typeof key.private_key === 'string' &&
    key.private_key.includes('PRIVATE KEY');
  return [
    usable
      ? { level: 'ok', check, message: `service account ${String(key.client_email)}` }
      : {
          level: 'fail',
          check,
          message: `${file} is not a service account key (needs type "service_account", client_email, private_key): download a JSON key of the service account`,
        },
  ];
}

/** The super-admin of the Workspace domain that the service account impersonates. */
export function adminSubject({ config, demo }: Setup): Finding[] {
  const subject = config.googleAdminSubject;
  const domain = config.workspaceDomain;
  if (!subject) {
    return [
      {
        level: demo ? 'warn' : 'fail',
        check,
        message: `GOOGLE_ADMIN_SUBJECT not set: set it to a super-admin of ${domain} that the service account impersonates`,
      },
    ];
  }
  if (!subject.includes('@')) {
    return [
      {
        level: 'fail',
        check,
        message: `GOOGLE_ADMIN_SUBJECT ${subject} is not an address: set it to admin@${domain}`,
      },
    ];
  }
  if (!subject.toLowerCase().endsWith(`@${domain.toLowerCase()}`)) {
    return [
      {
        level: 'warn',
        check,
        message: `GOOGLE_ADMIN_SUBJECT ${subject} is not in EDUGATE_WORKSPACE_DOMAIN ${domain}: make sure it administers ${domain}`,
      },
    ];
  }
  return [{ level: 'ok', check, message: `acting as ${subject} for ${domain}` }];
}

/** The portal's registration as a relying party of the cloud. */
export function workspaceClient({ config, demo }: Setup): Finding[] {
  if (config.workspaceClientId && config.workspaceClientSecret) return [];
  return [
    {
      level: demo ? 'ok' : 'fail',
      check: 'workspace client',
      message: demo
        ? 'demo registration at the cloud'
        : 'WORKSPACE_OIDC_CLIENT_ID / WORKSPACE_OIDC_CLIENT_SECRET not set: register the portal at the cloud (`edugate client add --role cloud …`) and set both',
    },
  ];
}
