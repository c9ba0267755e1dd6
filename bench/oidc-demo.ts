import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_PASSWORD } from '../src/platform/federation/seed-data.ts';
import { clientAddArgs, type IssuedClient } from '../src/platform/oidc/cli.ts';
import { startBareProvider } from './bare-provider.ts';
import { COUNTY_SCOPE, signInAtCounty } from './county-process.ts';
import { demoEnvironment, startDemoProcess, stop } from './demo-footprint.ts';
import { type LoadProcess, startHttpLoad } from './http-load.ts';
import { bareIssuer, CONNECTIONS, type Issuer, REDIRECT, scenarios } from './oidc-scenarios.ts';
import { alternatingSlices, measuredSeconds, rateAgainstBaseline, type Side } from './process-measure.ts';
import type { Figure } from './report.ts';

const binary = new URL('../bin/edugate.js', import.meta.url).pathname;
const MEASURED = ['userinfo', 'authorization_code (authorize + token)', 'refresh_token'];

/**
 * The second line of the OIDC figures: the county provider of the embedded demo (`npm start`: every
 * role in one process on PGlite, no Redis) against the same bare oidc-provider process, each driven
 * by a load process of its own in alternating slices. For the record: the production layout
 * (oidc-county.ts) is what the targets apply to.
 */
export async function benchOidcDemo(): Promise<Figure[]> {
  const seconds = measuredSeconds(6);
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-bench-demo-'));
  const env = await demoEnvironment(dataDir);
  const bare = await startBareProvider({ redirectUris: [REDIRECT] });
  const demo = await startDemoProcess(env);
  const loads: LoadProcess[] = [];
  try {
    const add = clientAddArgs({
      role: 'county',
      tenant: 'cyc',
      name: 'bench',
      redirectUri: REDIRECT,
      scopes: COUNTY_SCOPE.split(' '),
    });
    const { stdout } = await promisify(execFile)(process.execPath, [binary, ...add], { env });
    const client = JSON.parse(stdout) as IssuedClient;
    const issuer = `http://127.0.0.1:${env.EDUGATE_COUNTY_PORT}/cyc`;
    const ours: Issuer = {
      issuer,
      clientId: client.client_id,
      clientSecret: client.client_secret,
      scope: COUNTY_SCOPE,
      resource: `${issuer}/cncresource/api/v1/eduinfo`,
      cookie: await signInAtCounty({
        issuer,
        clientId: client.client_id,
        username: 'teacher01',
        password: DEMO_PASSWORD,
        redirectUri: REDIRECT,
      }),
    };
    const baselineIssuer = await bareIssuer(bare);
    const measured = await scenarios(ours);
    const baseline = await scenarios(baselineIssuer);
    const figures: Figure[] = [];
    for (const name of MEASURED) {
      const scenario = measured[name];
      const base = baseline[name];
      if (!scenario || !base) continue;
      const oursLoad = await startHttpLoad(scenario, CONNECTIONS);
      const bareLoad = await startHttpLoad(base, CONNECTIONS);
      loads.push(oursLoad, bareLoad);
      const sides: Side[] = [
        { load: oursLoad, processes: async () => ({ demo: [demo.pid ?? 0] }) },
        { load: bareLoad, processes: async () => ({ bare: [bare.pid] }) },
      ];
      const [edugate, other] = await alternatingSlices(seconds, sides);
      await oursLoad.stop();
      await bareLoad.stop();
      if (!edugate || !other) continue;
      const title = `county ${name} (embedded demo: one process, PGlite)`;
      figures.push(rateAgainstBaseline(title, [edugate, other], 'bare oidc-provider process'));
    }
    return figures;
  } finally {
    for (const load of loads) await load.stop();
    await stop(demo);
    await bare.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
