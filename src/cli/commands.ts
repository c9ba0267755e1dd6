import { cloudCommand } from '../cloud/cli.ts';
import { samlCommand } from '../cloud/saml/cli.ts';
import { countyCommand } from '../county/cli.ts';
import { radiusCommand } from '../county/radius/cli.ts';
import type { CommandGroup } from '../platform/cli/command.ts';
import { clientCommand, keysCommand } from '../platform/oidc/cli.ts';
import { eventsCommand } from '../platform/security-events/cli.ts';
import { workspaceCommand } from '../workspace/cli.ts';
import { googleCommand } from '../workspace/emulator/google/cli.ts';
import { secretsCommand } from './secrets.ts';

/**
 * Admin commands (`edugate <name> …`), each group declared in its context's cli.ts and listed here.
 * They talk to the role through its admin API (see admin-call.ts), so they work while the demo runs.
 */
export const ADMIN_COMMANDS: Record<string, CommandGroup> = Object.fromEntries(
  [
    cloudCommand,
    countyCommand,
    googleCommand,
    radiusCommand,
    samlCommand,
    secretsCommand,
    workspaceCommand,
    clientCommand,
    keysCommand,
    eventsCommand,
  ].map((group) => [group.name, group]),
);
