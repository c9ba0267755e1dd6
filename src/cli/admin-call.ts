import type { AdminCall, AdminMethod, AdminResponse } from '../platform/cli/command.ts';
import type { Config } from '../platform/config/options.ts';
import type { RoleName } from '../platform/database/connect.ts';
import { adminOrigin } from '../platform/runtime/roles.ts';
import { loadSecrets } from '../platform/runtime/secrets.ts';

export type { AdminResponse };

/**
 * Calls a role's local admin API (`/admin/api/...`, Bearer admin token). When the role's server
 * is running (e.g. `npm start`), the call goes to its admin listener over HTTP
 * (`EDUGATE_ADMIN_HOST`, `EDUGATE_ADMIN_PORT` + the role's offset) — the embedded database admits
 * one process; otherwise the role is started in this process without listening and the same route
 * answers through Fastify's inject.
 */
export async function callAdmin(
  config: Config,
  role: RoleName,
  method: AdminMethod,
  path: string,
  body?: unknown,
): Promise<AdminResponse> {
  const secrets = loadSecrets(config);
  const headers: Record<string, string> = {
    authorization: `Bearer ${secrets.adminToken}`,
    accept: 'application/json',
  };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const url = `${adminOrigin(config, role)}${path}`;
  try {
    const response = await fetch(url, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as unknown) : null };
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code !== 'ECONNREFUSED') throw error;
  }
  // Loaded only now: a command against a running role (and every usage error) starts without them.
  const [{ ROLES }, { bootRole }, { createLogger }] = await Promise.all([
    import('../roles.ts'),
    import('../platform/runtime/boot.ts'),
    import('../platform/observability/logger.ts'),
  ]);
  const running = await bootRole(ROLES[role], {
    config,
    secrets,
    log: createLogger('warn'),
    demo: false,
    startJobs: false,
  });
  try {
    const response = await running.app.inject({
      method,
      url: path,
      headers,
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
    // Work the command queued (e.g. mails) gets done before this process exits.
    await running.ctx.jobs.drain(5).catch(() => 0);
    return {
      status: response.statusCode,
      body: response.body ? (JSON.parse(response.body) as unknown) : null,
    };
  } finally {
    await running.close();
  }
}

/** The admin API of the roles as the commands see it, for one configuration. */
export function adminCaller(config: Config): AdminCall {
  return (role, method, path, body) => callAdmin(config, role, method, path, body);
}
