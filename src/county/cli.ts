import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { callAdmin } from '../cli/admin-call.ts';
import type { CliCommand } from '../cli/commands.ts';
import type { Config } from '../platform/config/options.ts';
import type { ImportResult, ImportRow } from './accounts/import.ts';
import { parseCsvRecords } from './csv.ts';

const USAGE = `usage:
  edugate county import-accounts --tenant cyc FILE.csv
      columns: username,email,password_hash,unit_code[,real_name,family_name,given_name,national_id,titles,status]
      password_hash: bcrypt ($2y$…), sha256$SALT$HEX, md5$HEX or argon2 (upgraded at the next login)
  edugate county tenants`;

const BATCH = 500;
const REQUIRED = ['username', 'email', 'password_hash', 'unit_code'];

/** Reads the CSV into import rows (line numbers as in the file, the header being line 1). */
export function importRowsFromCsv(text: string): { rows: ImportRow[]; missing: string[] } {
  const { header, records } = parseCsvRecords(text);
  const missing = REQUIRED.filter((h) => !header.includes(h));
  const rows = records.map((r, i) => {
    const row: ImportRow = {
      line: i + 2,
      username: r.username ?? '',
      email: r.email ?? '',
      password_hash: r.password_hash ?? '',
      unit_code: r.unit_code ?? '',
    };
    for (const key of [
      'real_name',
      'family_name',
      'given_name',
      'national_id',
      'titles',
      'status',
    ] as const) {
      if (r[key]) row[key] = r[key];
    }
    return row;
  });
  return { rows, missing };
}

/** `edugate county …`: county portal administration (works while the demo or server runs). */
export const countyCommand: CliCommand = {
  usage: 'county import-accounts|tenants …',
  summary: 'county portal: import accounts with legacy password hashes, list tenants',
  async run(config: Config, args: string[]) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { tenant: { type: 'string' }, actor: { type: 'string' } },
    });
    const [sub, file] = positionals;
    if (sub === 'tenants') {
      const response = await callAdmin(config, 'county', 'GET', '/admin/api/county/tenants');
      console.log(JSON.stringify(response.body, null, 2));
      return response.status < 400 ? 0 : 1;
    }
    if (sub !== 'import-accounts' || !values.tenant || !file) {
      console.error(USAGE);
      return 2;
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      console.error(`cannot read ${file}: ${(error as Error).message}`);
      return 2;
    }
    const { rows, missing } = importRowsFromCsv(text);
    if (missing.length > 0) {
      console.error(`${file}: missing columns ${missing.join(', ')}\n${USAGE}`);
      return 2;
    }
    const total: ImportResult = { created: 0, skipped: [] };
    for (let i = 0; i < rows.length; i += BATCH) {
      const response = await callAdmin(
        config,
        'county',
        'POST',
        `/admin/api/county/${encodeURIComponent(values.tenant)}/import-accounts`,
        { actor: values.actor ?? 'cli', rows: rows.slice(i, i + BATCH) },
      );
      if (response.status >= 400) {
        console.error(JSON.stringify(response.body));
        return 1;
      }
      const result = response.body as ImportResult;
      total.created += result.created;
      total.skipped.push(...result.skipped);
    }
    for (const s of total.skipped) console.error(`line ${s.line} (${s.username}): ${s.reason}`);
    console.log(
      `imported ${total.created} of ${rows.length} accounts into ${values.tenant}; skipped ${total.skipped.length}`,
    );
    return total.skipped.length === 0 ? 0 : 1;
  },
};
