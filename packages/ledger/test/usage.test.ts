import assert from 'node:assert/strict';
import { expect } from 'chai';
import type { Outcome, Result } from '../src/types.js';
import { Driver, expectOk, expectRejected, HOUR_MS } from './helpers.js';

type UsageOutcome = Extract<Outcome, { kind: 'usage' }>;

function expectUsage(result: Result): UsageOutcome {
  const outcome = expectOk(result);
  if (outcome.kind !== 'usage') assert.fail(`expected a usage outcome, got ${outcome.kind}`);
  return outcome;
}

describe('usage', () => {
  it('adds reports to the period and tells what remains of the quota', () => {
    const start = Date.UTC(2024, 0, 10, 9);
    const driver = new Driver({}, start);
    driver.activate({ quota: { units: 100, period: 'day' } });
    expect(expectUsage(driver.report('cad-1', 30))).to.deep.equal({
      kind: 'usage',
      licenceId: 'cad-1',
      periodStartMs: Date.UTC(2024, 0, 10),
      used: 30,
      remaining: 70,
    });
    expect(expectUsage(driver.report('cad-1', 70)).remaining).to.equal(0);
    expect(driver.ledger.usage('cad-1')).to.deep.equal([
      {
        periodStartMs: Date.UTC(2024, 0, 10),
        periodEndMs: Date.UTC(2024, 0, 11),
        used: 100,
        quota: 100,
        reports: 2,
      },
    ]);
  });

  it('refuses a report that would exceed the quota, whole, recording nothing', () => {
    const driver = new Driver();
    driver.activate({ quota: { units: 10, period: 'day' } });
    driver.report('cad-1', 8);
    expectRejected(driver.report('cad-1', 3), 'quota_exhausted', 'used 8 of 10');
    expect(driver.ledger.usage('cad-1')[0]?.used).to.equal(8);
    expect(driver.ledger.usage('cad-1')[0]?.reports).to.equal(1);
    expect(expectUsage(driver.report('cad-1', 2)).remaining).to.equal(0);
    expectRejected(driver.report('cad-1', 1), 'quota_exhausted');
  });

  it('starts a fresh day at UTC midnight', () => {
    const driver = new Driver({}, Date.UTC(2024, 0, 10, 23, 59, 59, 999));
    driver.activate({ quota: { units: 10, period: 'day' } });
    driver.report('cad-1', 10);
    expectRejected(driver.report('cad-1', 1), 'quota_exhausted');
    driver.advance(1);
    const usage = expectUsage(driver.report('cad-1', 4));
    expect(usage.periodStartMs).to.equal(Date.UTC(2024, 0, 11));
    expect(usage.remaining).to.equal(6);
    expect(driver.ledger.usage('cad-1').map((period) => period.used)).to.deep.equal([10, 4]);
  });

  it('starts a fresh week on Monday 00:00 UTC, across the year end', () => {
    // Sunday 5 January 2025, the last day of the ISO week that began on Monday 30 December 2024.
    const driver = new Driver({}, Date.UTC(2025, 0, 5, 23, 59));
    driver.activate({ quota: { units: 10, period: 'week' } });
    expect(expectUsage(driver.report('cad-1', 10)).periodStartMs).to.equal(Date.UTC(2024, 11, 30));
    driver.advance(60_000);
    const usage = expectUsage(driver.report('cad-1', 10));
    expect(usage.periodStartMs).to.equal(Date.UTC(2025, 0, 6));
    expect(usage.used).to.equal(10);
  });

  it('starts a fresh month on the first, from December into January', () => {
    const driver = new Driver({}, Date.UTC(2024, 11, 31, 22));
    driver.activate({ quota: { units: 5, period: 'month' } });
    driver.report('cad-1', 5);
    driver.advance(2 * HOUR_MS);
    expect(expectUsage(driver.report('cad-1', 5)).periodStartMs).to.equal(Date.UTC(2025, 0, 1));
    expect(
      driver.ledger.usage('cad-1').map((period) => [period.periodStartMs, period.periodEndMs]),
    ).to.deep.equal([
      [Date.UTC(2024, 11, 1), Date.UTC(2025, 0, 1)],
      [Date.UTC(2025, 0, 1), Date.UTC(2025, 1, 1)],
    ]);
  });

  it('records usage without a limit, per month, for a licence without a quota', () => {
    const driver = new Driver({}, Date.UTC(2024, 1, 14));
    driver.activate();
    expect(expectUsage(driver.report('cad-1', 1e12))).to.deep.equal({
      kind: 'usage',
      licenceId: 'cad-1',
      periodStartMs: Date.UTC(2024, 1, 1),
      used: 1e12,
      remaining: null,
    });
    expect(driver.ledger.usage('cad-1')[0]).to.deep.include({ periodEndMs: Date.UTC(2024, 2, 1), quota: 0 });
  });

  it('refuses bad units, unknown and deactivated licences', () => {
    const driver = new Driver();
    driver.activate();
    expectRejected(driver.report('cad-1', 0), 'invalid_command', 'units');
    expectRejected(driver.report('cad-1', 1.5), 'invalid_command', 'units');
    expectRejected(driver.report('nope', 1), 'licence_not_found');
    driver.deactivate('cad-1');
    expectRejected(driver.report('cad-1', 1), 'licence_deactivated');
    expect(driver.ledger.usage('cad-1')).to.deep.equal([]);
  });

  it('keeps only the configured number of periods per licence, dropping the earliest', () => {
    const driver = new Driver({ usageHistoryPeriods: 3 }, Date.UTC(2024, 0, 1, 12));
    driver.activate({ quota: { units: 10, period: 'day' } });
    for (let day = 0; day < 5; day += 1) {
      driver.report('cad-1', day + 1);
      driver.advance(24 * HOUR_MS);
    }
    expect(driver.ledger.usage('cad-1').map((period) => [period.periodStartMs, period.used])).to.deep.equal([
      [Date.UTC(2024, 0, 3), 3],
      [Date.UTC(2024, 0, 4), 4],
      [Date.UTC(2024, 0, 5), 5],
    ]);
  });

  it('counts afresh in the new kind of period when the quota period changes', () => {
    const driver = new Driver({}, Date.UTC(2024, 0, 10, 12));
    driver.activate({ quota: { units: 10, period: 'day' } });
    driver.report('cad-1', 10);
    // Another kind of period takes a new licence file from the vendor.
    driver.updateFile({ quota: { units: 15, period: 'month' } }, { serial: 2 });
    const monthly = expectUsage(driver.report('cad-1', 5));
    expect(monthly).to.deep.include({ periodStartMs: Date.UTC(2024, 0, 1), used: 5, remaining: 10 });
    driver.updateFile({ quota: { units: 10, period: 'day' } }, { serial: 3 });
    expectRejected(driver.report('cad-1', 1), 'quota_exhausted');
    expect(driver.ledger.usage('cad-1').map((period) => period.periodStartMs)).to.deep.equal([
      Date.UTC(2024, 0, 1),
      Date.UTC(2024, 0, 10),
    ]);
  });

  it('reads the current period, as zero when nothing was reported', () => {
    const driver = new Driver({}, Date.UTC(2024, 0, 10, 12));
    driver.activate({ quota: { units: 10, period: 'week' } });
    expect(driver.ledger.currentUsage('cad-1', driver.nowMs)).to.deep.equal({
      periodStartMs: Date.UTC(2024, 0, 8),
      periodEndMs: Date.UTC(2024, 0, 15),
      used: 0,
      quota: 10,
      reports: 0,
    });
    driver.report('cad-1', 4);
    expect(driver.ledger.currentUsage('cad-1', Date.UTC(2024, 0, 14, 23))?.used).to.equal(4);
    expect(driver.ledger.currentUsage('cad-1', Date.UTC(2024, 0, 15))?.used).to.equal(0);
    expect(driver.ledger.currentUsage('nope', driver.nowMs)).to.equal(null);
  });
});
