import type { BillingReport, ReportRowView } from '@tandem/client';
import { expect } from 'chai';
import { reportCsv, reportDocument, reportTable, reportTimeMs } from '../src/report-command.js';

const HOUR_MS = 3_600_000;
const FROM = Date.UTC(2026, 11, 1);

function row(overrides: Partial<ReportRowView>): ReportRowView {
  return {
    licenceId: 'cad',
    workstationId: 'ws-1',
    user: 'ann',
    host: 'host-1',
    periodStartMs: FROM,
    leaseMs: 90 * 60_000,
    peakSeats: 1,
    grants: 2,
    renewals: 3,
    releases: 1,
    expiries: 1,
    revocations: 0,
    usageUnits: 12,
    usageReports: 2,
    denials: {},
    ...overrides,
  };
}

function report(kind: 'usage' | 'leases', rows: ReportRowView[]): BillingReport {
  return {
    nodeId: 'main',
    kind,
    fromMs: FROM,
    toMs: FROM + 24 * HOUR_MS,
    by: 'day',
    asOfIndex: 42,
    asOfMs: FROM + 5 * HOUR_MS,
    incomplete: [],
    rows,
    licences: [{ licenceId: 'cad', periodStartMs: FROM, peakSeats: 2, leaseMs: 90 * 60_000, usageUnits: 12 }],
    truncated: false,
  };
}

describe('report output', () => {
  it('reads dates and times without an offset as UTC, and epoch milliseconds as they are', () => {
    expect(reportTimeMs('2026-12-01')).to.equal(FROM);
    expect(reportTimeMs('2026-12-01T08:00')).to.equal(FROM + 8 * HOUR_MS);
    expect(reportTimeMs('2026-12-01T08:00:00')).to.equal(FROM + 8 * HOUR_MS);
    expect(reportTimeMs('2026-12-01T08:00+01:00')).to.equal(FROM + 7 * HOUR_MS);
    expect(reportTimeMs('2026-12-01T08:00Z')).to.equal(FROM + 8 * HOUR_MS);
    expect(reportTimeMs(String(FROM))).to.equal(FROM);
    expect(() => reportTimeMs('yesterday')).to.throw(/not an ISO 8601 date or time/);
    expect(() => reportTimeMs('12/01/2026')).to.throw(/not an ISO 8601 date or time/);
  });

  it('writes CSV with a header, quoting where needed and never as a spreadsheet formula', () => {
    const csv = reportCsv(
      report('usage', [row({ user: '=HYPERLINK("x")', host: 'a,b', denials: { quota_exhausted: 2 } })]),
    );
    expect(csv).to.equal(
      [
        'period,licence,workstation,user,host,units,reports,denials',
        `2026-12-01T00:00:00.000Z,cad,ws-1,"'=HYPERLINK(""x"")","a,b",12,2,quota_exhausted=2`,
        '',
      ].join('\n'),
    );
  });

  it('shows lease figures in hours and seconds, and leaves the answering node out of JSON', () => {
    const leases = report('leases', [row({ denials: { seat_limit_reached: 1 } })]);
    const document = reportDocument(leases);
    expect(document).to.not.have.property('nodeId');
    expect((document.rows as unknown[])[0]).to.deep.include({
      leaseHours: 1.5,
      leaseSeconds: 5400,
      peakSeats: 1,
      denials: { seat_limit_reached: 1 },
    });
    expect(reportDocument({ ...leases, nodeId: 'backup' })).to.deep.equal(document);
    const table = reportTable(leases);
    expect(table).to.match(/LEASE HOURS +LEASE SECONDS +PEAK SEATS/);
    expect(table).to.contain('as of log index 42');
  });
});
