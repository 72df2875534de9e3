// How a usage report's rows read, shared by tandemctl (`report ... --format table|json|csv`) and the
// web console's report export, so that the console's CSV is byte for byte the one tandemctl writes for
// the same query. Pure: no DOM, no Node; the browser bundle and the CLI both import it.
import type { ReportRowJson } from './api-types.js';

const HOUR_MS = 3_600_000;

/** An instant as ISO 8601 UTC with milliseconds, as the reports print it. */
export const reportIso = (milliseconds: number): string => new Date(milliseconds).toISOString();

/** Lease time in hours, to three decimals (a billing figure, not a duration to the millisecond). */
export const leaseHours = (milliseconds: number): number =>
  Math.round((milliseconds / HOUR_MS) * 1000) / 1000;

/** Denials by reason as one cell: `reason=count;reason=count`, in the order given (sorted by reason). */
export const denialsText = (denials: Record<string, number>): string =>
  Object.entries(denials)
    .map(([reason, count]) => `${reason}=${count}`)
    .join(';');

/** What a row shows for the report's kind, in column order. */
export function reportRowFields(kind: string, row: ReportRowJson): Record<string, string | number> {
  const who = {
    period: reportIso(row.periodStartMs),
    licence: row.licenceId,
    workstation: row.workstationId,
    user: row.user,
    host: row.host,
  };
  if (kind === 'usage') {
    return { ...who, units: row.usageUnits, reports: row.usageReports, denials: denialsText(row.denials) };
  }
  return {
    ...who,
    leaseHours: leaseHours(row.leaseMs),
    leaseSeconds: row.leaseMs / 1000,
    peakSeats: row.peakSeats,
    grants: row.grants,
    renewals: row.renewals,
    releases: row.releases,
    expiries: row.expiries,
    revocations: row.revocations,
    denials: denialsText(row.denials),
  };
}

/** The column names of a report of this kind. */
export function reportColumns(kind: string): string[] {
  return Object.keys(reportRowFields(kind, EMPTY_ROW));
}

/**
 * A CSV cell: quoted when it holds a comma, quote or line break, and text a spreadsheet would take
 * for a formula (a leading = + - @, tab or carriage return) kept as text with a leading quote.
 * Numbers are numbers: -5 stays -5.
 */
export function csvCell(value: string | number): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The report's rows as CSV: a header line, then one line per row, each ending in LF. */
export function reportCsv(report: { kind: string; rows: readonly ReportRowJson[] }): string {
  const headers = reportColumns(report.kind);
  const lines = [
    headers.join(','),
    ...report.rows.map((row) => {
      const fields = reportRowFields(report.kind, row);
      return headers.map((header) => csvCell(fields[header] ?? '')).join(',');
    }),
  ];
  return `${lines.join('\n')}\n`;
}

const EMPTY_ROW: ReportRowJson = {
  licenceId: '',
  workstationId: '',
  user: '',
  host: '',
  periodStartMs: 0,
  leaseMs: 0,
  peakSeats: 0,
  grants: 0,
  renewals: 0,
  releases: 0,
  expiries: 0,
  revocations: 0,
  usageUnits: 0,
  usageReports: 0,
  denials: {},
};
