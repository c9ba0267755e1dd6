// Test support: FreeRADIUS, radclient and eapol_test from Debian, run as real peers of the county role.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FREERADIUS = '/usr/sbin/freeradius';
export const RADCLIENT = '/usr/bin/radclient';
export const EAPOL_TEST = '/usr/bin/eapol_test';

/** Whether the Debian packages freeradius, freeradius-rest, freeradius-utils and eapoltest are installed. */
export function radiusPeersInstalled(): boolean {
  return (
    [FREERADIUS, RADCLIENT, EAPOL_TEST].every((file) => existsSync(file)) &&
    existsSync('/usr/lib/freeradius/rlm_rest.so')
  );
}

/** A FreeRADIUS server on a configuration directory, its output kept for failure messages. */
export class FreeradiusProcess {
  readonly dir: string;
  #child: ChildProcess | undefined;
  output = '';

  constructor(dir: string) {
    this.dir = dir;
  }

  /** Starts `freeradius -f` and waits until it is ready (or throws with its output). */
  async start(timeoutMs = 60_000): Promise<void> {
    this.output = '';
    const child = spawn(FREERADIUS, ['-f', '-l', 'stdout', '-d', this.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`FreeRADIUS did not start:\n${this.output}`)),
        timeoutMs,
      );
      const take = (chunk: Buffer) => {
        this.output += chunk.toString();
        if (this.output.includes('Ready to process requests')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', take);
      child.stderr?.on('data', take);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`FreeRADIUS exited (${code}):\n${this.output}`));
      });
    });
    child.removeAllListeners('exit');
  }

  /** The running server's process id (for the bench's CPU accounting). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

function run(file: string, args: string[], input?: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export type RadiusAnswer = 'Access-Accept' | 'Access-Reject' | 'Accounting-Response' | 'none';

/** Sends one request with radclient; `attributes` as radclient reads them (`Name = value` lines). */
export async function radclient(
  port: number,
  type: 'auth' | 'acct',
  secret: string,
  attributes: string[],
  options: { parallel?: number; timeoutSeconds?: number } = {},
): Promise<{ answer: RadiusAnswer; output: string }> {
  const { output } = await run(
    RADCLIENT,
    [
      '-x',
      '-r',
      '1',
      '-t',
      String(options.timeoutSeconds ?? 5),
      '-p',
      String(options.parallel ?? 1),
      `127.0.0.1:${port}`,
      type,
      secret,
    ],
    attributes.join('\n'),
  );
  const answer = (['Access-Accept', 'Access-Reject', 'Accounting-Response'] as const).find((a) =>
    output.includes(`Received ${a}`),
  );
  return { answer: answer ?? 'none', output };
}

export interface EapolInput {
  port: number;
  secret: string;
  identity: string;
  anonymous: string;
  password: string;
  caFile: string;
  domain: string;
  mac: string;
}

/**
 * eapol_test's configuration file (a laptop's Wi-Fi profile: EAP-TTLS, inner PAP, the CA and the
 * server name it checks) in a new temporary directory, and its arguments; `remove` deletes the file.
 */
export function eapolArguments(
  input: EapolInput,
  timeoutSeconds: number,
): { args: string[]; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'edugate-eapol-'));
  const conf = join(dir, 'eapol.conf');
  const q = (value: string) => JSON.stringify(value);
  writeFileSync(
    conf,
    `network={
	ssid="TANetRoaming"
	key_mgmt=WPA-EAP
	eap=TTLS
	identity=${q(input.identity)}
	anonymous_identity=${q(input.anonymous)}
	password=${q(input.password)}
	phase2="auth=PAP"
	ca_cert=${q(input.caFile)}
	domain_match=${q(input.domain)}
}
`,
  );
  const args = [
    '-c',
    conf,
    '-a',
    '127.0.0.1',
    '-p',
    String(input.port),
    '-s',
    input.secret,
    '-M',
    input.mac,
    '-t',
    String(timeoutSeconds),
  ];
  return { args, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An EAP-TTLS/PAP authentication with eapol_test (as a laptop on the Wi-Fi): true when it succeeds. */
export async function eapolTtlsPap(input: EapolInput): Promise<{ ok: boolean; output: string }> {
  const { args, remove } = eapolArguments(input, 20);
  const { code, output } = await run(EAPOL_TEST, args).finally(remove);
  return { ok: code === 0 && /\nSUCCESS/.test(output), output };
}
