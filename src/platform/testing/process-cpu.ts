import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) `pid` has used so far; 0 when it is gone or not readable. */
export function cpuSeconds(pid: number): number {
  return statSeconds(`/proc/${pid}/stat`);
}

/** Which of a `stat` file's CPU times to read: user + system, or the system (kernel) part alone. */
export type CpuPart = 'all' | 'system';

/** CPU seconds (user + system, or system) of a process's or thread's `stat` file; 0 when it is gone. */
function statSeconds(path: string, part: CpuPart = 'all'): number {
  try {
    const stat = readFileSync(path, 'utf8');
    // The command name (field 2) may hold spaces: the fields after it start past its `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
    return ((part === 'all' ? Number(fields[11]) : 0) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Named groups of processes, e.g. `{ edugate: [pid], postgresql: [backend pids…] }`. */
export type ProcessGroups = Record<string, readonly number[]>;

/**
 * Starts measuring the CPU time of each group; the function returned gives the CPU seconds each
 * group used since. A process that ends meanwhile counts as having used nothing after its start.
 */
export function measureCpu(groups: ProcessGroups): () => Record<string, number> {
  const before = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids) before.set(pid, cpuSeconds(pid));
  return () => {
    const used: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups)) {
      used[name] = pids.reduce((sum, pid) => {
        const now = cpuSeconds(pid);
        return sum + (now > 0 ? Math.max(0, now - (before.get(pid) ?? 0)) : 0);
      }, 0);
    }
    return used;
  };
}

/** Write system calls `pid` has made so far (`/proc/<pid>/io`); 0 when it is gone or not readable. */
export function writeCalls(pid: number): number {
  try {
    return Number(/syscw: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/**
 * Starts counting the write system calls of each group (a server's writes are its answers and the
 * round trips it starts to its database or Redis); the function returned gives the count since.
 */
export function measureWrites(groups: ProcessGroups): () => Record<string, number> {
  const before = new Map<number, number>();
  for (const pids of Object.values(groups)) for (const pid of pids) before.set(pid, writeCalls(pid));
  return () => {
    const made: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups)) {
      made[name] = pids.reduce((sum, pid) => {
        const now = writeCalls(pid);
        return sum + (now > 0 ? Math.max(0, now - (before.get(pid) ?? 0)) : 0);
      }, 0);
    }
    return made;
  };
}

/** The PostgreSQL backend processes serving `database` now (same machine as the server). */
export async function postgresBackends(
  query: (sql: string, values: unknown[]) => Promise<{ rows: unknown[] }>,
  database: string,
): Promise<number[]> {
  const { rows } = await query(
    'select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
    [database],
  );
  return rows.map((row) => Number((row as { pid: number }).pid));
}

/** The process id Redis reports in `INFO server` (`process_id:`), 0 when not told. */
export function redisProcessId(info: string): number {
  return Number(/process_id:(\d+)/.exec(info)?.[1] ?? 0);
}

/** The threads of process `pid` and their names (`MainThread`, a worker thread's `name`, `V8Worker` …). */
export function threadsOf(pid: number): Array<{ tid: number; name: string }> {
  try {
    return readdirSync(`/proc/${pid}/task`).map((tid) => ({
      tid: Number(tid),
      name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(),
    }));
  } catch {
    return [];
  }
}

/**
 * Starts measuring the CPU time of the threads of `pid`, grouped by `group` (a thread's name and
 * whether it is the main thread → a group name); the function returned gives the CPU seconds each
 * group used since (`part` 'system': the time in the kernel alone). Threads started meanwhile are not
 * counted.
 */
export function measureThreads(
  pid: number,
  group: (thread: { name: string; main: boolean }) => string,
  part: CpuPart = 'all',
): () => Record<string, number> {
  const threads = threadsOf(pid).map((thread) => {
    const path = `/proc/${pid}/task/${thread.tid}/stat`;
    return {
      path,
      group: group({ name: thread.name, main: thread.tid === pid }),
      before: statSeconds(path, part),
    };
  });
  return () => {
    const used: Record<string, number> = {};
    for (const thread of threads) {
      const now = statSeconds(thread.path, part);
      used[thread.group] = (used[thread.group] ?? 0) + (now > 0 ? Math.max(0, now - thread.before) : 0);
    }
    return used;
  };
}
