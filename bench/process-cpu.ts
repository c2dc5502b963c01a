// CPU time of another process (the plugin server), all threads included (its libuv pool runs
// jose's WebCrypto work). Read from /proc/<pid>/task/*/schedstat (nanoseconds); falls back to
// /proc/<pid>/stat utime+stime (clock ticks) where schedstat is missing.
import fs from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux this runs on (USER_HZ). */
const USER_HZ = 100;

function schedstatNs(pid: number): number | null {
  let total = 0;
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const tid of tasks) {
    try {
      total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that exited between readdir and read: its time is gone from the process total too.
    }
  }
  return Number.isFinite(total) && total > 0 ? total : null;
}

function statNs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / USER_HZ) * 1e9;
}

/** Total CPU time the process has used so far, in nanoseconds. */
export function processCpuNs(pid: number): number {
  return schedstatNs(pid) ?? statNs(pid);
}

/** Which source processCpuNs reads for this process. */
export function cpuSource(pid: number): 'schedstat' | 'stat' {
  return schedstatNs(pid) === null ? 'stat' : 'schedstat';
}
