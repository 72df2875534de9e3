import { expect } from 'chai';
import { MAX_OVER_GRANT_STRETCHES, overGrantStretches, type SeatInterval } from '../src/over-grant.js';

const lease = (startMs: number, endMs: number | null, grantTerm = 1): SeatInterval => ({
  startMs,
  endMs,
  grantTerm,
});

describe('over-grant stretches', () => {
  it('finds nothing within the limit', () => {
    expect(overGrantStretches([lease(0, 10), lease(5, 20), lease(20, 30)], 2)).to.deep.equal([]);
  });

  it('does not count a lease that ends at the moment another starts', () => {
    expect(overGrantStretches([lease(0, 10, 1), lease(10, 20, 2)], 1)).to.deep.equal([]);
    // Released in the millisecond it was granted: never held beside another.
    expect(overGrantStretches([lease(0, 10, 1), lease(5, 5, 2)], 1)).to.deep.equal([]);
  });

  it('gives each stretch its peak, span and the terms of every lease held during it', () => {
    const stretches = overGrantStretches(
      [lease(0, 100, 1), lease(10, 30, 2), lease(20, 25, 3), lease(40, 50, 4), lease(60, null, 5)],
      1,
    );
    expect(stretches).to.deep.equal([
      { startedAtMs: 10, endedAtMs: 30, peak: 3, grantTerms: [1, 2, 3] },
      { startedAtMs: 40, endedAtMs: 50, peak: 2, grantTerms: [1, 4] },
      { startedAtMs: 60, endedAtMs: 100, peak: 2, grantTerms: [1, 5] },
    ]);
  });

  it('keeps a stretch that still lasts open', () => {
    expect(overGrantStretches([lease(0, null, 1), lease(10, null, 2)], 1)).to.deep.equal([
      { startedAtMs: 10, endedAtMs: null, peak: 2, grantTerms: [1, 2] },
    ]);
  });

  it('folds stretches beyond its bound into the last kept one, and keeps a lasting one apart', () => {
    const intervals = [lease(0, null, 1)];
    for (let n = 0; n < 40; n++) intervals.push(lease(100 * n + 10, 100 * n + 20 + n, n + 2));
    intervals.push(lease(10_000, null, 99));
    const stretches = overGrantStretches(intervals, 1);
    expect(stretches).to.have.length(MAX_OVER_GRANT_STRETCHES);
    const folded = stretches[MAX_OVER_GRANT_STRETCHES - 2];
    expect(folded?.startedAtMs).to.equal(100 * (MAX_OVER_GRANT_STRETCHES - 2) + 10);
    expect(folded?.endedAtMs).to.equal(100 * 39 + 20 + 39);
    expect(stretches[MAX_OVER_GRANT_STRETCHES - 1]).to.deep.equal({
      startedAtMs: 10_000,
      endedAtMs: null,
      peak: 2,
      grantTerms: [1, 99],
    });
  });
});
