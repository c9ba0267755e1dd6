import type { CommandGroup } from '../platform/cli/command.ts';
import { dispatch } from '../platform/cli/dispatch.ts';
import type { Config } from '../platform/config/options.ts';
import { adminCaller } from './admin-call.ts';

/** Runs `edugate <group> …args` against the roles' admin APIs (as `edugate` does; tests call it too). */
export function runAdminCommand(group: CommandGroup, config: Config, args: string[]): Promise<number> {
  return dispatch(group, args, { config, admin: adminCaller(config) });
}
