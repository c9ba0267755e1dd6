import type { Config } from '../config/options.ts';
import type { RoleName } from '../database/connect.ts';
import type { RunningRole } from './boot.ts';

/**
 * The names of the deployable roles, in start order (identity providers before their relying
 * parties). The role modules themselves are listed in the composition root, `src/roles.ts`: the
 * platform imports no role.
 */
export const ROLE_NAMES: readonly RoleName[] = ['county', 'cloud', 'workspace', 'google'];

/** The roles `--role` may name, as usage lines and refusals spell them. */
export const ROLE_CHOICES = ROLE_NAMES.join('|');

export function isRoleName(value: unknown): value is RoleName {
  return typeof value === 'string' && (ROLE_NAMES as readonly string[]).includes(value);
}

export function rolePort(config: Config, role: RoleName): number {
  return {
    county: config.countyPort,
    cloud: config.cloudPort,
    workspace: config.workspacePort,
    google: config.googlePort,
  }[role];
}

/** Offsets of the admin listeners from `EDUGATE_ADMIN_PORT`, the same in the demo and in production. */
const ADMIN_PORT_OFFSET: Record<RoleName, number> = { county: 1, cloud: 2, workspace: 3, google: 4 };

/** The port of a role's admin listener (metrics, admin API, health checks). */
export function adminPort(config: Config, role: RoleName): number {
  return config.adminPort + ADMIN_PORT_OFFSET[role];
}

/** The address the CLI calls a role's admin listener at (a wildcard bind is reached on loopback). */
export function adminOrigin(config: Config, role: RoleName): string {
  const host = ['0.0.0.0', '::', '[::]'].includes(config.adminHost) ? '127.0.0.1' : config.adminHost;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${adminPort(config, role)}`;
}

/** True for an address only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Refuses to serve demo-only pages (the landing page and mailbox, the Google stand-in and its
 * console) on an address other machines can reach: they show demo passwords, mails and a directory
 * without any sign-in.
 */
export function assertLoopback(host: string, what: string): void {
  if (!isLoopback(host)) {
    throw new Error(
      `${what} is for demos and tests on this machine only and will not listen on ${host}; bind it to 127.0.0.1 (EDUGATE_HOST)`,
    );
  }
}

/**
 * Starts a booted role's listeners: the public one on its port and `EDUGATE_HOST`, the admin one
 * on its admin port and `EDUGATE_ADMIN_HOST`. `ports` overrides both (tests).
 */
export async function listenRole(
  running: RunningRole,
  config: Config,
  ports: { port?: number; adminPort?: number } = {},
): Promise<{ port: number; adminPort: number }> {
  const name = running.module.name as RoleName;
  if (running.module.demoOnly) assertLoopback(config.host, running.module.title.en);
  await running.app.listen({ port: ports.port ?? rolePort(config, name), host: config.host });
  const admin = await running.app.listenAdmin({
    port: ports.adminPort ?? adminPort(config, name),
    host: config.adminHost,
  });
  const address = running.app.server.address();
  return { port: typeof address === 'object' && address ? address.port : 0, adminPort: admin.port };
}
