import { readFileSync } from 'node:fs';
import { type AdminCall, defineCommand, defineCommandGroup } from '../platform/cli/command.ts';
import type { ImportResult, ImportRow } from './accounts/import.ts';
import { parseCsvRecords } from './csv.ts';

const USAGE = `usage:
  edugate county tenants [list] [--json]
      lists the counties (tenants), each a portal at /{code}: code, name, portal name, mail domain, URL
  edugate county tenants add --code hsc --name 新竹縣 --portal-name 新竹縣教育網路中心 --mail-domain hcc.edu.tw
      creates a county portal; a running server serves /{code} at once
  edugate county tenants edit hsc [--name 新竹縣] [--portal-name 新竹縣教育網路中心] [--mail-domain hcc.edu.tw]
      changes what is given (the code stays); the portal shows it at once, other nodes within 30 seconds
  edugate county admins add --tenant hsc --username adminhsc --email admin@hcc.edu.tw [--name 王大明]
      creates a county administrator and mails it a one-time link (valid 7 days) to choose its password
  edugate county import-accounts --tenant cyc FILE.csv
      columns: username,email,password_hash,unit_code[,real_name,family_name,given_name,national_id,titles,status]
      password_hash: bcrypt ($2y$…), sha256$SALT$HEX, md5$HEX or argon2 (upgraded at the next login)
  options of every command: --actor NAME (who is recorded in the audit log; default cli)`;

const REQUIRED = ['username', 'email', 'password_hash', 'unit_code'];
const OPTIONAL = ['real_name', 'family_name', 'given_name', 'national_id', 'titles', 'status'] as const;

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
    for (const key of OPTIONAL) {
      if (r[key]) row[key] = r[key];
    }
    return row;
  });
  return { rows, missing };
}

type Values = Record<string, string | undefined>;

/** An admin API refusal as one line: its message (in the admin API's language) and its code. */
function printRefusal(body: unknown): void {
  const { error, message } = (body ?? {}) as { error?: string; message?: string };
  console.error(message ? `${message} (${error})` : JSON.stringify(body));
}

/** `edugate county tenants add …`: a new county portal. */
async function addTenant(admin: AdminCall, values: Values): Promise<number> {
  const response = await admin('county', 'POST', '/admin/api/county/tenants', {
    actor: values.actor ?? 'cli',
    code: values.code ?? '',
    name: values.name ?? '',
    portal_name: values['portal-name'] ?? '',
    mail_domain: values['mail-domain'] ?? '',
  });
  if (response.status >= 400) {
    printRefusal(response.body);
    return 1;
  }
  const { tenant, url } = response.body as { tenant: { code: string; portal_name: string }; url: string };
  console.log(`created the county ${tenant.code} (${tenant.portal_name}): ${url}`);
  console.log(`next: edugate county admins add --tenant ${tenant.code} --username … --email …`);
  return 0;
}

interface ListedTenant {
  code: string;
  name: string;
  portal_name: string;
  mail_domain: string;
  url: string;
}

/** `edugate county tenants [list]`: one tab-separated line per county, or the admin API's JSON. */
async function listTenants(admin: AdminCall, json: boolean): Promise<number> {
  const response = await admin('county', 'GET', '/admin/api/county/tenants');
  if (response.status >= 400) {
    printRefusal(response.body);
    return 1;
  }
  if (json) {
    console.log(JSON.stringify(response.body, null, 2));
    return 0;
  }
  const lines = (response.body as ListedTenant[]).map((t) =>
    [t.code, t.name, t.portal_name, t.mail_domain, t.url].join('\t'),
  );
  console.log(['code\tname\tportal name\tmail domain\turl', ...lines].join('\n'));
  return 0;
}

/** `edugate county tenants edit CODE …`: changes the options given, nothing else. */
async function editTenant(admin: AdminCall, code: string, values: Values): Promise<number> {
  const fields = {
    code: values.code,
    name: values.name,
    portal_name: values['portal-name'],
    mail_domain: values['mail-domain'],
  };
  const response = await admin('county', 'PATCH', `/admin/api/county/tenants/${encodeURIComponent(code)}`, {
    actor: values.actor ?? 'cli',
    ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
  });
  if (response.status >= 400) {
    printRefusal(response.body);
    return 1;
  }
  const { tenant, changed } = response.body as { tenant: ListedTenant; changed: string[] };
  console.log(
    changed.length === 0
      ? `nothing to change: the county ${tenant.code} already has these values`
      : `updated the county ${tenant.code} (${tenant.portal_name}): ${changed.join(', ')}; ` +
          'its portal shows the change at once (other nodes within 30 seconds)',
  );
  return 0;
}

/** `edugate county admins add …`: a county administrator, who chooses a password through a mailed link. */
async function addAdmin(admin: AdminCall, values: Values): Promise<number> {
  const response = await admin(
    'county',
    'POST',
    `/admin/api/county/${encodeURIComponent(values.tenant ?? '')}/admins`,
    {
      actor: values.actor ?? 'cli',
      username: values.username ?? '',
      email: values.email ?? '',
      real_name: values.name ?? '',
    },
  );
  if (response.status >= 400) {
    printRefusal(response.body);
    return 1;
  }
  const { tenant, account, set_password_link } = response.body as {
    tenant: string;
    account: { username: string };
    set_password_link: { sent_to: string; expires_at: string };
  };
  console.log(
    `created the county administrator ${account.username} of ${tenant}; the one-time link to choose a password ` +
      `is mailed to ${set_password_link.sent_to} (valid until ${set_password_link.expires_at})`,
  );
  return 0;
}

/** `edugate county import-accounts --tenant T FILE`: the whole file in one request. */
async function importAccounts(admin: AdminCall, tenant: string, file: string, actor: string | undefined) {
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
  // The whole file in one request: the server imports all of it or, when a row is refused, nothing.
  const response = await admin(
    'county',
    'POST',
    `/admin/api/county/${encodeURIComponent(tenant)}/import-accounts`,
    {
      actor: actor ?? 'cli',
      rows,
    },
  );
  if (response.status >= 400) {
    console.error(JSON.stringify(response.body));
    return 1;
  }
  const result = response.body as ImportResult;
  if (result.rejected.length > 0) {
    for (const r of result.rejected) console.error(`line ${r.line} (${r.username}): ${r.reason}`);
    console.error(
      `nothing imported into ${tenant}: ${result.rejected.length} of ${rows.length} rows rejected; correct them and import the file again`,
    );
    return 1;
  }
  console.log(`imported ${result.created} of ${rows.length} accounts into ${tenant}`);
  return 0;
}

/** Who is recorded in the audit log (every command takes it). */
const actor = { actor: { type: 'string' } } as const;
const tenantFields = {
  name: { type: 'string' },
  'portal-name': { type: 'string' },
  'mail-domain': { type: 'string' },
} as const;

/** `edugate county …`: county portal administration (works while the demo or server runs). */
export const countyCommand = defineCommandGroup({
  name: 'county',
  usage: 'county tenants [list|add|edit]|admins add|import-accounts …',
  summary: 'county portal: create, edit and list counties, create their administrators, import accounts',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'tenants',
      options: { ...actor, json: { type: 'boolean' } },
      run: ({ values, admin }) => listTenants(admin, values.json === true),
    }),
    defineCommand({
      name: 'tenants list',
      options: { ...actor, json: { type: 'boolean' } },
      run: ({ values, admin }) => listTenants(admin, values.json === true),
    }),
    defineCommand({
      name: 'tenants add',
      options: {
        ...actor,
        code: { type: 'string', required: true },
        name: { type: 'string', required: true },
        'portal-name': { type: 'string', required: true },
        'mail-domain': { type: 'string', required: true },
      },
      run: ({ values, admin }) => addTenant(admin, values),
    }),
    defineCommand({
      name: 'tenants edit',
      args: ['CODE'],
      options: { ...actor, code: { type: 'string' }, ...tenantFields },
      run({ values, args, admin }) {
        if (['code', 'name', 'portal-name', 'mail-domain'].every((name) => !(name in values))) {
          console.error(`nothing to change: give --name, --portal-name or --mail-domain\n${USAGE}`);
          return 2;
        }
        return editTenant(admin, args[0] ?? '', values);
      },
    }),
    defineCommand({
      name: 'admins add',
      options: {
        ...actor,
        tenant: { type: 'string', required: true },
        username: { type: 'string', required: true },
        email: { type: 'string', required: true },
        name: { type: 'string' },
      },
      run: ({ values, admin }) => addAdmin(admin, values),
    }),
    defineCommand({
      name: 'import-accounts',
      args: ['FILE'],
      options: { ...actor, tenant: { type: 'string', required: true } },
      run: ({ values, args, admin }) => importAccounts(admin, values.tenant, args[0] ?? '', values.actor),
    }),
  ],
});
