import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import type { Config } from '../config/options.ts';
import type { AdminCall, Command, CommandGroup, OptionSpecs, OptionValues } from './command.ts';

function parserOptions(specs: OptionSpecs): ParseArgsOptionsConfig {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      spec.multiple ? { type: spec.type, multiple: true } : { type: spec.type },
    ]),
  );
}

function matches(command: Command, positionals: string[]): number | undefined {
  const words = command.name === '' ? [] : command.name.split(' ');
  if (!words.every((word, i) => word.split('|').includes(positionals[i] ?? ''))) return undefined;
  const rest = positionals.length - words.length;
  const args = command.args ?? [];
  const optional = args.filter((a) => a.endsWith('?')).length;
  return rest >= args.length - optional && rest <= args.length ? words.length : undefined;
}

/** The command the positionals name: the one with the most words that matches. */
function findCommand(group: CommandGroup, positionals: string[]): Command | undefined {
  let found: { command: Command; words: number } | undefined;
  for (const command of group.commands) {
    const words = matches(command, positionals);
    if (words !== undefined && (!found || words > found.words)) found = { command, words };
  }
  return found?.command;
}

function misuse(group: CommandGroup, message?: string): number {
  console.error(message ? `${message}\n${group.help}` : group.help);
  return 2;
}

/**
 * Runs `edugate <group> …`: parses the arguments with the options of the group's commands, finds
 * the command, refuses an option it does not take and missing required options (exit 2, one line
 * naming them, then the usage), and runs it.
 */
export async function dispatch(
  group: CommandGroup,
  argv: string[],
  io: { config: Config; admin: AdminCall },
): Promise<number> {
  const all: OptionSpecs = Object.assign({}, ...group.commands.map((c) => c.options));
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: parserOptions(all) });
  } catch (error) {
    return misuse(group, (error as Error).message);
  }
  const command = findCommand(group, parsed.positionals);
  if (!command) return misuse(group);
  const name = `${group.name} ${command.name}`.trim();
  const unknown = Object.keys(parsed.values).filter((option) => !(option in command.options));
  if (unknown.length > 0) {
    return misuse(group, `${name} does not take ${unknown.map((o) => `--${o}`).join(', ')}`);
  }
  const missing = Object.entries(command.options)
    .filter(([option, spec]) => spec.required && isBlank(parsed.values[option]))
    .map(([option]) => `--${option}`);
  if (missing.length > 0) return misuse(group, `missing ${missing.join(', ')}`);
  const words = command.name === '' ? 0 : command.name.split(' ').length;
  return command.run({
    config: io.config,
    values: parsed.values as OptionValues<OptionSpecs>,
    args: parsed.positionals.slice(words),
    admin: io.admin,
  });
}

function isBlank(value: unknown): boolean {
  if (value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  return Array.isArray(value) && value.length === 0;
}
