// The charts' view of a usage report (GET /api/report): the ranges a page offers, the query for one,
// and a licence's figure per period with the periods the report has no line for filled in as 0 (the
// index keeps only hours in which something happened). No DOM: unit-tested in test/.
import type { ReportGapJson, ReportJson, ReportKindJson } from '../api-types.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** A range a chart offers: its span and how its periods are grouped. */
export interface ReportRange {
  id: string;
  label: string;
  by: 'hour' | 'day';
  /** Hours (by hour) or UTC days (by day), the current one included. */
  periods: number;
}

export const RANGES: readonly ReportRange[] = [
  { id: '24h', label: 'last 24 hours, hourly', by: 'hour', periods: 24 },
  { id: '7d', label: 'last 7 days, hourly', by: 'hour', periods: 7 * 24 },
  { id: '30d', label: 'last 30 days, daily', by: 'day', periods: 30 },
];

export function rangeOf(id: string): ReportRange {
  return RANGES.find((range) => range.id === id) ?? (RANGES[0] as ReportRange);
}

/** What GET /api/report is asked for a range at nowMs: whole periods up to the end of this hour. */
export interface ReportQueryJson {
  kind: ReportKindJson;
  fromMs: number;
  toMs: number;
  by: 'hour' | 'day';
  licenceId: string;
}

export function reportQuery(
  kind: ReportKindJson,
  range: ReportRange,
  licenceId: string,
  nowMs: number,
): ReportQueryJson {
  // The range ends with the hour now under way (the report counts it up to the last entry).
  const toMs = (Math.floor(nowMs / HOUR_MS) + 1) * HOUR_MS;
  const fromMs =
    range.by === 'hour'
      ? toMs - range.periods * HOUR_MS
      : Math.floor(nowMs / DAY_MS) * DAY_MS - (range.periods - 1) * DAY_MS;
  return { kind, fromMs, toMs, by: range.by, licenceId };
}

export function reportPath(query: ReportQueryJson): string {
  const parameters = new URLSearchParams({
    kind: query.kind,
    fromMs: String(query.fromMs),
    toMs: String(query.toMs),
    by: query.by,
  });
  if (query.licenceId !== '') parameters.set('licenceId', query.licenceId);
  return `/api/report?${parameters.toString()}`;
}

/** The tandemctl command that prints the same report. */
export function tandemctlCommand(query: ReportQueryJson, format: 'csv' | 'json'): string {
  const iso = (ms: number) => new Date(ms).toISOString().replace(':00:00.000Z', ':00Z');
  const licence = query.licenceId === '' ? '' : ` --licence ${query.licenceId}`;
  return `tandemctl report ${query.kind} --from ${iso(query.fromMs)} --to ${iso(query.toMs)} --by ${query.by}${licence} --format ${format}`;
}

/** One period of a chart: its start and end, and the licence's figure in it. */
export interface SeriesPoint {
  startMs: number;
  endMs: number;
  value: number;
}

/**
 * A licence's figure per period over the report's range, every period present (0 where the report
 * has no line for it). Periods are UTC hours or days, as the report was asked.
 */
export function licenceSeries(
  report: ReportJson,
  licenceId: string,
  figure: 'peakSeats' | 'usageUnits',
): SeriesPoint[] {
  const stepMs = report.by === 'hour' ? HOUR_MS : report.by === 'day' ? DAY_MS : null;
  if (stepMs === null) throw new TypeError(`a chart groups by hour or day, not ${report.by}`);
  const byStart = new Map<number, number>();
  for (const line of report.licences) {
    if (line.licenceId === licenceId) byStart.set(line.periodStartMs, line[figure]);
  }
  const points: SeriesPoint[] = [];
  const firstMs = Math.floor(report.fromMs / stepMs) * stepMs;
  for (let startMs = firstMs; startMs < report.toMs; startMs += stepMs) {
    points.push({ startMs, endMs: startMs + stepMs, value: byStart.get(startMs) ?? 0 });
  }
  return points;
}

/** What the chart says about stretches the answering node's index does not cover; null if none. */
export function gapNote(incomplete: readonly ReportGapJson[]): string | null {
  if (incomplete.length === 0) return null;
  const iso = (ms: number) => new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z');
  const stretches = incomplete.map((gap) => {
    const why =
      gap.reason === 'retention'
        ? 'older than reports.retentionDays'
        : gap.reason === 'snapshot'
          ? 'this node installed a snapshot instead of those entries; the other node may have them'
          : gap.reason;
    return `${iso(gap.fromMs)} to ${iso(gap.toMs)} (${why})`;
  });
  return `Incomplete: this node's report index does not cover ${stretches.join('; ')}. Figures there are too low.`;
}
