// GET /api/report's query string: every parameter checked with a 400 naming it (not the proto field
// behind it), and GetReport's answer as the console reads it (denials sorted as tandemctl sorts them).
import { expect } from 'chai';
import { renameReportField, reportJsonOfResponse, reportRequestOfQuery } from '../src/console-report.js';
import { HttpError } from '../src/http-route.js';

const HOUR_MS = 3_600_000;
const FROM_MS = 1000 * HOUR_MS;
const TO_MS = 1024 * HOUR_MS;

function refusal(query: string): { field: unknown; message: string; status: number } {
  try {
    reportRequestOfQuery(new URLSearchParams(query));
  } catch (error) {
    expect(error).to.be.instanceOf(HttpError);
    const http = error as HttpError;
    return { field: http.extra.field, message: http.message, status: http.status };
  }
  throw new Error(`${query} was accepted`);
}

describe('the console report route (GET /api/report)', () => {
  it('turns a good query into a GetReport request, by day and every licence unless said', () => {
    expect(
      reportRequestOfQuery(new URLSearchParams(`kind=usage&fromMs=${FROM_MS}&toMs=${TO_MS}`)),
    ).to.deep.equal({
      kind: 'usage',
      fromMs: FROM_MS,
      toMs: TO_MS,
      by: 'day',
      licenceId: '',
      limit: 0,
    });
    expect(
      reportRequestOfQuery(
        new URLSearchParams(`kind=leases&fromMs=${FROM_MS}&toMs=${TO_MS}&by=hour&licenceId=cad&limit=10`),
      ),
    ).to.deep.include({ kind: 'leases', by: 'hour', licenceId: 'cad', limit: 10 });
  });

  it('refuses each bad parameter with 400 naming it', () => {
    const range = `fromMs=${FROM_MS}&toMs=${TO_MS}`;
    expect(refusal(range)).to.deep.include({ status: 400, field: 'kind' });
    expect(refusal(`kind=usage&fromMs=&toMs=${TO_MS}`).field).to.equal('fromMs');
    expect(refusal(`kind=usage&fromMs=-1&toMs=${TO_MS}`).field).to.equal('fromMs');
    expect(refusal(`kind=usage&fromMs=${FROM_MS}&toMs=${TO_MS + 1}`).field).to.equal('toMs');
    expect(refusal(`kind=usage&fromMs=${FROM_MS}&toMs=${FROM_MS}`).message).to.equal(
      'toMs: must be after fromMs (the range is [fromMs, toMs))',
    );
    expect(refusal(`kind=usage&fromMs=${FROM_MS}&toMs=99999999999999999`).field).to.equal('toMs');
    expect(refusal(`kind=usage&${range}&by=`).field).to.equal('by');
    expect(refusal(`kind=usage&${range}&licenceId=${'x'.repeat(300)}`).field).to.equal('licenceId');
    expect(refusal(`kind=usage&${range}&limit=ten`).field).to.equal('limit');
    expect(refusal(`kind=usage&${range}&licence=cad`).message).to.match(/^licence: is not a parameter/);
  });

  it('names the query parameter when GetReport names the proto field, and leaves other errors alone', () => {
    const renamed = renameReportField(
      new HttpError(400, 'invalid_argument', 'from_ms: must be on a whole UTC hour', { field: 'from_ms' }),
    ) as HttpError;
    expect(renamed.message).to.equal('fromMs: must be on a whole UTC hour');
    expect(renamed.extra.field).to.equal('fromMs');
    const other = new HttpError(503, 'not_leader', 'not the leader');
    expect(renameReportField(other)).to.equal(other);
  });

  it('sorts denials by reason and carries the answering node', () => {
    const json = reportJsonOfResponse({
      header: { nodeId: 'backup', term: 1, leaderId: 'main', appliedIndex: 9 },
      kind: 'leases',
      fromMs: FROM_MS,
      toMs: TO_MS,
      by: 'total',
      asOfIndex: 9,
      asOfMs: TO_MS - 1,
      incomplete: [],
      rows: [
        {
          licenceId: 'cad',
          workstationId: 'ws-1',
          user: 'ann',
          host: 'h1',
          periodStartMs: FROM_MS,
          leaseMs: 60_000,
          peakSeats: 1,
          grants: 1,
          renewals: 0,
          releases: 1,
          expiries: 0,
          revocations: 0,
          usageUnits: 0,
          usageReports: 0,
          denials: { seat_limit_reached: 2, licence_expired: 1 },
        },
      ],
      licences: [],
      truncated: false,
    });
    expect(json.nodeId).to.equal('backup');
    expect(Object.keys(json.rows[0]?.denials ?? {})).to.deep.equal(['licence_expired', 'seat_limit_reached']);
  });
});
