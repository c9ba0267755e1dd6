// `edugate radius config --reload`: the running FreeRADIUS learns new NAS clients through its
// control socket (radmin), without a restart. FreeRADIUS 3.2 reads clients only at start-up (a HUP
// does not reload them), but its control socket adds one from a file: `add client file …`.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

export const RADMIN = '/usr/sbin/radmin';

export interface ReloadOutcome {
  /** Clients the running server knew before and after (`show client list`). */
  before: number;
  after: number;
  /** Set when the control socket did not answer (FreeRADIUS not running on this directory). */
  unreachable?: string;
}

function radmin(socket: string, command: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(RADMIN, ['-f', socket, '-e', command], { timeout: 10_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}`.trim() });
    });
  });
}

const clientCount = (listing: string) => listing.split('\n').filter((line) => line.trim()).length;

/**
 * Offers every file of `clients.d/` to the FreeRADIUS running on `dir`; it keeps the clients it
 * knows (by address) and takes the new ones.
 */
export async function addClientsToRunningServer(dir: string, shortnames: string[]): Promise<ReloadOutcome> {
  const socket = join(dir, 'run', 'control.sock');
  const listed = await radmin(socket, 'show client list');
  if (listed.code !== 0) {
    return { before: 0, after: 0, unreachable: listed.output || `radmin exited ${listed.code}` };
  }
  for (const shortname of shortnames) {
    await radmin(socket, `add client file ${join(dir, 'clients.d', shortname)}`);
  }
  const now = await radmin(socket, 'show client list');
  return { before: clientCount(listed.output), after: clientCount(now.output) };
}
