import { readFileSync } from 'node:fs';
import { type AdminCall, defineCommand, defineCommandGroup } from '../../platform/cli/command.ts';
import type { Config } from '../../platform/config/options.ts';
import { adminOrigin } from '../../platform/runtime/roles.ts';
import type { RadiusSetup } from './freeradius-config.ts';

/** Seconds FreeRADIUS remembers a NAS before it asks EduGate again (`--nas-lifetime`). */
const NAS_LIFETIME_S = 60;

const USAGE = `usage:
  edugate radius nas add --tenant cyc --name ap-controller --address 192.0.2.10[/32]
      registers a NAS (Wi-Fi controller, VPN server, TANet roaming centre) and prints {"name","secret"}
      as JSON: the shared secret is shown this once
  edugate radius nas list --tenant cyc
  edugate radius nas secret --tenant cyc --name ap-controller
      gives the NAS a new shared secret and prints {"name","secret"} (shown this once)
  edugate radius nas remove --tenant cyc --name ap-controller
  edugate radius config --tenant cyc --out DIR [--realm cyc.edu.tw] [--listen *] [--auth-port 1812] [--acct-port 1813]
      [--api http://127.0.0.1:4101] [--cert server.pem --key server.key --ca ca.pem]
      [--roaming-server HOST[:PORT] --roaming-secret SECRET] [--nas-lifetime 60] [--unknown-nas-lifetime 0]
      writes a FreeRADIUS 3.2 configuration directory (run: freeradius -f -d DIR) asking the county
      role's admin listener; generates the EAP certificates unless DIR has them or --cert/--key/--ca
      give the operator's; publishes the CA certificate on the portal's 「VPN連線服務」 page.
      FreeRADIUS asks EduGate for a NAS when it first hears from it, and again --nas-lifetime
      seconds later: a NAS added, removed or given a new secret takes effect within that time,
      without a restart. A changed --realm, roaming or a rotated EDUGATE_SECRET need a restart.
      --unknown-nas-lifetime N (10 or more): requests from an address with no NAS are dropped for N
      seconds without asking EduGate again; a NAS added at that address is answered after them.
  options of every command: --actor NAME (who is recorded in the audit log; default cli)`;

type Values = Record<string, string | undefined>;

function refusal(body: unknown): string {
  const { error, message } = (body ?? {}) as { error?: string; message?: string };
  return message ? `${message} (${error})` : JSON.stringify(body);
}

function port(value: string | undefined, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

const base = (tenant: string) => `/admin/api/county/${encodeURIComponent(tenant)}/radius`;

async function addNas(admin: AdminCall, values: Values): Promise<number> {
  const response = await admin('county', 'POST', `${base(values.tenant ?? '')}/clients`, {
    actor: values.actor ?? 'cli',
    name: values.name ?? '',
    address: values.address ?? '',
  });
  if (response.status >= 400) {
    console.error(refusal(response.body));
    return 1;
  }
  console.log(JSON.stringify(response.body));
  return 0;
}

async function listNas(admin: AdminCall, values: Values): Promise<number> {
  const response = await admin('county', 'GET', `${base(values.tenant ?? '')}/clients`);
  if (response.status >= 400) {
    console.error(refusal(response.body));
    return 1;
  }
  const rows = response.body as Array<{ name: string; address: string; created_at: string }>;
  console.log(
    ['name\taddress\tcreated', ...rows.map((r) => `${r.name}\t${r.address}\t${r.created_at}`)].join('\n'),
  );
  return 0;
}

async function removeNas(admin: AdminCall, values: Values): Promise<number> {
  const response = await admin(
    'county',
    'DELETE',
    `${base(values.tenant ?? '')}/clients/${encodeURIComponent(values.name ?? '')}`,
  );
  if (response.status >= 400) {
    console.error(refusal(response.body));
    return 1;
  }
  console.log(
    `removed the NAS ${values.name}: EduGate refuses it at once, and FreeRADIUS drops its requests once it asks again (--nas-lifetime, 60 seconds by default)`,
  );
  return 0;
}

async function renewSecret(admin: AdminCall, values: Values): Promise<number> {
  const response = await admin(
    'county',
    'POST',
    `${base(values.tenant ?? '')}/clients/${encodeURIComponent(values.name ?? '')}/secret`,
    { actor: values.actor ?? 'cli' },
  );
  if (response.status >= 400) {
    console.error(refusal(response.body));
    return 1;
  }
  console.log(JSON.stringify(response.body));
  return 0;
}

async function writeConfig(config: Config, admin: AdminCall, values: Values): Promise<number> {
  const tenant = values.tenant ?? '';
  const authPort = port(values['auth-port'], 1812);
  const acctPort = port(values['acct-port'], 1813);
  const lifetime = port(values['nas-lifetime'], NAS_LIFETIME_S);
  const unknownLifetime = Number(values['unknown-nas-lifetime'] ?? 0);
  if (
    !values.out ||
    authPort === undefined ||
    acctPort === undefined ||
    lifetime === undefined ||
    // FreeRADIUS's cache keeps entries 10 seconds to a day.
    !(
      unknownLifetime === 0 ||
      (Number.isInteger(unknownLifetime) && unknownLifetime >= 10 && unknownLifetime <= 86400)
    )
  ) {
    console.error(USAGE);
    return 2;
  }
  const supplied = [values.cert, values.key, values.ca].filter(Boolean).length;
  if (supplied !== 0 && supplied !== 3) {
    console.error(`give all of --cert, --key and --ca, or none\n${USAGE}`);
    return 2;
  }
  if (Boolean(values['roaming-server']) !== Boolean(values['roaming-secret'])) {
    console.error(`give both --roaming-server and --roaming-secret, or neither\n${USAGE}`);
    return 2;
  }
  if (values.realm) {
    // The realm teachers type after their name (default: the mail domain without `mail.`).
    const saved = await admin('county', 'PUT', `${base(tenant)}/settings`, {
      actor: values.actor ?? 'cli',
      realm: values.realm.trim().toLowerCase(),
    });
    if (saved.status >= 400) {
      console.error(`--realm ${values.realm}: ${refusal(saved.body)}`);
      return 1;
    }
  }
  const response = await admin('county', 'GET', `${base(tenant)}/setup`);
  if (response.status >= 400) {
    console.error(refusal(response.body));
    return 1;
  }
  const setup = response.body as RadiusSetup;
  // Loaded by this command only: the certificate library and the county's RADIUS modules.
  const [{ generateEapCertificates }, { writeFreeradiusDirectory }] = await Promise.all([
    import('./certificates.ts'),
    import('./freeradius-config.ts'),
  ]);
  let written: { dir: string; caPem: string };
  try {
    written = await writeFreeradiusDirectory(
      values.out,
      setup,
      {
        apiOrigin: values.api ?? adminOrigin(config, 'county'),
        listen: values.listen ?? '*',
        authPort,
        acctPort,
        roaming: values['roaming-server']
          ? { server: values['roaming-server'], secret: values['roaming-secret'] ?? '' }
          : undefined,
        clientLifetime: lifetime,
        unknownClientLifetime: unknownLifetime,
      },
      async () =>
        values.cert && values.key && values.ca
          ? {
              serverPem: readFileSync(values.cert, 'utf8'),
              serverKeyPem: readFileSync(values.key, 'utf8'),
              caPem: readFileSync(values.ca, 'utf8'),
            }
          : generateEapCertificates(setup.realm),
    );
  } catch (error) {
    console.error(`cannot write ${values.out}: ${(error as Error).message}`);
    return 1;
  }
  const published = await admin('county', 'PUT', `${base(tenant)}/settings`, {
    actor: values.actor ?? 'cli',
    ca_certificate: written.caPem,
  });
  if (published.status >= 400) {
    console.error(`the CA certificate was not published: ${refusal(published.body)}`);
    return 1;
  }
  console.log(
    `wrote the FreeRADIUS configuration of ${tenant} (realm ${setup.realm}, ${setup.clients.length} NAS) to ${written.dir}\n` +
      `run: freeradius -f -d ${written.dir}   (debugging: freeradius -X -d ${written.dir})`,
  );
  if (setup.clients.length === 0)
    console.log(`next: edugate radius nas add --tenant ${tenant} --name … --address …`);
  return 0;
}

const tenant = { tenant: { type: 'string', required: true }, actor: { type: 'string' } } as const;

/** `edugate radius …`: NAS clients and the FreeRADIUS configuration (works while the demo or server runs). */
export const radiusCommand = defineCommandGroup({
  name: 'radius',
  usage: 'radius nas [add|list|secret|remove]|config …',
  summary: 'Wi-Fi roaming and VPN: register NAS clients, write the FreeRADIUS configuration',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'config',
      options: {
        ...tenant,
        out: { type: 'string', required: true },
        realm: { type: 'string' },
        listen: { type: 'string' },
        'auth-port': { type: 'string' },
        'acct-port': { type: 'string' },
        api: { type: 'string' },
        cert: { type: 'string' },
        key: { type: 'string' },
        ca: { type: 'string' },
        'roaming-server': { type: 'string' },
        'roaming-secret': { type: 'string' },
        'nas-lifetime': { type: 'string' },
        'unknown-nas-lifetime': { type: 'string' },
      },
      run: ({ config, values, admin }) => writeConfig(config, admin, values),
    }),
    defineCommand({
      name: 'nas add',
      options: {
        ...tenant,
        name: { type: 'string', required: true },
        address: { type: 'string', required: true },
      },
      run: ({ values, admin }) => addNas(admin, values),
    }),
    defineCommand({ name: 'nas', options: tenant, run: ({ values, admin }) => listNas(admin, values) }),
    defineCommand({ name: 'nas list', options: tenant, run: ({ values, admin }) => listNas(admin, values) }),
    defineCommand({
      name: 'nas secret',
      options: { ...tenant, name: { type: 'string', required: true } },
      run: ({ values, admin }) => renewSecret(admin, values),
    }),
    defineCommand({
      name: 'nas remove',
      options: { ...tenant, name: { type: 'string', required: true } },
      run: ({ values, admin }) => removeNas(admin, values),
    }),
  ],
});
