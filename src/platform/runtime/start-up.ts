import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { RoleName } from '../database/connect.ts';
import { dependencyUnavailable, isDependencyFailure } from '../errors/dependency.ts';
import { createRoleApp } from '../http/role-app.ts';
import { type BootOptions, bootRole, type RunningRole } from './boot.ts';
import type { RoleModule } from './role.ts';
import { adminPort, listenRole, rolePort } from './roles.ts';

/** First pause between two start-up attempts; it doubles up to `MAX_RETRY_DELAY_MS`. */
const FIRST_RETRY_DELAY_MS = 500;
const MAX_RETRY_DELAY_MS = 10_000;

/**
 * Starts one role for production (`edugate start`) and keeps trying while its database cannot be
 * reached: a node booted during a PostgreSQL restart, a failover or a network outage waits for it
 * instead of exiting (a supervisor restarting it in a loop would hide why). Meanwhile both its
 * listeners answer: /healthz 200 (the process lives), /readyz 503 (a load balancer keeps it out of
 * rotation) and every other request the "service busy" page (503, Retry-After). Each attempt is
 * logged with the reason and the pause before the next one, which doubles up to 10 s (with jitter).
 * Errors that waiting cannot cure (a wrong secret, a missing database) end the start at once.
 * Resolves to the running role, listening; or to undefined when `signal` aborts first.
 */
export async function startRole(
  module: RoleModule,
  options: BootOptions,
  signal: AbortSignal,
): Promise<RunningRole | undefined> {
  const log = options.log.child({ role: module.name });
  let waiting: FastifyInstance | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const running = await bootRole(module, options);
        if (waiting) {
          await waiting.close();
          waiting = undefined;
          log.info({ attempt }, 'dependencies reachable again: starting');
        }
        if (signal.aborted) {
          await running.close();
          return undefined;
        }
        try {
          await listenRole(running, options.config);
        } catch (error) {
          await running.close();
          throw error;
        }
        return running;
      } catch (error) {
        if (!isDependencyFailure(error)) throw error;
        const delay = retryDelay(attempt);
        log.warn(
          { attempt, retryInMs: delay, reason: describe(error) },
          `the database is unreachable (${describe(error)}); retrying in ${(delay / 1000).toFixed(1)} s, answering 503 meanwhile`,
        );
        waiting ??= await listenWhileWaiting(module, options, log);
        if (!(await pause(delay, signal))) return undefined;
      }
    }
  } finally {
    await waiting?.close();
  }
}

function retryDelay(attempt: number): number {
  const delay = Math.min(MAX_RETRY_DELAY_MS, FIRST_RETRY_DELAY_MS * 2 ** Math.min(attempt - 1, 10));
  return Math.round(delay * (0.75 + Math.random() * 0.25));
}

/** What went wrong, in one line without secrets (pg puts neither password nor URL in its messages). */
function describe(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown; errors?: unknown };
  if (typeof e.message === 'string' && e.message) return e.message;
  if (Array.isArray(e.errors) && e.errors.length > 0) return describe(e.errors[0]);
  return typeof e.code === 'string' ? e.code : 'unknown error';
}

/** True after `ms`; false at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The stand-in that holds a starting role's ports: live, not ready, and busy for everything else
 * (the localized "service busy" page, or JSON for API clients).
 */
async function listenWhileWaiting(
  module: RoleModule,
  options: BootOptions,
  log: Logger,
): Promise<FastifyInstance> {
  const name = module.name as RoleName;
  const app = await createRoleApp({
    role: name,
    logger: log,
    readiness: [
      async () => {
        throw new Error('starting: the database is not reachable yet');
      },
    ],
    brand: { name: module.title['zh-TW'], href: '/' },
  });
  app.all('/*', async () => {
    throw dependencyUnavailable();
  });
  try {
    await app.listen({ port: rolePort(options.config, name), host: options.config.host });
    await app.listenAdmin({ port: adminPort(options.config, name), host: options.config.adminHost });
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}
