import { readFileSync } from 'node:fs';
import { type AdminCall, defineCommand, defineCommandGroup } from '../../platform/cli/command.ts';
import { printAdminResult } from '../../platform/cli/output.ts';

const USAGE = `usage:
  edugate saml sp add --metadata FILE_OR_URL [--name NAME] [--name-id-domain go.edu.tw]
  edugate saml sp add --entity-id ID --acs URL [--acs URL2] [--name NAME] [--name-id-domain DOMAIN]
  edugate saml sp list
  edugate saml sp remove --entity-id ID
  edugate saml key list
  edugate saml key rotate`;

async function readMetadata(source: string): Promise<string> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${source} answered ${response.status}`);
    return response.text();
  }
  return readFileSync(source, 'utf8');
}

function call(admin: AdminCall, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  return printAdminResult(admin('cloud', method, `/admin/api/saml${path}`, body));
}

/** `edugate saml …`: service providers and signing keys of the education cloud's SAML IdP. */
export const samlCommand = defineCommandGroup({
  name: 'saml',
  usage: 'saml sp|key …',
  summary: 'education cloud SAML IdP: register service providers (Google Workspace), rotate keys',
  help: USAGE,
  commands: [
    defineCommand({
      name: 'sp add',
      options: {
        metadata: { type: 'string' },
        'entity-id': { type: 'string' },
        acs: { type: 'string', multiple: true },
        name: { type: 'string' },
        'name-id-domain': { type: 'string' },
      },
      async run({ values, admin }) {
        const body: Record<string, unknown> = {};
        if (values.metadata) body.metadata = await readMetadata(values.metadata);
        else if (values['entity-id'] && values.acs?.length) {
          body.entityId = values['entity-id'];
          body.acsUrls = values.acs;
        } else {
          console.error(USAGE);
          return 2;
        }
        if (values.name) body.name = values.name;
        if (values['name-id-domain']) body.nameIdDomain = values['name-id-domain'];
        return call(admin, 'POST', '/sps', body);
      },
    }),
    defineCommand({ name: 'sp list', options: {}, run: ({ admin }) => call(admin, 'GET', '/sps') }),
    defineCommand({
      name: 'sp remove',
      options: { 'entity-id': { type: 'string', required: true } },
      run: ({ values, admin }) =>
        call(admin, 'DELETE', `/sps?entityId=${encodeURIComponent(values['entity-id'])}`),
    }),
    defineCommand({ name: 'key list', options: {}, run: ({ admin }) => call(admin, 'GET', '/keys') }),
    defineCommand({
      name: 'key rotate',
      options: {},
      run: ({ admin }) => call(admin, 'POST', '/keys/rotate'),
    }),
  ],
});
