import { postgresAndRedis } from '../src/platform/testing/process-stage.ts';
import { startBareProvider } from './bare-provider.ts';
import { type CountyUnderTest, countyIssuer, startCounty } from './county-process.ts';
import { type LoadProcess, type Scenario, startHttpLoad } from './http-load.ts';
import { bareIssuer, CONNECTIONS, REDIRECT, scenarios, selectedScenarios } from './oidc-scenarios.ts';
import {
  alternatingSlices,
  halfCapacityFigure,
  measuredSeconds,
  rateAgainstBaseline,
  type Side,
} from './process-measure.ts';
import type { Figure } from './report.ts';

/**
 * The county OIDC provider as operators run it (`edugate start --role county`, its own process,
 * PostgreSQL + Redis) vs a bare oidc-provider in a process of its own, each driven by a load
 * process of its own (see http-load.ts), in alternating one-second slices: userinfo, the eduinfo
 * resource API, authorization_code flows and refresh_token grants. Each figure gives p50/p99 and
 * the CPU time per operation of each process involved.
 */
export async function benchOidcCounty(): Promise<Figure[]> {
  if (!(await postgresAndRedis())) return [];
  const seconds = measuredSeconds(8);
  const bare = await startBareProvider({ redirectUris: [REDIRECT] });
  let county: CountyUnderTest | undefined;
  const loads: LoadProcess[] = [];
  try {
    county = await startCounty({ accounts: 1000, redirectUris: [REDIRECT] });
    const baselineIssuer = await bareIssuer(bare);
    const ours = await countyIssuer(county);
    const baseline = await scenarios(baselineIssuer);
    const measured = await scenarios(ours);
    const figures: Figure[] = [];
    const countyProcesses = county.processes;
    for (const [name, scenario] of selectedScenarios(measured)) {
      const oursLoad = await startHttpLoad(scenario, CONNECTIONS);
      loads.push(oursLoad);
      const bareLoad = await startHttpLoad(baseline[name] as Scenario, CONNECTIONS);
      loads.push(bareLoad);
      const sides: Side[] = [
        { load: oursLoad, processes: countyProcesses },
        { load: bareLoad, processes: async () => ({ bare: [bare.pid] }) },
      ];
      const [edugate, base] = await alternatingSlices(seconds, sides);
      if (!edugate || !base) continue;
      const half = await halfCapacityFigure(`county ${name}`, oursLoad, edugate.rate, seconds / 2, {
        bare: bareLoad,
        measured: { processes: countyProcesses, cpuPerOp: edugate.cpuPerOp.edugate ?? 0 },
      });
      await bareLoad.stop();
      await oursLoad.stop();
      const title = `county ${name} (role process, PostgreSQL + Redis)`;
      figures.push(rateAgainstBaseline(title, [edugate, base], 'bare oidc-provider process', 0.6));
      figures.push(half);
    }
    return figures;
  } finally {
    for (const load of loads) await load.stop();
    await county?.close();
    await bare.stop();
  }
}
