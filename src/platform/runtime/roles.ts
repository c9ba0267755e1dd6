import { cloudRole } from '../../cloud/role.ts';
import { countyRole } from '../../county/role.ts';
import { googleRole } from '../../workspace/emulator/google/role.ts';
import { workspaceRole } from '../../workspace/role.ts';
import type { Config } from '../config/options.ts';
import type { RoleName } from '../database/connect.ts';
import type { RoleModule } from './role.ts';

/** Every deployable role, in start order (identity providers before their relying parties). */
export const ROLES: Record<RoleName, RoleModule> = {
  county: countyRole as RoleModule,
  cloud: cloudRole as RoleModule,
  workspace: workspaceRole as RoleModule,
  google: googleRole as RoleModule,
};

export function rolePort(config: Config, role: RoleName): number {
  return {
    county: config.countyPort,
    cloud: config.cloudPort,
    workspace: config.workspacePort,
    google: config.googlePort,
  }[role];
}
