// CPU time of a process, read from /proc (Linux), and what share of a core it was busy over an
// interval: the capacity workload reports it for both nodes and for the load generator itself.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc's counters (USER_HZ): getconf's answer, 100 where it has none. */
export const TICKS_PER_SECOND = (() => {
  const answer = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const ticks = Number(answer.stdout?.trim());
  return answer.status === 0 && Number.isSafeInteger(ticks) && ticks > 0 ? ticks : 100;
})();

/** User + system CPU time of a process so far, in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
export async function cpuTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 14 (utime) is fields[11] and field 15 (stime) fields[12].
  const user = Number(fields[11]);
  const system = Number(fields[12]);
  if (!Number.isFinite(user) || !Number.isFinite(system))
    throw new Error(`no CPU times in /proc/${pid}/stat`);
  return user + system;
}

/** CPU% over an interval (100 % = one core busy all the time), one decimal. */
export function cpuPercent(
  ticksBefore: number,
  ticksAfter: number,
  elapsedMs: number,
  ticksPerSecond: number,
): number {
  if (!(elapsedMs > 0) || !(ticksPerSecond > 0)) return 0;
  const busySeconds = (ticksAfter - ticksBefore) / ticksPerSecond;
  return Math.round((busySeconds / (elapsedMs / 1000)) * 1000) / 10;
}
