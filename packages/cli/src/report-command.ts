// report usage|leases: the billing reports, per licence, workstation, user and host and period,
// from one node's report index (every node answers the same for the same applied index). Output is
// a table by default, or CSV or JSON (--format, or the global --json).
import type { BillingReport } from '@tandem/client';
import {
  leaseHours,
  reportColumns,
  reportIso,
  reportRowFields,
  reportCsv as sharedReportCsv,
} from '@tandem/console/report-rows';
import { InvalidArgumentError } from 'commander';
import { ExitCode, UsageError } from './exit-codes.js';
import type { Session } from './session.js';
import { type Cell, formatTable } from './table.js';

export type ReportFormat = 'table' | 'csv' | 'json';
export const REPORT_GROUPINGS = ['hour', 'day', 'week', 'month', 'total'] as const;

export interface ReportOptions {
  from: number;
  to: number;
  licence?: string;
  by?: string;
  format?: ReportFormat;
  node?: string;
  limit?: number;
}

export function reportFormat(value: string): ReportFormat {
  if (value === 'table' || value === 'csv' || value === 'json') return value;
  throw new InvalidArgumentError(`"${value}" is not one of table, csv, json.`);
}

export function reportGrouping(value: string): string {
  if ((REPORT_GROUPINGS as readonly string[]).includes(value)) return value;
  throw new InvalidArgumentError(`"${value}" is not one of ${REPORT_GROUPINGS.join(', ')}.`);
}

/**
 * An ISO 8601 date or time, or epoch milliseconds; a date or time without an offset is UTC (a
 * report's bounds must not depend on the operator's time zone).
 */
export function reportTimeMs(value: string): number {
  if (/^\d+$/.test(value)) {
    const milliseconds = Number(value);
    if (Number.isSafeInteger(milliseconds)) return milliseconds;
  }
  const utc = /T\d{2}(:\d{2}){0,2}(\.\d+)?$/.test(value) ? `${value}Z` : value;
  const parsed = /^\d{4}-\d{2}-\d{2}/.test(utc) ? Date.parse(utc) : Number.NaN;
  if (Number.isNaN(parsed) || parsed < 0) {
    throw new InvalidArgumentError(
      `"${value}" is not an ISO 8601 date or time (e.g. 2026-01-31 or 2026-01-31T08:00Z) or epoch milliseconds.`,
    );
  }
  return parsed;
}

const HOUR_MS = 3_600_000;
const iso = reportIso;
const hours = leaseHours;

/** The report as printed: without the answering node, so that two nodes' outputs compare equal. */
export function reportDocument(report: BillingReport): Record<string, unknown> {
  return {
    kind: report.kind,
    from: iso(report.fromMs),
    to: iso(report.toMs),
    by: report.by,
    asOfIndex: report.asOfIndex,
    asOf: iso(report.asOfMs),
    incomplete: report.incomplete.map((gap) => ({
      from: iso(gap.fromMs),
      to: iso(gap.toMs),
      reason: gap.reason,
    })),
    truncated: report.truncated,
    rows: report.rows.map((row) => ({
      ...reportRowFields(report.kind, row),
      denials: row.denials,
    })),
    licences: report.licences.map((line) =>
      report.kind === 'usage'
        ? { period: iso(line.periodStartMs), licence: line.licenceId, units: line.usageUnits }
        : {
            period: iso(line.periodStartMs),
            licence: line.licenceId,
            leaseHours: hours(line.leaseMs),
            leaseSeconds: line.leaseMs / 1000,
            peakSeats: line.peakSeats,
          },
    ),
  };
}

/** The rows as CSV: the console's report export writes the same (report-rows.ts in @tandem/console). */
export function reportCsv(report: BillingReport): string {
  return sharedReportCsv(report);
}

export function reportTable(report: BillingReport): string {
  const headers = reportColumns(report.kind);
  const rows = report.rows.map((row) => Object.values(reportRowFields(report.kind, row)) as Cell[]);
  const body =
    report.rows.length === 0
      ? 'no rows in this range\n'
      : formatTable(
          headers.map((header) => header.replace(/([A-Z])/g, ' $1').toUpperCase()),
          rows,
        );
  const licences =
    report.licences.length === 0
      ? ''
      : `\n${formatTable(
          report.kind === 'usage'
            ? ['PERIOD', 'LICENCE', 'UNITS']
            : ['PERIOD', 'LICENCE', 'LEASE HOURS', 'PEAK SEATS'],
          report.licences.map((line) =>
            report.kind === 'usage'
              ? [iso(line.periodStartMs), line.licenceId, line.usageUnits]
              : [iso(line.periodStartMs), line.licenceId, hours(line.leaseMs), line.peakSeats],
          ),
        )}`;
  return `${body}${licences}as of log index ${report.asOfIndex} (${iso(report.asOfMs)})\n`;
}

/** What a reader of the figures must know: stretches not covered, rows left out. */
function warnings(report: BillingReport): string[] {
  const lines = report.incomplete.map(
    (gap) =>
      `warning: incomplete from ${iso(gap.fromMs)} to ${iso(gap.toMs)} (${gap.reason === 'retention' ? 'older than reports.retentionDays' : 'this node installed a snapshot instead of those entries; ask the other node'})`,
  );
  if (report.truncated) {
    lines.push(
      'warning: more rows than the limit; the rest were left out (narrow --from/--to, name a --licence or use a coarser --by)',
    );
  }
  return lines;
}

export async function showReport(
  session: Session,
  kind: 'usage' | 'leases',
  options: ReportOptions,
): Promise<number> {
  if (options.to <= options.from) throw new UsageError('--to must be after --from (the range is [from, to))');
  for (const [flag, value] of [
    ['--from', options.from],
    ['--to', options.to],
  ] as const) {
    if (value % HOUR_MS !== 0)
      throw new UsageError(`${flag} must be on a whole UTC hour: figures are kept per hour`);
  }
  const report = await session.admin().getReport(
    {
      kind,
      fromMs: options.from,
      toMs: options.to,
      ...(options.licence === undefined ? {} : { licenceId: options.licence }),
      by: options.by ?? 'day',
      ...(options.limit === undefined ? {} : { limit: options.limit }),
    },
    options.node,
  );
  const format = session.json ? 'json' : (options.format ?? 'table');
  for (const line of warnings(report)) session.io.stderr.write(`tandemctl: ${line}\n`);
  if (format === 'json') session.io.stdout.write(`${JSON.stringify(reportDocument(report), null, 2)}\n`);
  else if (format === 'csv') session.io.stdout.write(reportCsv(report));
  else session.print(null, () => reportTable(report));
  return ExitCode.ok;
}
