import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FaultInjector, QuotaWindow } from '../faults.ts';
import type { AccessTokens } from '../token.ts';
import { GoogleApiError, googleErrors } from './errors.ts';
import { type DirectoryOrgUnits, orgUnitResource } from './orgunits.ts';
import { type DirectoryUsers, type UserInput, userResource } from './users.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The Directory API method a route implements (`users.insert`), for quota and fault rules. */
    googleMethod?: string;
  }
}

export interface DirectoryDeps {
  users: DirectoryUsers;
  orgUnits: DirectoryOrgUnits;
  tokens: AccessTokens;
  faults: FaultInjector;
  quota: QuotaWindow;
}

const CUSTOMERS = new Set(['my_customer', 'C0edugate']);

function faultError(kind: string, retryAfter: number): GoogleApiError {
  switch (kind) {
    case 'userRateLimitExceeded':
      return googleErrors.userRateLimit();
    case 'quotaExceeded':
      return googleErrors.quotaExceeded();
    case 'rateLimitExceeded429':
      return googleErrors.rateLimit429(retryAfter);
    case 'serviceUnavailable503':
      return googleErrors.unavailable(retryAfter);
    default:
      return googleErrors.backendError();
  }
}

/**
 * The Directory API subset at `/admin/directory/v1`, as `@googleapis/admin` calls it: bearer token,
 * per-minute quota, injected faults, Google's error envelope.
 */
export async function directoryApi(app: FastifyInstance, deps: DirectoryDeps): Promise<void> {
  await app.register(
    async (api) => {
      api.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), csrf: false } as typeof route.config;
      });
      api.setErrorHandler(async (error, request, reply) => {
        let failure: GoogleApiError;
        if (error instanceof GoogleApiError) failure = error;
        else if ((error as { statusCode?: number }).statusCode === 400) {
          failure = googleErrors.invalid('Invalid JSON payload received.');
        } else {
          request.log.error({ err: error }, 'directory api failure');
          failure = googleErrors.backendError();
        }
        return reply.code(failure.code).headers(failure.headers).send(failure.body());
      });
      api.setNotFoundHandler(async (_request, reply) => {
        const failure = googleErrors.notFound('method');
        return reply.code(404).send(failure.body());
      });
      api.addHook('onRequest', async (request) => {
        const header = request.headers.authorization ?? '';
        if (!header.startsWith('Bearer ') || !(await deps.tokens.verify(header.slice(7)))) {
          throw googleErrors.loginRequired();
        }
        if (!deps.quota.consume()) throw googleErrors.userRateLimit();
        const method = request.routeOptions.config?.googleMethod ?? '*';
        const fault = deps.faults.take(method, 'before');
        if (fault) throw faultError(fault.kind, fault.retryAfterSeconds ?? 1);
      });

      /** Commit first, then maybe lose the response (the client never learns the outcome). */
      const respond = (request: FastifyRequest, reply: FastifyReply, body: unknown, status = 200) => {
        const method = request.routeOptions.config?.googleMethod ?? '*';
        if (deps.faults.take(method, 'after')) {
          reply.hijack();
          request.raw.socket.destroy();
          return reply;
        }
        return status === 204 ? reply.code(204).send() : reply.code(status).send(body);
      };

      const customer = (request: FastifyRequest) => {
        const id = (request.params as { customerId: string }).customerId;
        if (!CUSTOMERS.has(id)) throw googleErrors.forbidden();
      };
      const userKey = (request: FastifyRequest) => (request.params as { userKey: string }).userKey;
      const body = (request: FastifyRequest) => (request.body ?? {}) as UserInput & Record<string, unknown>;

      api.post('/users', { config: { googleMethod: 'users.insert' } }, async (request, reply) =>
        respond(request, reply, userResource(await deps.users.insert(body(request)))),
      );
      api.get('/users/:userKey', { config: { googleMethod: 'users.get' } }, async (request, reply) =>
        respond(request, reply, userResource(await deps.users.get(userKey(request)))),
      );
      api.put('/users/:userKey', { config: { googleMethod: 'users.update' } }, async (request, reply) =>
        respond(request, reply, userResource(await deps.users.modify(userKey(request), body(request)))),
      );
      api.patch('/users/:userKey', { config: { googleMethod: 'users.patch' } }, async (request, reply) =>
        respond(request, reply, userResource(await deps.users.modify(userKey(request), body(request)))),
      );
      api.delete('/users/:userKey', { config: { googleMethod: 'users.delete' } }, async (request, reply) => {
        await deps.users.delete(userKey(request));
        return respond(request, reply, null, 204);
      });
      api.post(
        '/users/:userKey/undelete',
        { config: { googleMethod: 'users.undelete' } },
        async (request, reply) => {
          await deps.users.undelete(userKey(request), body(request).orgUnitPath);
          return respond(request, reply, null, 204);
        },
      );

      api.post(
        '/customer/:customerId/orgunits',
        { config: { googleMethod: 'orgunits.insert' } },
        async (request, reply) => {
          customer(request);
          return respond(request, reply, orgUnitResource(await deps.orgUnits.insert(body(request))));
        },
      );
      api.get(
        '/customer/:customerId/orgunits',
        { config: { googleMethod: 'orgunits.list' } },
        async (request, reply) => {
          customer(request);
          const query = request.query as { orgUnitPath?: string; type?: string };
          const units = await deps.orgUnits.list(query.orgUnitPath ?? '/', query.type ?? 'children');
          return respond(request, reply, {
            kind: 'admin#directory#orgUnits',
            organizationUnits: units.map(orgUnitResource),
          });
        },
      );
      api.get(
        '/customer/:customerId/orgunits/*',
        { config: { googleMethod: 'orgunits.get' } },
        async (request, reply) => {
          customer(request);
          const path = decodeURIComponent((request.params as { '*': string })['*']);
          return respond(request, reply, orgUnitResource(await deps.orgUnits.get(path)));
        },
      );
    },
    { prefix: '/admin/directory/v1' },
  );
}
