import { cloudCommand } from '../cloud/cli.ts';
import { samlCommand } from '../cloud/saml/cli.ts';
import { countyCommand } from '../county/cli.ts';
import { radiusCommand } from '../county/radius/cli.ts';
import type { Config } from '../platform/config/options.ts';
import { oidcCommands } from '../platform/oidc/cli.ts';
import { securityEventCommands } from '../platform/security-events/cli.ts';
import { workspaceCommand } from '../workspace/cli.ts';
import { googleCommand } from '../workspace/emulator/google/cli.ts';
import { callAdmin } from './admin-call.ts';
import { secretsCommand } from './secrets.ts';

export interface CliCommand {
  usage: string;
  summary: string;
  run(config: Config, args: string[]): Promise<number>;
}

/**
 * Admin commands of the roles (`edugate <name> …`), each in its context's cli.ts and listed here.
 * They talk to the role through its admin API (see admin-call.ts), so they work while the demo runs.
 */
export const EXTRA_COMMANDS: Record<string, CliCommand> = {
  cloud: cloudCommand,
  county: countyCommand,
  google: googleCommand,
  radius: radiusCommand,
  saml: samlCommand,
  secrets: secretsCommand,
  workspace: workspaceCommand,
  ...oidcCommands(callAdmin),
  ...securityEventCommands(callAdmin),
};
