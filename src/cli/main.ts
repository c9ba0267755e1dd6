import { ConfigError, loadConfig } from '../platform/config/load.ts';
import { COMMANDS } from './builtins.ts';
import { ADMIN_COMMANDS } from './commands.ts';
import { runAdminCommand } from './run.ts';

const HELP = `edugate — education identity federation

Usage: edugate <command> [options]

Commands:
  demo [--reset]                 run every role, the landing page and a mail sink on this machine
                                 (landing page http://localhost:4000); --reset starts from scratch
  start --role <role>            run one role for production (county | cloud | workspace | google)
  migrate [--role <role>]        bring the database schema of one or every role up to date
  doctor [--role <role>]… [--demo]
                                 check what production needs (secrets, database and migrations,
                                 Redis, SMTP, public URLs, Google); exit 1 on any error
  config docs [--write]          print (or write to docs/CONFIGURATION.md) the configuration reference
${Object.values(ADMIN_COMMANDS)
  .map((c) =>
    c.usage.length < 30
      ? `  ${c.usage.padEnd(30)} ${c.summary}`
      : `  ${c.usage}\n${' '.repeat(33)}${c.summary}`,
  )
  .join('\n')}
  help                           this text

Configuration comes from environment variables (see docs/CONFIGURATION.md).`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    console.log(HELP);
    return 0;
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const group = COMMANDS[command] ?? ADMIN_COMMANDS[command];
  if (group) return runAdminCommand(group, config, rest);
  console.error(`unknown command: ${command}\n\n${HELP}`);
  return 2;
}
