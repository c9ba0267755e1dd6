import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAML } from '@node-saml/node-saml';
import { afterAll, expect, it, vi } from 'vitest';
import { runAdminCommand } from '../../cli/run.ts';
import { loadConfig } from '../../platform/config/load.ts';
import { freePort } from '../../platform/testing/ports.ts';
import { samlCommand } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'edugate-saml-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('edugate saml sp add --metadata FILE registers the SP read from its metadata and prints it', async () => {
  const metadata = new SAML({
    issuer: 'https://accounts.google.com/samlrp/metadata?rpid=03abc',
    callbackUrl: 'https://accounts.google.com/samlrp/acs?rpid=03abc',
    idpCert: 'unused',
  }).generateServiceProviderMetadata(null);
  const file = join(dir, 'sp.xml');
  writeFileSync(file, metadata);
  const config = loadConfig({}, { dataDir: dir, cloudPort: await freePort(), logLevel: 'silent' });
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => printed.push(line));
  try {
    expect(
      await runAdminCommand(samlCommand, config, [
        'sp',
        'add',
        '--metadata',
        file,
        '--name-id-domain',
        'go.edu.tw',
      ]),
    ).toBe(0);
    expect(await runAdminCommand(samlCommand, config, ['sp', 'list'])).toBe(0);
  } finally {
    log.mockRestore();
  }
  const added = JSON.parse(printed[0] as string) as { serviceProvider: Record<string, unknown> };
  expect(added.serviceProvider).toMatchObject({
    entityId: 'https://accounts.google.com/samlrp/metadata?rpid=03abc',
    acsUrls: ['https://accounts.google.com/samlrp/acs?rpid=03abc'],
    nameIdDomain: 'go.edu.tw',
  });
  const listed = JSON.parse(printed[1] as string) as { serviceProviders: Array<{ entityId: string }> };
  expect(listed.serviceProviders.map((s) => s.entityId)).toContain(
    'https://accounts.google.com/samlrp/metadata?rpid=03abc',
  );
});
