import type { Config } from '../config/options.ts';
import type { RoleName } from '../database/connect.ts';

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface AdminResponse {
  status: number;
  body: unknown;
}

/**
 * Calls a role's admin API (`/admin/api/...`). The CLI supplies it (over HTTP to a running role,
 * or by starting the role in its own process), so a context's commands never import a role.
 */
export type AdminCall = (
  role: RoleName,
  method: AdminMethod,
  path: string,
  body?: unknown,
) => Promise<AdminResponse>;

/** An option of a command: `--name VALUE` (string) or `--name` (boolean); `multiple` repeats it. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
  /** Refused before `run` (exit 2, `missing --name`) when absent or blank. */
  required?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

type OptionValue<S extends OptionSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string;

/** The parsed options: a required one is always there, the others may be undefined. */
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]: O[K]['required'] extends true ? OptionValue<O[K]> : OptionValue<O[K]> | undefined;
};

export interface CommandInput<O extends OptionSpecs> {
  config: Config;
  values: OptionValues<O>;
  /** The positional arguments after the command's words (named by `args`). */
  args: string[];
  admin: AdminCall;
}

/**
 * One admin command: its words after the group's name (`county add`; `list|accounts` for
 * alternatives), its options and the step it runs. The dispatcher parses, checks required
 * options and prints the usage; `run` only calls the role and prints the answer.
 */
export interface Command<O extends OptionSpecs = OptionSpecs> {
  name: string;
  options: O;
  /** Names of the positional arguments after the words; a trailing `?` makes one optional. */
  args?: string[];
  run(input: CommandInput<O>): Promise<number> | number;
}

export function defineCommand<const O extends OptionSpecs>(spec: Command<O>): Command<O> {
  return spec;
}

/** The commands of one context under one name (`edugate cloud …`), with the usage they share. */
export interface CommandGroup {
  name: string;
  /** The short form shown in `edugate --help`. */
  usage: string;
  summary: string;
  /** The full usage, printed after a misuse. */
  help: string;
  commands: Command[];
}

export function defineCommandGroup(group: CommandGroup): CommandGroup {
  return group;
}

/**
 * A group that is one command without words (`edugate migrate [--role R]`): `help` defaults to
 * `usage: edugate <usage>`.
 */
export function defineSingleCommand<const O extends OptionSpecs>(spec: {
  name: string;
  usage: string;
  summary: string;
  help?: string;
  options: O;
  run(input: CommandInput<O>): Promise<number> | number;
}): CommandGroup {
  return {
    name: spec.name,
    usage: spec.usage,
    summary: spec.summary,
    help: spec.help ?? `usage: edugate ${spec.usage}`,
    commands: [defineCommand({ name: '', options: spec.options, run: spec.run })],
  };
}
