import { readFileSync } from 'node:fs';
import { defineCommand, defineCommandGroup } from '../platform/cli/command.ts';
import type { Config } from '../platform/config/options.ts';
import type { RoleName } from '../platform/database/connect.ts';
import { isRoleName, ROLE_CHOICES, ROLE_NAMES } from '../platform/runtime/roles.ts';
import { generateSecrets, SECRET_VARIABLES } from '../platform/runtime/secrets.ts';

const USAGE = `usage:
  edugate secrets generate [--json]
      print a fresh set of secrets (NAME=value lines for an EnvironmentFile, or JSON)
  EDUGATE_SECRET=<current> edugate secrets rotate [--role <role>] --new-secret-file <file>
      re-seal every value sealed under EDUGATE_SECRET (signing keys, client secrets, SAML keys)
      under the new secret; <file> holds the new secret alone or an EDUGATE_SECRET=… line`;

/** The new installation secret from a file: a line `EDUGATE_SECRET=…`, or the file's only content. */
export function readSecretFile(path: string): string {
  const text = readFileSync(path, 'utf8');
  const line = text.split(/\r?\n/).find((l) => l.startsWith('EDUGATE_SECRET='));
  const value = (line ? line.slice('EDUGATE_SECRET='.length) : text).trim();
  return value.replace(/^(['"])(.*)\1$/, '$2');
}

function generate(values: { json?: boolean | undefined }): number {
  const secrets = generateSecrets();
  const entries = Object.entries(secrets).map(
    ([name, value]) => [SECRET_VARIABLES[name as keyof typeof SECRET_VARIABLES], value] as const,
  );
  if (values.json) console.log(JSON.stringify(Object.fromEntries(entries), null, 2));
  else for (const [name, value] of entries) console.log(`${name}=${value}`);
  return 0;
}

async function rotate(
  config: Config,
  values: { role?: string | undefined; 'new-secret-file': string },
): Promise<number> {
  if (values.role !== undefined && !isRoleName(values.role)) {
    console.error(`unknown role; use ${ROLE_CHOICES}`);
    return 2;
  }
  if (!config.secret) {
    console.error('Set EDUGATE_SECRET to the current installation secret (the one the data is sealed with).');
    return 2;
  }
  let newSecret: string;
  try {
    newSecret = readSecretFile(values['new-secret-file']);
  } catch (error) {
    console.error(`cannot read ${values['new-secret-file']}: ${(error as Error).message}`);
    return 2;
  }
  if (newSecret.length < 32) {
    console.error('The new secret must have at least 32 characters (`edugate secrets generate` makes one).');
    return 2;
  }
  if (newSecret === config.secret) {
    console.error('The new secret is the current one: nothing to rotate.');
    return 2;
  }
  const names = values.role ? [values.role as RoleName] : ROLE_NAMES;
  // The roles and the database client are loaded by this command only (`edugate --help` starts without).
  const [{ ROLES }, { openDatabase, roleDatabaseTarget }, { InstallationSecretMismatch, resealColumns }] =
    await Promise.all([
      import('../roles.ts'),
      import('../platform/database/connect.ts'),
      import('../platform/security/sealed-columns.ts'),
    ]);
  let failed = 0;
  for (const name of names) {
    const columns = ROLES[name].sealedColumns ?? [];
    if (columns.length === 0) {
      console.log(`${name}: nothing sealed under EDUGATE_SECRET`);
      continue;
    }
    const database = await openDatabase(roleDatabaseTarget(config, name));
    try {
      const counts = await resealColumns(database.db, columns, config.secret, newSecret);
      const done = counts.map((c) => `${c.rows} ${c.what}`).join(', ');
      console.log(`${name}: re-sealed ${done || 'nothing (not migrated yet)'}`);
    } catch (error) {
      failed++;
      if (!(error instanceof InstallationSecretMismatch)) throw error;
      console.error(`${name}: nothing changed. ${error.message}`);
    } finally {
      await database.close();
    }
  }
  if (failed === 0) {
    console.log(
      'Now set EDUGATE_SECRET to the new secret for every node of these roles and restart them; ' +
        'nodes still running with the old secret cannot open the re-sealed values.',
    );
  }
  return failed > 0 ? 1 : 0;
}

/** `edugate secrets generate|rotate`: the installation's secrets for operators. */
export const secretsCommand = defineCommandGroup({
  name: 'secrets',
  usage: 'secrets generate|rotate',
  summary: 'print a fresh set of secrets; re-seal stored keys under a new EDUGATE_SECRET',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'generate',
      options: { json: { type: 'boolean' } },
      run: ({ values }) => generate(values),
    }),
    defineCommand({
      name: 'rotate',
      options: { role: { type: 'string' }, 'new-secret-file': { type: 'string', required: true } },
      run: ({ config, values }) => rotate(config, values),
    }),
  ],
});
