import { cloudRole } from './cloud/role.ts';
import { countyRole } from './county/role.ts';
import type { RoleName } from './platform/database/connect.ts';
import type { RoleModule } from './platform/runtime/role.ts';
import { googleRole } from './workspace/emulator/google/role.ts';
import { workspaceRole } from './workspace/role.ts';

/**
 * The composition root: every deployable role, in start order (identity providers before their
 * relying parties). Only the entry points (`cli/`, `demo/`) import it; the CLI loads it when a
 * command needs a role, so `edugate --help` and the admin commands' usage start without them.
 */
export const ROLES: Record<RoleName, RoleModule> = {
  county: countyRole as RoleModule,
  cloud: cloudRole as RoleModule,
  workspace: workspaceRole as RoleModule,
  google: googleRole as RoleModule,
};
