// Every row of every flow's transition table has a feature test: a test that takes the event
// through the role's HTTP routes and declares it with `exercises(FLOW, 'from', 'event')`
// (platform/testing/flow-coverage.ts). docs/DEVELOPING.md, "A flow folder".
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIRST_LOGIN } from './cloud/first-login/transitions.ts';
import { ACCOUNT_LIFECYCLE } from './county/accounts/transitions.ts';
import { CAMPAIGN } from './county/campaigns/transitions.ts';
import { REGISTRATION } from './county/registration/transitions.ts';
import { TRANSFER } from './county/transfer/transitions.ts';
import type { Flow } from './platform/flows/flow.ts';
import { flowCoverage } from './platform/testing/flow-coverage.ts';
import { ACTIVATION } from './workspace/activation/transitions.ts';

const SRC = fileURLToPath(new URL('.', import.meta.url));

const FLOWS: ReadonlyArray<[string, Flow<string, string>]> = [
  ['REGISTRATION', REGISTRATION],
  ['ACCOUNT_LIFECYCLE', ACCOUNT_LIFECYCLE],
  ['TRANSFER', TRANSFER],
  ['CAMPAIGN', CAMPAIGN],
  ['FIRST_LOGIN', FIRST_LOGIN],
  ['ACTIVATION', ACTIVATION],
];

describe('a feature test for every transition', () => {
  it.each(FLOWS)('%s: every row of the table is declared by a feature test', (name, flow) => {
    const { missing, unknown } = flowCoverage(flow, name, SRC);
    expect(unknown, `declarations of rows ${flow.name} does not have`).toEqual([]);
    expect(missing, `rows of ${flow.name} that no feature test declares`).toEqual([]);
  });
});
