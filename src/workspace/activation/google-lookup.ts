// The activation portal answers the education cloud's two questions about Google addresses, over an
// authenticated channel (the roles share no table):
// - which address did the portal provision or adopt for this cloud account (the SAML IdP asserts
//   only that one), and
// - is this address still free at Google (a new cloud name must not be someone else's address).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { DEMO_CLIENTS } from '../../platform/federation/clients.ts';
import {
  GOOGLE_LOOKUP_PATH,
  GOOGLE_LOOKUP_TYP,
  type GoogleAddressAnswer,
  type GoogleLinkAnswer,
} from '../../platform/federation/google-lookup.ts';
import type { RoleContext } from '../../platform/runtime/role.ts';
import { remoteKeySet } from '../../platform/security/remote-keys.ts';
import { DirectoryClient, DirectoryFailure } from '../provisioning/directory-client.ts';
import { googleTarget } from '../provisioning/google-auth.ts';
import { RequestPacer } from '../provisioning/pacing.ts';
import type { WorkspaceTables } from '../schema.ts';
import { addressRecorded, provisionedAddress } from './repository.ts';

/** What is wrong with the token itself (anything else: the cloud's keys could not be fetched). */
const TOKEN_ERRORS = [
  errors.JWTClaimValidationFailed,
  errors.JWTExpired,
  errors.JWTInvalid,
  errors.JWSInvalid,
  errors.JWSSignatureVerificationFailed,
  errors.JWKSNoMatchingKey,
  errors.JWKSMultipleMatchingKeys,
  errors.JOSEAlgNotAllowed,
  errors.JOSENotSupported,
];

/** Lookups get a small share of the Directory quota; provisioning keeps the rest. */
const LOOKUP_SHARE = 10;

/** An answer refused: the status, the OAuth error code and its description. */
type Refusal = [status: 400 | 401 | 503, error: string, description: string];

function refuse(reply: FastifyReply, ...[status, error, description]: Refusal) {
  if (status === 401) reply.header('www-authenticate', `Bearer error="${error}"`);
  if (status === 503) reply.header('retry-after', '30');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ error, error_description: description });
}

export async function mountGoogleLookup(app: FastifyInstance, ctx: RoleContext<WorkspaceTables>) {
  const issuer = ctx.urls.cloud.replace(/\/+$/, '');
  const audience = ctx.config.workspaceClientId ?? DEMO_CLIENTS.workspaceAtCloud.clientId;
  const domain = ctx.config.workspaceDomain.toLowerCase();
  let keys: JWTVerifyGetKey | undefined;
  let directory: DirectoryClient | undefined;
  const directoryClient = () => {
    if (directory) return directory;
    const target = googleTarget(ctx.config, ctx.demo ? ctx.urls.google : undefined);
    if (!target) return undefined;
    const perMinute = Math.max(1, Math.floor(ctx.config.googleQuotaPerMinute / LOOKUP_SHARE));
    directory = new DirectoryClient(target, new RequestPacer(perMinute, 2));
    return directory;
  };

  /** The lookup token's claims, or the refusal to answer with (`[status, error, description]`). */
  const lookupClaims = async (
    request: FastifyRequest,
  ): Promise<{ claims: Record<string, unknown> } | { refusal: Refusal }> => {
    const header = request.headers.authorization ?? '';
    const token = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/.exec(header)?.[1];
    if (!token) return { refusal: [401, 'invalid_request', 'a lookup token is required'] };
    keys ??= remoteKeySet(`${issuer}/oidc/v1/jwksets`);
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience,
        typ: GOOGLE_LOOKUP_TYP,
        maxTokenAge: 120,
        clockTolerance: 30,
        requiredClaims: ['iat', 'exp', 'jti'],
        algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      });
      return { claims: payload };
    } catch (error) {
      if (TOKEN_ERRORS.some((kind) => error instanceof kind)) {
        request.log.warn({ err: (error as Error).message }, 'Google lookup token refused');
        return { refusal: [401, 'invalid_token', 'the lookup token is not valid here'] };
      }
      request.log.warn({ err: error }, "the cloud's keys are unavailable");
      return { refusal: [503, 'temporarily_unavailable', "the cloud's keys cannot be fetched now"] };
    }
  };

  // Only an account whose Google user the portal created or adopted with this sub as its external
  // id (activation refuses any other user at the address: state `conflict`).
  const linkedAddress = async (sub: string): Promise<GoogleLinkAnswer> => ({
    sub,
    googleEmail: (await provisionedAddress(ctx.db, sub)) ?? null,
  });

  /** Whether an address in the workspace domain is free: not ours, and no Google user has it. */
  const addressAvailability = async (
    request: FastifyRequest,
    email: string,
  ): Promise<GoogleAddressAnswer | { refusal: Refusal }> => {
    if (await addressRecorded(ctx.db, email)) return { googleEmail: email, available: false };
    const client = directoryClient();
    if (!client) return { refusal: [503, 'temporarily_unavailable', 'Google Workspace is not configured'] };
    try {
      const user = await client.getUser(email);
      return { googleEmail: email, available: user === undefined };
    } catch (error) {
      const message = error instanceof DirectoryFailure ? error.message : String(error);
      request.log.warn({ err: message, email }, 'Google lookup failed');
      return { refusal: [503, 'temporarily_unavailable', 'Google cannot be asked now'] };
    }
  };

  app.get(GOOGLE_LOOKUP_PATH, async (request, reply) => {
    const verified = await lookupClaims(request);
    if ('refusal' in verified) return refuse(reply, ...verified.refusal);
    const { claims } = verified;
    reply.header('cache-control', 'no-store');
    if (typeof claims.sub === 'string' && claims.sub !== '') return linkedAddress(claims.sub);
    const email = typeof claims.google_email === 'string' ? claims.google_email.toLowerCase() : '';
    if (!email.endsWith(`@${domain}`)) {
      return refuse(reply, 400, 'invalid_request', `the lookup needs a sub or an address in ${domain}`);
    }
    const answer = await addressAvailability(request, email);
    return 'refusal' in answer ? refuse(reply, ...answer.refusal) : answer;
  });
}
