// GET /api/report: the query string of the console's report route checked and turned into a
// GetReport request, and GetReport's answer turned into the console's ReportJson. Every field is
// checked here first, so that a bad parameter is a 400 naming the query parameter (fromMs), not the
// proto field behind it (from_ms); GetReport checks again.
import type { ReportGroupingJson, ReportJson, ReportKindJson } from '@tandem/console';
import { isValidId, LIMITS } from '@tandem/ledger';
import type { GetReportRequest__Output, GetReportResponse } from '@tandem/wire';
import { HttpError } from './http-route.js';
import { REPORT_GROUPINGS, REPORT_KINDS } from './report-index.js';

const HOUR_MS = 3_600_000;
/** The parameters the route takes; any other is refused, so that a misspelt one is not ignored. */
const PARAMETERS = ['kind', 'fromMs', 'toMs', 'by', 'licenceId', 'limit'] as const;
/** The proto field names GetReport names in its errors, as the route's parameters. */
const PARAMETER_OF_FIELD: Record<string, string> = {
  kind: 'kind',
  from_ms: 'fromMs',
  to_ms: 'toMs',
  by: 'by',
  licence_id: 'licenceId',
  limit: 'limit',
};

function invalid(field: string, message: string): HttpError {
  return new HttpError(400, 'invalid_argument', `${field}: ${message}`, { field });
}

/** A time in ms on a whole UTC hour, required. */
function hourParameter(query: URLSearchParams, name: string): number {
  const text = query.get(name);
  if (text === null || text === '')
    throw invalid(name, 'is required (epoch milliseconds on a whole UTC hour)');
  if (!/^\d{1,15}$/.test(text)) throw invalid(name, 'must be a whole number of milliseconds since the epoch');
  const value = Number(text);
  if (value > LIMITS.timeMaxMs) throw invalid(name, 'is too far in the future');
  if (value % HOUR_MS !== 0)
    throw invalid(name, 'must be on a whole UTC hour: the index keeps hourly figures');
  return value;
}

/** The GetReport request for the route's query string; HttpError 400 naming the parameter if not. */
export function reportRequestOfQuery(query: URLSearchParams): GetReportRequest__Output {
  for (const name of query.keys()) {
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw invalid(name.slice(0, 100), `is not a parameter of /api/report (${PARAMETERS.join(', ')})`);
    }
    if (query.getAll(name).length > 1) throw invalid(name, 'is given more than once');
  }
  const kind = query.get('kind') ?? '';
  if (!(REPORT_KINDS as readonly string[]).includes(kind)) {
    throw invalid('kind', `must be one of ${REPORT_KINDS.join(', ')}`);
  }
  const fromMs = hourParameter(query, 'fromMs');
  const toMs = hourParameter(query, 'toMs');
  if (toMs <= fromMs) throw invalid('toMs', 'must be after fromMs (the range is [fromMs, toMs))');
  const by = query.get('by') ?? 'day';
  if (!(REPORT_GROUPINGS as readonly string[]).includes(by)) {
    throw invalid('by', `must be one of ${REPORT_GROUPINGS.join(', ')}`);
  }
  const licenceId = query.get('licenceId') ?? '';
  if (licenceId !== '' && !isValidId(licenceId)) {
    throw invalid('licenceId', `must be 1..${LIMITS.idLengthMax} characters of A-Z a-z 0-9 . _ : -`);
  }
  const limitText = query.get('limit') ?? '';
  if (limitText !== '' && !/^[1-9]\d{0,8}$/.test(limitText)) {
    throw invalid('limit', 'must be a positive whole number');
  }
  return { kind, fromMs, toMs, by, licenceId, limit: limitText === '' ? 0 : Number(limitText) };
}

/** A GetReport error names the proto field; the route's caller knows the query parameter. */
export function renameReportField(error: unknown): unknown {
  if (!(error instanceof HttpError) || typeof error.extra.field !== 'string') return error;
  const parameter = PARAMETER_OF_FIELD[error.extra.field];
  if (parameter === undefined || parameter === error.extra.field) return error;
  const message = error.message.startsWith(`${error.extra.field}:`)
    ? `${parameter}${error.message.slice(error.extra.field.length)}`
    : error.message;
  return new HttpError(error.status, error.code, message, { ...error.extra, field: parameter });
}

/** GetReport's answer as the console reads it: denials sorted by reason, as tandemctl sorts them. */
export function reportJsonOfResponse(response: GetReportResponse): ReportJson {
  return {
    nodeId: response.header?.nodeId ?? '',
    kind: response.kind as ReportKindJson,
    fromMs: Number(response.fromMs),
    toMs: Number(response.toMs),
    by: response.by as ReportGroupingJson,
    asOfIndex: Number(response.asOfIndex),
    asOfMs: Number(response.asOfMs),
    incomplete: (response.incomplete ?? []).map((gap) => ({
      fromMs: Number(gap.fromMs),
      toMs: Number(gap.toMs),
      reason: gap.reason ?? '',
    })),
    rows: (response.rows ?? []).map((row) => ({
      licenceId: row.licenceId ?? '',
      workstationId: row.workstationId ?? '',
      user: row.user ?? '',
      host: row.host ?? '',
      periodStartMs: Number(row.periodStartMs),
      leaseMs: Number(row.leaseMs),
      peakSeats: Number(row.peakSeats),
      grants: Number(row.grants),
      renewals: Number(row.renewals),
      releases: Number(row.releases),
      expiries: Number(row.expiries),
      revocations: Number(row.revocations),
      usageUnits: Number(row.usageUnits),
      usageReports: Number(row.usageReports),
      denials: Object.fromEntries(
        Object.entries(row.denials ?? {})
          .map(([reason, count]) => [reason, Number(count)] as const)
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      ),
    })),
    licences: (response.licences ?? []).map((line) => ({
      licenceId: line.licenceId ?? '',
      periodStartMs: Number(line.periodStartMs),
      peakSeats: Number(line.peakSeats),
      leaseMs: Number(line.leaseMs),
      usageUnits: Number(line.usageUnits),
    })),
    truncated: response.truncated === true,
  };
}
