import { auth as googleAuth } from '@googleapis/admin';
import { demoClientSecret } from '../../demo/seed-data.ts';
import type { Config } from '../../platform/config/options.ts';

export const DIRECTORY_SCOPES = [
  'https://www.googleapis.com/auth/admin.directory.user',
  'https://www.googleapis.com/auth/admin.directory.orgunit',
];

/**
 * The one credential the local Google stand-in accepts (refresh-token grant at `ROOT/token`).
 * Both sides derive it from the installation secret, so no file has to be shared in the demo.
 */
export function standInCredential(installationSecret: string) {
  return {
    clientId: 'edugate-provisioning',
    clientSecret: demoClientSecret(installationSecret, 'google-standin-client'),
    refreshToken: demoClientSecret(installationSecret, 'google-standin-refresh'),
  };
}

export type DirectoryAuth = InstanceType<typeof googleAuth.JWT> | InstanceType<typeof googleAuth.OAuth2>;

export interface GoogleTarget {
  /** undefined = real Google (`https://admin.googleapis.com/`). */
  rootUrl: string | undefined;
  auth: DirectoryAuth;
  kind: 'google' | 'stand-in';
}

/**
 * How provisioning reaches Google. Real Google: a service account key with domain-wide delegation
 * impersonating a super-admin (GOOGLE_SERVICE_ACCOUNT_FILE + GOOGLE_ADMIN_SUBJECT). The stand-in:
 * GOOGLE_ROOT_URL (or, in the demo, the stand-in's URL) and its static credential.
 */
export function googleTarget(
  config: Config,
  installationSecret: string,
  demoStandInUrl?: string,
): GoogleTarget | undefined {
  if (config.googleServiceAccountFile) {
    const auth = new googleAuth.JWT({
      keyFile: config.googleServiceAccountFile,
      scopes: DIRECTORY_SCOPES,
      ...(config.googleAdminSubject ? { subject: config.googleAdminSubject } : {}),
    });
    return { rootUrl: config.googleRootUrl, auth, kind: 'google' };
  }
  const standIn = config.googleRootUrl ?? demoStandInUrl;
  if (!standIn) return undefined;
  const root = standIn.replace(/\/+$/, '');
  const credential = standInCredential(installationSecret);
  const auth = new googleAuth.OAuth2({
    clientId: credential.clientId,
    clientSecret: credential.clientSecret,
    endpoints: { oauth2TokenUrl: `${root}/token` },
  });
  auth.setCredentials({ refresh_token: credential.refreshToken });
  return { rootUrl: `${root}/`, auth, kind: 'stand-in' };
}
