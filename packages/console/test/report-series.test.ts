// The charts' view of a usage report: the query for a range, every period present (0 where the
// index has no line), the incomplete stretches as a note; and the report CSV tandemctl shares.
import { expect } from 'chai';
import type { ReportJson } from '../src/api-types.js';
import {
  gapNote,
  licenceSeries,
  rangeOf,
  reportPath,
  reportQuery,
  tandemctlCommand,
} from '../src/browser/report-series.js';
import { reportCsv } from '../src/report-rows.js';

const HOUR_MS = 3_600_000;
const NOW_MS = Date.UTC(2026, 11, 7, 13, 25);

function report(overrides: Partial<ReportJson>): ReportJson {
  return {
    nodeId: 'main',
    kind: 'leases',
    fromMs: 0,
    toMs: HOUR_MS,
    by: 'hour',
    asOfIndex: 1,
    asOfMs: 0,
    incomplete: [],
    rows: [],
    licences: [],
    truncated: false,
    ...overrides,
  };
}

describe('console report series', () => {
  it('asks whole hours up to the end of the current one, or whole UTC days', () => {
    const hourly = reportQuery('leases', rangeOf('24h'), 'cad', NOW_MS);
    expect(hourly).to.deep.equal({
      kind: 'leases',
      fromMs: Date.UTC(2026, 11, 6, 14),
      toMs: Date.UTC(2026, 11, 7, 14),
      by: 'hour',
      licenceId: 'cad',
    });
    expect(reportPath(hourly)).to.equal(
      `/api/report?kind=leases&fromMs=${hourly.fromMs}&toMs=${hourly.toMs}&by=hour&licenceId=cad`,
    );
    expect(tandemctlCommand(hourly, 'json')).to.equal(
      'tandemctl report leases --from 2026-12-06T14:00Z --to 2026-12-07T14:00Z --by hour --licence cad --format json',
    );
    const daily = reportQuery('usage', rangeOf('30d'), '', NOW_MS);
    expect(daily.fromMs).to.equal(Date.UTC(2026, 10, 8));
    expect(daily.toMs).to.equal(Date.UTC(2026, 11, 7, 14));
    expect(reportPath(daily)).to.not.contain('licenceId');
  });

  it("fills the periods without a line with 0, and takes only the chosen licence's lines", () => {
    const from = Date.UTC(2026, 11, 7, 10);
    const series = licenceSeries(
      report({
        fromMs: from,
        toMs: from + 3 * HOUR_MS,
        licences: [
          { licenceId: 'cad', periodStartMs: from + HOUR_MS, peakSeats: 3, leaseMs: 1, usageUnits: 7 },
          { licenceId: 'other', periodStartMs: from, peakSeats: 9, leaseMs: 1, usageUnits: 9 },
        ],
      }),
      'cad',
      'peakSeats',
    );
    expect(series.map((point) => [point.startMs - from, point.value])).to.deep.equal([
      [0, 0],
      [HOUR_MS, 3],
      [2 * HOUR_MS, 0],
    ]);
  });

  it('says which stretches are incomplete and why, and nothing when none is', () => {
    expect(gapNote([])).to.equal(null);
    const note = gapNote([
      { fromMs: Date.UTC(2026, 11, 1), toMs: Date.UTC(2026, 11, 2), reason: 'snapshot' },
      { fromMs: Date.UTC(2025, 0, 1), toMs: Date.UTC(2025, 0, 2), reason: 'retention' },
    ]);
    expect(note).to.contain('2026-12-01T00:00Z to 2026-12-02T00:00Z (this node installed a snapshot');
    expect(note).to.contain('(older than reports.retentionDays)');
  });

  it("writes tandemctl's report CSV, with formula-like text kept as text", () => {
    const row = {
      licenceId: 'cad',
      workstationId: 'ws-1',
      user: '=HYPERLINK("x")',
      host: 'h, 1',
      periodStartMs: Date.UTC(2026, 11, 7),
      leaseMs: 5_400_000,
      peakSeats: 2,
      grants: 1,
      renewals: 4,
      releases: 1,
      expiries: 0,
      revocations: 0,
      usageUnits: 55,
      usageReports: 1,
      denials: { quota_exceeded: 2, unknown_licence: 1 },
    };
    expect(reportCsv({ kind: 'usage', rows: [row] })).to.equal(
      'period,licence,workstation,user,host,units,reports,denials\n' +
        `2026-12-07T00:00:00.000Z,cad,ws-1,"'=HYPERLINK(""x"")","h, 1",55,1,quota_exceeded=2;unknown_licence=1\n`,
    );
    expect(reportCsv({ kind: 'leases', rows: [row] }).split('\n')[1]).to.equal(
      `2026-12-07T00:00:00.000Z,cad,ws-1,"'=HYPERLINK(""x"")","h, 1",1.5,5400,2,1,4,1,0,0,quota_exceeded=2;unknown_licence=1`,
    );
  });
});
