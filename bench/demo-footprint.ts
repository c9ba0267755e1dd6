import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeAdminPortBase, freePort } from '../src/platform/testing/ports.ts';
import type { Figure } from './report.ts';

/**
 * The footprint of `npm start` (issue #20 item 5): the demo started as a child process on a fresh
 * data directory, timed until every role answers, then its resident memory summed over the process
 * tree once idle; then the same after a restart on the same directory.
 */
const TARGET_READY_MS = 10_000;
const TARGET_RSS_MB = 600;
const SETTLE_MS = Number(process.env.BENCH_DEMO_SETTLE_MS ?? 5000);
const READY_LIMIT_MS = 120_000;

const binary = new URL('../bin/edugate.js', import.meta.url).pathname;

interface Start {
  readyMs: number;
  rssMb: number;
}

export async function benchDemoFootprint(): Promise<Figure[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edugate-bench-demo-'));
  try {
    const env = await demoEnvironment(dataDir);
    const first = await measureStart(env);
    const restart = await measureStart(env);
    console.log(
      `load average: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    return [
      readyFigure('ready, first start', first),
      rssFigure('idle RSS, first start', first),
      readyFigure('ready, restart', restart),
      rssFigure('idle RSS, restart', restart),
    ];
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function readyFigure(name: string, start: Start): Figure {
  return {
    name,
    value: start.readyMs / 1000,
    unit: 's',
    baseline: TARGET_READY_MS / 1000,
    baselineName: 'target',
    target: 1,
    lowerIsBetter: true,
  };
}

function rssFigure(name: string, start: Start): Figure {
  return {
    name,
    value: start.rssMb,
    unit: 'MB',
    baseline: TARGET_RSS_MB,
    baselineName: 'target',
    target: 1,
    lowerIsBetter: true,
  };
}

/** The demo's environment: its own data directory and free ports, no PostgreSQL, no Redis. */
export async function demoEnvironment(dataDir: string): Promise<NodeJS.ProcessEnv> {
  const [landing, county, cloud, workspace, google, smtp] = await Promise.all(
    Array.from({ length: 6 }, () => freePort()),
  );
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'SMTP_URL']) delete env[name];
  return {
    ...env,
    EDUGATE_DATA_DIR: dataDir,
    EDUGATE_LANDING_PORT: String(landing),
    EDUGATE_COUNTY_PORT: String(county),
    EDUGATE_CLOUD_PORT: String(cloud),
    EDUGATE_WORKSPACE_PORT: String(workspace),
    EDUGATE_GOOGLE_PORT: String(google),
    EDUGATE_ADMIN_PORT: String(await freeAdminPortBase()),
    EDUGATE_SMTP_SINK_PORT: String(smtp),
    SMTP_URL: `smtp://127.0.0.1:${smtp}`,
    LOG_LEVEL: 'warn',
  };
}

async function measureStart(env: NodeJS.ProcessEnv): Promise<Start> {
  const started = performance.now();
  const child = await startDemoProcess(env, [
    `http://127.0.0.1:${env.EDUGATE_WORKSPACE_PORT}/`,
    `http://127.0.0.1:${env.EDUGATE_GOOGLE_PORT}/`,
  ]);
  try {
    const readyMs = performance.now() - started;
    await sleep(SETTLE_MS);
    const rssMb = treeRssKb(child.pid ?? 0) / 1024;
    return { readyMs, rssMb };
  } finally {
    await stop(child);
  }
}

/** Every URL gives an HTTP answer (any status below 500). */
async function allAnswer(urls: string[]): Promise<boolean> {
  const answers = await Promise.all(
    urls.map((url) =>
      fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) }).then(
        async (response) => {
          await response.body?.cancel();
          return response.status < 500;
        },
        () => false,
      ),
    ),
  );
  return answers.every(Boolean);
}

/** Resident memory (kB) of a process and all its descendants, from /proc. */
function treeRssKb(root: number): number {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // The process ended meanwhile.
    }
  }
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop() ?? 0;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // Ended meanwhile.
    }
    queue.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * `edugate demo` as a child process with `env` (see `demoEnvironment`); waits until the county
 * portal, the cloud, the landing page and `more` answer.
 */
export async function startDemoProcess(env: NodeJS.ProcessEnv, more: string[] = []): Promise<ChildProcess> {
  const urls = [
    `http://127.0.0.1:${env.EDUGATE_COUNTY_PORT}/cyc`,
    `http://127.0.0.1:${env.EDUGATE_CLOUD_PORT}/`,
    `http://127.0.0.1:${env.EDUGATE_LANDING_PORT}/`,
    ...more,
  ];
  const started = performance.now();
  const child = spawn(process.execPath, [binary, 'demo'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  try {
    while (!(await allAnswer(urls))) {
      if (child.exitCode !== null) throw new Error(`the demo exited (${child.exitCode}): ${stderr}`);
      if (performance.now() - started > READY_LIMIT_MS) throw new Error('the demo was not ready in 120 s');
      await sleep(100);
    }
    return child;
  } catch (error) {
    await stop(child);
    throw error;
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}
