import { createHmac } from 'node:crypto';

/**
 * Demo OIDC/SAML relationships between the roles. In production each is registered by its
 * administrators (CLI or console); the demo derives the client secrets from the installation
 * secret so both sides agree without sharing tables.
 */
export const DEMO_CLIENTS = {
  /** The education cloud as a relying party of each county portal. */
  cloudAtCounty: { clientId: 'educloud', redirectPath: '/cncreturnpage', scope: 'openid exchangedata' },
  /** The workspace activation portal as a relying party of the education cloud. */
  workspaceAtCloud: {
    clientId: 'k12cc-workspace',
    redirectPath: '/auth/callback',
    backchannelLogoutPath: '/auth/backchannel-logout',
    scope: 'openid profile email eduinfo',
  },
} as const;

export function demoClientSecret(installationSecret: string, name: string): string {
  return createHmac('sha256', installationSecret).update(`demo-client:${name}`).digest('base64url');
}
