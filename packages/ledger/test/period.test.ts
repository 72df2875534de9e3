import { expect } from 'chai';
import fc from 'fast-check';
import { DAY_MS, periodBounds, periodEndMs, periodStartMs, WEEK_MS } from '../src/period.js';

describe('period', () => {
  describe('day', () => {
    it('starts at UTC midnight and lasts a day', () => {
      expect(periodBounds('day', Date.UTC(2024, 0, 10, 12, 30))).to.deep.equal({
        periodStartMs: Date.UTC(2024, 0, 10),
        periodEndMs: Date.UTC(2024, 0, 11),
      });
    });

    it('puts midnight in the new day and the millisecond before in the old one', () => {
      const midnight = Date.UTC(2024, 0, 11);
      expect(periodStartMs('day', midnight)).to.equal(midnight);
      expect(periodStartMs('day', midnight - 1)).to.equal(Date.UTC(2024, 0, 10));
    });

    it('rolls over the year end', () => {
      expect(periodBounds('day', Date.UTC(2024, 11, 31, 23, 59, 59, 999))).to.deep.equal({
        periodStartMs: Date.UTC(2024, 11, 31),
        periodEndMs: Date.UTC(2025, 0, 1),
      });
    });
  });

  describe('week (ISO, Monday 00:00 UTC)', () => {
    it('starts on the Monday before a Wednesday', () => {
      expect(periodBounds('week', Date.UTC(2024, 0, 10, 12))).to.deep.equal({
        periodStartMs: Date.UTC(2024, 0, 8),
        periodEndMs: Date.UTC(2024, 0, 15),
      });
    });

    it('keeps Sunday night in the old week and starts a new week on Monday midnight', () => {
      const monday = Date.UTC(2024, 0, 15);
      expect(periodStartMs('week', monday - 1)).to.equal(Date.UTC(2024, 0, 8));
      expect(periodStartMs('week', monday)).to.equal(monday);
    });

    it('spans the year end', () => {
      // 31 December 2024 is a Tuesday; its ISO week runs Monday 30 December to Sunday 5 January.
      expect(periodBounds('week', Date.UTC(2024, 11, 31, 18))).to.deep.equal({
        periodStartMs: Date.UTC(2024, 11, 30),
        periodEndMs: Date.UTC(2025, 0, 6),
      });
      // 1 January 2021 is a Friday; its week started on Monday 28 December 2020.
      expect(periodStartMs('week', Date.UTC(2021, 0, 1))).to.equal(Date.UTC(2020, 11, 28));
    });

    it('handles the epoch, a Thursday', () => {
      expect(periodStartMs('week', 0)).to.equal(-3 * DAY_MS);
      expect(periodEndMs('week', 0)).to.equal(4 * DAY_MS);
    });
  });

  describe('month', () => {
    it('runs from the first of the month to the first of the next', () => {
      expect(periodBounds('month', Date.UTC(2024, 1, 29, 23))).to.deep.equal({
        periodStartMs: Date.UTC(2024, 1, 1),
        periodEndMs: Date.UTC(2024, 2, 1),
      });
    });

    it('rolls December into January of the next year', () => {
      expect(periodBounds('month', Date.UTC(2024, 11, 31, 23, 59, 59, 999))).to.deep.equal({
        periodStartMs: Date.UTC(2024, 11, 1),
        periodEndMs: Date.UTC(2025, 0, 1),
      });
      expect(periodStartMs('month', Date.UTC(2025, 0, 1))).to.equal(Date.UTC(2025, 0, 1));
    });
  });

  it('contains the time, on the right boundaries, for any time (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), (atMs) => {
        const day = periodBounds('day', atMs);
        const week = periodBounds('week', atMs);
        const month = periodBounds('month', atMs);
        for (const bounds of [day, week, month]) {
          expect(bounds.periodStartMs).to.be.at.most(atMs);
          expect(bounds.periodEndMs).to.be.greaterThan(atMs);
          expect(new Date(bounds.periodStartMs).getUTCHours()).to.equal(0);
          expect(bounds.periodStartMs % DAY_MS).to.equal(0);
        }
        expect(day.periodEndMs - day.periodStartMs).to.equal(DAY_MS);
        expect(week.periodEndMs - week.periodStartMs).to.equal(WEEK_MS);
        expect(new Date(week.periodStartMs).getUTCDay()).to.equal(1);
        expect(new Date(month.periodStartMs).getUTCDate()).to.equal(1);
        expect(new Date(month.periodEndMs).getUTCDate()).to.equal(1);
        expect(new Date(month.periodStartMs).getUTCMonth()).to.equal(new Date(atMs).getUTCMonth());
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a time that is not an integer', () => {
    expect(() => periodBounds('day', 1.5)).to.throw(/safe integer/);
  });
});
