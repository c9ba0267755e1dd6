import { readFileSync } from 'node:fs';
import { type Config, type OptionSpec, options } from './options.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Source = Record<string, unknown>;

/**
 * Reads the configuration from environment variables, then from an optional JSON file
 * (`EDUGATE_CONFIG`, keys are the environment variable names), then defaults.
 * The first invalid option stops start-up with a message naming it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const file = readConfigFile(env.EDUGATE_CONFIG);
  const result: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(options) as [keyof Config, OptionSpec][]) {
    if (key in overrides) {
      result[key] = overrides[key];
      continue;
    }
    const raw = env[spec.env] ?? file[spec.env];
    const parsed = spec.schema.safeParse(raw === undefined ? undefined : raw);
    if (parsed.success) {
      result[key] = parsed.data;
    } else {
      const shown = spec.secret ? '(hidden)' : JSON.stringify(raw);
      const why = parsed.error.issues.map((i) => i.message).join('; ');
      problems.push(`${spec.env} = ${shown}: ${why}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result as Config;
}

function readConfigFile(path: string | undefined): Source {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `EDUGATE_CONFIG = ${JSON.stringify(path)}: cannot read (${(error as Error).message})`,
    );
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    const known = new Set(Object.values(options).map((o) => o.env));
    for (const key of Object.keys(value)) {
      if (!known.has(key)) throw new ConfigError(`EDUGATE_CONFIG: unknown option ${key}`);
    }
    return value as Source;
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(
      `EDUGATE_CONFIG = ${JSON.stringify(path)}: not a JSON object (${(error as Error).message})`,
    );
  }
}

/** Public base URLs of the four roles, derived from the ports unless configured. */
export function roleUrls(config: Config) {
  const base = (port: number) => `http://${config.publicHost}:${port}`;
  return {
    landing: base(config.landingPort),
    county: config.countyUrl ?? base(config.countyPort),
    cloud: config.cloudUrl ?? base(config.cloudPort),
    workspace: config.workspaceUrl ?? base(config.workspacePort),
    google: config.googleUrl ?? base(config.googlePort),
  };
}
