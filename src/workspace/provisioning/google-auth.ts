import { auth as googleAuth } from '@googleapis/admin';
import type { Config } from '../../platform/config/options.ts';

export const DIRECTORY_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user',
  'https://www.googleapis.com/auth/admin.directory.orgunit',
];

export type DirectoryAuth = InstanceType<typeof googleAuth.JWT>;

export interface GoogleTarget {
  /** undefined = real Google (`https://admin.googleapis.com/`). */
  rootUrl: string | undefined;
  auth: DirectoryAuth;
  kind: 'google' | 'stand-in';
}

/** Google's token endpoint, where google-auth-library's JWT client sends its grants. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/**
 * How provisioning reaches Google: a service account key with domain-wide delegation
 * (GOOGLE_SERVICE_ACCOUNT_FILE) impersonating a super-admin (GOOGLE_ADMIN_SUBJECT), through
 * google-auth-library's JWT client (the JWT bearer grant). Against the stand-in (GOOGLE_ROOT_URL,
 * or in the demo the stand-in's URL) everything is the same except where requests go: the
 * Directory API under that root, and the token request, which the client sends to Google's token
 * URL, to `<root>/token`. Without a key file provisioning is not configured.
 */
export function googleTarget(config: Config, demoStandInUrl?: string): GoogleTarget | undefined {
  if (!config.googleServiceAccountFile) return undefined;
  const auth = new googleAuth.JWT({
    keyFile: config.googleServiceAccountFile,
    scopes: DIRECTORY_SCOPES,
    ...(config.googleAdminSubject ? { subject: config.googleAdminSubject } : {}),
  });
  const standIn = config.googleRootUrl ?? demoStandInUrl;
  if (!standIn) return { rootUrl: undefined, auth, kind: 'google' };
  const root = standIn.replace(/\/+$/, '');
  auth.transporter.interceptors.request.add({
    resolved: async (options) => {
      if (String(options.url) === GOOGLE_TOKEN_URL) options.url = new URL(`${root}/token`);
      return options;
    },
  });
  return { rootUrl: `${root}/`, auth, kind: 'stand-in' };
}
