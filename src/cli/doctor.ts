import type { Config } from '../platform/config/options.ts';
import type { RoleName } from '../platform/database/connect.ts';
import { isRoleName, ROLE_CHOICES } from '../platform/runtime/roles.ts';
import { type Check, type Finding, forRole, type Level } from './doctor/check.ts';
import { adminSubject, googleStandIn, serviceAccountKey, workspaceClient } from './doctor/google.ts';
import { databases, redis, smtp } from './doctor/services.ts';
import {
  configuration,
  embeddedLayout,
  publicUrls,
  registration,
  secrets,
  secureCookies,
  trustProxy,
} from './doctor/settings.ts';

export interface DoctorOptions {
  /** The roles this machine runs (default: county, cloud and workspace). */
  roles?: RoleName[];
  /** Check a demo set-up: what production needs is a warning instead of an error. */
  demo?: boolean;
  /** How long a network check waits for its server. */
  timeoutMs?: number;
}

const PRODUCTION_ROLES: RoleName[] = ['county', 'cloud', 'workspace'];

/** Every check of `edugate doctor`, in the order printed (each adds its lines, or none). */
export const CHECKS: readonly Check[] = [
  configuration,
  secrets,
  embeddedLayout,
  databases,
  redis,
  smtp,
  publicUrls,
  secureCookies,
  trustProxy,
  registration,
  ...forRole('workspace', [googleStandIn, serviceAccountKey, adminSubject, workspaceClient]),
];

/** The findings of every check, one check after the other. */
export async function diagnose(config: Config, opts: DoctorOptions = {}): Promise<Finding[]> {
  const setup = {
    config,
    roles: opts.roles ?? PRODUCTION_ROLES,
    demo: opts.demo ?? false,
    timeoutMs: opts.timeoutMs ?? 3000,
  };
  const findings: Finding[] = [];
  for (const check of CHECKS) findings.push(...(await check(setup)));
  return findings;
}

const LABEL: Record<Level, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL' };

/** `edugate doctor [--role R]… [--demo]`: one line per check; exit 1 when any failed. */
export async function runDoctor(config: Config, opts: { roles: string[]; demo: boolean }): Promise<number> {
  const { roles } = opts;
  for (const role of roles) {
    if (!isRoleName(role)) {
      console.error(`unknown role ${role}; use ${ROLE_CHOICES}`);
      return 2;
    }
  }
  const findings = await diagnose(config, {
    ...(roles.length > 0 ? { roles: roles as RoleName[] } : {}),
    demo: opts.demo,
  });
  for (const f of findings) console.log(`${LABEL[f.level]}  ${f.check}: ${f.message}`);
  const failed = findings.filter((f) => f.level === 'fail').length;
  const warned = findings.filter((f) => f.level === 'warn').length;
  console.log(
    failed > 0
      ? `\n${failed} error(s), ${warned} warning(s): fix the errors before going live.`
      : `\nno errors, ${warned} warning(s).`,
  );
  return failed > 0 ? 1 : 0;
}
