import { writeFileSync } from 'node:fs';
import {
  type CommandGroup,
  defineCommand,
  defineCommandGroup,
  defineSingleCommand,
} from '../platform/cli/command.ts';
import type { Config } from '../platform/config/options.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { assertLoopback, isRoleName, ROLE_CHOICES, ROLE_NAMES } from '../platform/runtime/roles.ts';
import { loadSecrets, missingProductionSecrets } from '../platform/runtime/secrets.ts';

// The roles, the demo and the doctor's clients are imported by the commands that need them, so
// `edugate --help` and a usage error start without loading every role.

const logger = (config: Config) => createLogger(config.logLevel, undefined, config.logFormat);

/** A role of a production node: its own secrets, no demo data. */
const production = (config: Config) => ({
  config,
  secrets: loadSecrets(config),
  log: logger(config),
  demo: false,
});

/**
 * `edugate demo [--reset]`: every role, the landing page and a mail sink on this machine.
 * `edugate demo --prepare`: only build the migrated empty database the demo starts from (`npm
 * install` runs it, so that the first `npm start` migrates nothing), then exit.
 */
const demo = defineSingleCommand({
  name: 'demo',
  usage: 'demo [--reset | --prepare]',
  summary: 'run every role, the landing page and a mail sink on this machine',
  options: { reset: { type: 'boolean' }, prepare: { type: 'boolean' } },
  async run({ config, values }) {
    if (values.prepare) return prepareDemo(config);
    const { startDemo } = await import('../demo/launcher.ts');
    const demo = await startDemo({ config, log: logger(config), reset: values.reset ?? false });
    console.log(`\nEduGate demo is running: ${demo.urls.landing}\nPress Ctrl-C to stop.\n`);
    await waitForSignal();
    await demo.close();
    return 0;
  },
});

async function prepareDemo(config: Config): Promise<number> {
  // A production install (`npm ci --omit=dev`) or one on PostgreSQL runs no embedded demo.
  if (config.databaseUrl || /\bdev\b/.test(process.env.npm_config_omit ?? '')) return 0;
  const started = performance.now();
  const [{ prepareTemplate }, { ROLES }] = await Promise.all([
    import('../demo/embedded-template.ts'),
    import('../roles.ts'),
  ]);
  const template = await prepareTemplate(ROLES, logger(config));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  // Without a cache the demo migrates on its first start instead: slower, not broken.
  console.log(template ? `demo database ready (${seconds} s): ${template}` : 'demo database not cached');
  return 0;
}

/** `edugate start --role R`: one role for production. */
const start = defineSingleCommand({
  name: 'start',
  usage: 'start --role <role>',
  summary: 'run one role for production (county | cloud | workspace | google)',
  help: `usage: edugate start --role ${ROLE_CHOICES}`,
  options: { role: { type: 'string', required: true } },
  async run({ config, values }) {
    if (!isRoleName(values.role)) {
      console.error(`start needs --role ${ROLE_CHOICES}`);
      return 2;
    }
    const [{ ROLES }, { startRole }] = await Promise.all([
      import('../roles.ts'),
      import('../platform/runtime/start-up.ts'),
    ]);
    const node = production(config);
    // A demo-only role refuses a non-loopback address before it opens anything.
    if (ROLES[values.role].demoOnly) assertLoopback(config.host, ROLES[values.role].title.en);
    const missing = missingProductionSecrets(config);
    if (missing.length > 0)
      node.log.warn({ missing }, 'secrets not configured: using generated ones from the data directory');
    // Asked to stop while the database is still unreachable: stop waiting for it.
    const stopping = new AbortController();
    const stopped = waitForSignal().then(() => stopping.abort());
    const running = await startRole(ROLES[values.role], node, stopping.signal);
    if (!running) return 0;
    await stopped;
    await running.close();
    return 0;
  },
});

/** `edugate migrate [--role R]`: the database schema of one or every role, up to date. */
const migrate = defineSingleCommand({
  name: 'migrate',
  usage: 'migrate [--role <role>]',
  summary: 'bring the database schema of one or every role up to date',
  help: `usage: edugate migrate [--role ${ROLE_CHOICES}]`,
  options: { role: { type: 'string' } },
  async run({ config, values }) {
    if (values.role !== undefined && !isRoleName(values.role)) {
      console.error(`unknown role; use ${ROLE_CHOICES}`);
      return 2;
    }
    const names = values.role ? [values.role] : ROLE_NAMES;
    const [{ ROLES }, { bootRole }] = await Promise.all([
      import('../roles.ts'),
      import('../platform/runtime/boot.ts'),
    ]);
    const node = production(config);
    for (const name of names) {
      const running = await bootRole(ROLES[name], { ...node, startJobs: false });
      await running.close();
      console.log(`${name}: up to date`);
    }
    return 0;
  },
});

/** `edugate doctor [--role R]… [--demo]`: what production needs, one line per check. */
const doctor = defineSingleCommand({
  name: 'doctor',
  usage: 'doctor [--role <role>]… [--demo]',
  summary: 'check what production needs; exit 1 on any error',
  help: `usage: edugate doctor [--role ${ROLE_CHOICES}]… [--demo]`,
  options: { role: { type: 'string', multiple: true }, demo: { type: 'boolean' } },
  async run({ config, values }) {
    const { runDoctor } = await import('./doctor.ts');
    return runDoctor(config, { roles: values.role ?? [], demo: values.demo ?? false });
  },
});

/** `edugate config docs [--write]`: the configuration reference. */
const configDocs = defineCommandGroup({
  name: 'config',
  usage: 'config docs [--write]',
  summary: 'print (or write to docs/CONFIGURATION.md) the configuration reference',
  help: 'usage: edugate config docs [--write]',
  commands: [
    defineCommand({
      name: 'docs',
      options: { write: { type: 'boolean' } },
      async run({ values }) {
        const { renderConfigurationDoc } = await import('../platform/config/docs.ts');
        const doc = renderConfigurationDoc();
        if (values.write) writeFileSync('docs/CONFIGURATION.md', doc);
        else process.stdout.write(doc);
        return 0;
      },
    }),
  ],
});

/** The commands that run the roles (listed by hand in `edugate --help`, before the admin commands). */
export const COMMANDS: Record<string, CommandGroup> = Object.fromEntries(
  [demo, start, migrate, doctor, configDocs].map((group) => [group.name, group]),
);

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
