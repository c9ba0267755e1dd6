import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../platform/config/load.ts';
import { createLogger } from '../platform/observability/logger.ts';
import { assertLoopback, isRoleName, ROLE_NAMES } from '../platform/runtime/roles.ts';
import { loadSecrets, missingProductionSecrets } from '../platform/runtime/secrets.ts';
import { ADMIN_COMMANDS } from './commands.ts';
import { runAdminCommand } from './run.ts';

// The roles, the demo and the doctor's clients are imported by the commands that need them, so
// `edugate --help` and a usage error start without loading every role.

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
  const log = createLogger(config.logLevel, undefined, config.logFormat);

  switch (command) {
    case 'demo': {
      const { values } = parseArgs({ args: rest, options: { reset: { type: 'boolean' } } });
      const { startDemo } = await import('../demo/launcher.ts');
      const demo = await startDemo({ config, log, reset: values.reset ?? false });
      console.log(`\nEduGate demo is running: ${demo.urls.landing}\nPress Ctrl-C to stop.\n`);
      await waitForSignal();
      await demo.close();
      return 0;
    }
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string' } } });
      if (!isRoleName(values.role)) {
        console.error('start needs --role county|cloud|workspace|google');
        return 2;
      }
      const [{ ROLES }, { startRole }] = await Promise.all([
        import('../roles.ts'),
        import('../platform/runtime/start-up.ts'),
      ]);
      // A demo-only role refuses a non-loopback address before it opens anything.
      if (ROLES[values.role].demoOnly) assertLoopback(config.host, ROLES[values.role].title.en);
      const missing = missingProductionSecrets(config);
      if (missing.length > 0)
        log.warn({ missing }, 'secrets not configured: using generated ones from the data directory');
      // Asked to stop while the database is still unreachable: stop waiting for it.
      const stopping = new AbortController();
      const stopped = waitForSignal().then(() => stopping.abort());
      const running = await startRole(
        ROLES[values.role],
        { config, secrets: loadSecrets(config), log, demo: false },
        stopping.signal,
      );
      if (!running) return 0;
      await stopped;
      await running.close();
      return 0;
    }
    case 'migrate': {
      const { values } = parseArgs({ args: rest, options: { role: { type: 'string' } } });
      if (values.role !== undefined && !isRoleName(values.role)) {
        console.error('unknown role; use county|cloud|workspace|google');
        return 2;
      }
      const names = values.role ? [values.role] : ROLE_NAMES;
      const [{ ROLES }, { bootRole }] = await Promise.all([
        import('../roles.ts'),
        import('../platform/runtime/boot.ts'),
      ]);
      for (const name of names) {
        const running = await bootRole(ROLES[name], {
          config,
          secrets: loadSecrets(config),
          log,
          demo: false,
          startJobs: false,
        });
        await running.close();
        console.log(`${name}: up to date`);
      }
      return 0;
    }
    case 'doctor': {
      const { runDoctor } = await import('./doctor.ts');
      return runDoctor(config, rest);
    }
    case 'config': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { write: { type: 'boolean' } },
      });
      if (positionals[0] !== 'docs') {
        console.error('usage: edugate config docs [--write]');
        return 2;
      }
      const { renderConfigurationDoc } = await import('../platform/config/docs.ts');
      const doc = renderConfigurationDoc();
      if (values.write) writeFileSync('docs/CONFIGURATION.md', doc);
      else process.stdout.write(doc);
      return 0;
    }
    default: {
      const group = ADMIN_COMMANDS[command];
      if (group) return runAdminCommand(group, config, rest);
      console.error(`unknown command: ${command}\n\n${HELP}`);
      return 2;
    }
  }
}

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
