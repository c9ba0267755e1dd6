import type { Config } from '../../platform/config/options.ts';
import type { RoleName } from '../../platform/database/connect.ts';

export type Level = 'ok' | 'warn' | 'fail';

/** One line of `edugate doctor`: what was checked, how it went and, when not ok, what to do. */
export interface Finding {
  level: Level;
  check: string;
  message: string;
}

/** What every check is given: the configuration, the roles of this machine, demo or production. */
export interface Setup {
  config: Config;
  roles: RoleName[];
  /** A demo set-up: what production needs is a warning instead of an error. */
  demo: boolean;
  /** How long a network check waits for its server. */
  timeoutMs: number;
}

/** A check of `edugate doctor`: its lines (none when it does not apply). */
export type Check = (setup: Setup) => Finding[] | Promise<Finding[]>;

/** The checks only for a machine that runs `role`. */
export function forRole(role: RoleName, checks: readonly Check[]): Check[] {
  return checks.map((check) => (setup) => (setup.roles.includes(role) ? check(setup) : []));
}

export function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function reason(error: unknown): string {
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  if (Array.isArray(e.errors) && e.errors.length > 0) return reason(e.errors[0]);
  return [e.code, e.message].filter(Boolean).join(' ') || String(error);
}
