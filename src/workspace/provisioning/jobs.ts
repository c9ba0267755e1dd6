/** Job types of the activation portal (one durable job per activation, per lifecycle change, per night). */
export const ACTIVATE_JOB = 'workspace.activate';
export const SYNC_JOB = 'workspace.sync';
export const RECONCILE_JOB = 'workspace.reconcile';

/** The external id that links a Google user to its cloud account (immutable, the cloud `sub`). */
export const EXTERNAL_ID_TYPE = 'custom';
export const EXTERNAL_ID_CUSTOM_TYPE = 'edugate-cloud-sub';

export const activationKey = (sub: string, round: number) => `${ACTIVATE_JOB}:${sub}:${round}`;
export const syncKey = (sub: string, version: number) => `${SYNC_JOB}:${sub}:${version}`;
export const reconcileKey = (day: string) => `${RECONCILE_JOB}:${day}`;
