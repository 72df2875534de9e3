// usage show.
import type { UsageSummary } from '@tandem/client';
import { ExitCode } from './exit-codes.js';
import type { Session } from './session.js';
import { formatTable } from './table.js';
import { isoTime } from './time-format.js';

export function usageTable(usage: UsageSummary): string {
  const table = formatTable(
    ['PERIOD START', 'PERIOD END', 'USED', 'QUOTA', 'REPORTS'],
    usage.periods.map((period) => [
      isoTime(period.periodStartMs),
      isoTime(period.periodEndMs),
      period.used,
      period.quota === 0 ? null : period.quota,
      period.reports,
    ]),
  );
  return `${table}total used: ${usage.totalUsed}\n`;
}

export async function showUsage(
  session: Session,
  licenceId: string,
  atMs: number | undefined,
): Promise<number> {
  const usage = await session.admin().getUsage(licenceId, atMs ?? 0);
  session.print(usage, () => usageTable(usage));
  return ExitCode.ok;
}
