// A usage report (report-index.ts) as GetReportResponse carries it.
import type { GetReportResponse } from '@tandem/wire';
import type { Report } from './report-index.js';

export function reportToWire(report: Report): Omit<GetReportResponse, 'header'> {
  return {
    kind: report.kind,
    fromMs: report.fromMs,
    toMs: report.toMs,
    by: report.by,
    asOfIndex: report.asOfIndex,
    asOfMs: report.asOfMs,
    incomplete: report.incomplete.map((gap) => ({ fromMs: gap.fromMs, toMs: gap.toMs, reason: gap.reason })),
    rows: report.rows.map((row) => ({
      licenceId: row.licenceId,
      workstationId: row.workstationId,
      user: row.user,
      host: row.host,
      periodStartMs: row.periodStartMs,
      leaseMs: row.leaseMs,
      peakSeats: row.peakSeats,
      grants: row.grants,
      renewals: row.renewals,
      releases: row.releases,
      expiries: row.expiries,
      revocations: row.revocations,
      usageUnits: row.usageUnits,
      usageReports: row.usageReports,
      denials: { ...(report.kind === 'usage' ? row.usageDenials : row.leaseDenials) },
    })),
    licences: report.licences.map((line) => ({ ...line })),
    truncated: report.truncated,
  };
}
