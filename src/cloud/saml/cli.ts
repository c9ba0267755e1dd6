import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { callAdmin } from '../../cli/admin-call.ts';
import type { CliCommand } from '../../cli/commands.ts';
import { printAdminResult } from '../../cli/output.ts';
import type { Config } from '../../platform/config/options.ts';

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

async function call(config: Config, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  return printAdminResult(callAdmin(config, 'cloud', method, `/admin/api/saml${path}`, body));
}

/** `edugate saml …`: service providers and signing keys of the education cloud's SAML IdP. */
export const samlCommand: CliCommand = {
  usage: 'saml sp|key …',
  summary: 'education cloud SAML IdP: register service providers (Google Workspace), rotate keys',
  async run(config, args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        metadata: { type: 'string' },
        'entity-id': { type: 'string' },
        acs: { type: 'string', multiple: true },
        name: { type: 'string' },
        'name-id-domain': { type: 'string' },
      },
    });
    switch (`${positionals[0]} ${positionals[1]}`) {
      case 'sp add': {
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
        return call(config, 'POST', '/sps', body);
      }
      case 'sp list':
        return call(config, 'GET', '/sps');
      case 'sp remove':
        if (!values['entity-id']) {
          console.error(USAGE);
          return 2;
        }
        return call(config, 'DELETE', `/sps?entityId=${encodeURIComponent(values['entity-id'])}`);
      case 'key list':
        return call(config, 'GET', '/keys');
      case 'key rotate':
        return call(config, 'POST', '/keys/rotate');
      default:
        console.error(USAGE);
        return 2;
    }
  },
};
