import { flowTable } from '../../platform/flows/flow-table.ts';
import type { WorkspaceTables } from '../schema.ts';
import { ACTIVATION } from './transitions.ts';

/** The teachers' activations: `ACTIVATION` moves the `state` of their `workspace_accounts` row. */
export const activations = flowTable<WorkspaceTables>()('workspace_accounts', ACTIVATION, {
  key: 'cloud_sub',
});
