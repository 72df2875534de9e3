import { expect } from 'chai';
import { SeatHistory } from '../src/seat-history.js';

const ended = (n: number, endedAtMs: number) => ({
  leaseId: `lease-1-${n}`,
  licenceId: n % 2 === 0 ? 'even' : 'odd',
  grantTerm: 1,
  grantedAtMs: 0,
  endedAtMs,
  expired: false,
});

describe('seat history', () => {
  it('keeps at most its bound, forgetting the earliest ended first', () => {
    const history = new SeatHistory(3, 1_000_000);
    for (let n = 1; n <= 5; n++) history.record(ended(n, n));
    expect(history.values().map((record) => record.leaseId)).to.deep.equal([
      'lease-1-3',
      'lease-1-4',
      'lease-1-5',
    ]);
  });

  it('forgets what ended longer than its retention ago', () => {
    const history = new SeatHistory(100, 10);
    for (let n = 1; n <= 5; n++) history.record(ended(n, n * 10));
    history.forgetBefore(45);
    expect(history.values().map((record) => record.endedAtMs)).to.deep.equal([40, 50]);
  });

  it('finds the leases of one licence that ended after a time, over many records', () => {
    const history = new SeatHistory(5000, 1_000_000);
    for (let n = 1; n <= 10_000; n++) history.record(ended(n, n));
    expect(history.size).to.equal(5000);
    const odd = history.endedAfter('odd', 9990);
    expect(odd.map((record) => record.endedAtMs)).to.deep.equal([9991, 9993, 9995, 9997, 9999]);
  });
});
