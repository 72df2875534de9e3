import { expect } from 'chai';
import {
  addDelta,
  emptyDelta,
  emptyHistory,
  foldEntry,
  type HistoryDelta,
  type HistoryOptions,
  type HistoryState,
  openFigures,
  type RowFigures,
  restartFrom,
  rowKey,
} from '../src/usage-history.js';
import { HOUR_MS, LedgerRun, MINUTE_MS, T0 } from './report-fixture.js';

const OPTIONS: HistoryOptions = { retentionMs: 400 * 24 * HOUR_MS };

/** Folds every entry of the run into a fresh history; the figures include what is still held. */
function fold(
  run: LedgerRun,
  state: HistoryState = emptyHistory(),
): { state: HistoryState; figures: HistoryDelta } {
  const figures = emptyDelta();
  for (const input of run.applied) {
    const change = foldEntry(state, input, OPTIONS);
    if (change !== null) addDelta(figures, change.delta);
  }
  return { state, figures };
}

function withOpen(state: HistoryState, figures: HistoryDelta): HistoryDelta {
  const all = emptyDelta();
  addDelta(all, figures);
  addDelta(all, openFigures(state, OPTIONS));
  return all;
}

/** A row's figures summed over every hour (peak: the largest). */
function total(
  figures: HistoryDelta,
  licenceId: string,
  workstationId: string,
  user: string,
  host: string,
): RowFigures {
  const key = rowKey({ licenceId, workstationId, user, host });
  const sum = emptyDelta();
  for (const bucket of figures.rows.values()) {
    if (rowKey(bucket.row) === key)
      addDelta(sum, { rows: new Map([['x', { ...bucket, hourMs: 0 }]]), licences: new Map() });
  }
  const [only] = [...sum.rows.values()];
  expect(only, `no figures for ${key}`).to.not.equal(undefined);
  return (only as { figures: RowFigures }).figures;
}

function licencePeaks(figures: HistoryDelta, licenceId: string): Record<string, number> {
  const peaks: Record<string, number> = {};
  for (const bucket of figures.licences.values()) {
    if (bucket.licenceId === licenceId)
      peaks[`+${(bucket.hourMs - T0) / HOUR_MS}h`] = bucket.figures.peakSeats;
  }
  return peaks;
}

/** A canonical form of a delta, for comparing two derivations. */
function canonical(delta: HistoryDelta): string {
  const rows = [...delta.rows.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const licences = [...delta.licences.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify({ rows, licences });
}

/**
 * Licence cad (2 seats, 100 units a day). ann on ws-a holds a lease from +10 min to +70 min (a
 * release); bob on ws-b from +20 min, renewed at +40 min, expiring at +70 min (a tick at +75 min);
 * cy on ws-c is refused at +25 min; ws-a reports 5 units at +30 min.
 */
function scenario(): LedgerRun {
  const run = new LedgerRun();
  run.activate('cad', 2, { units: 100, period: 'day' });
  const a = run.lease(run.at(10 * MINUTE_MS).acquire('cad', 'ws-a', 'ann', 'host-a', 120 * MINUTE_MS));
  const b = run.lease(run.at(20 * MINUTE_MS).acquire('cad', 'ws-b', 'bob', 'host-b'));
  run.at(25 * MINUTE_MS).acquire('cad', 'ws-c', 'cy', 'host-c');
  run.at(30 * MINUTE_MS).report('cad', 'ws-a', 5);
  run.at(40 * MINUTE_MS).renew(b.leaseId);
  run.at(70 * MINUTE_MS).release(a.leaseId);
  run.at(75 * MINUTE_MS).tick();
  return run;
}

describe('usage history (the pure fold)', () => {
  it('derives lease time, peaks, lease events, usage and denials per row and hour', () => {
    const { state, figures } = fold(scenario());
    const all = withOpen(state, figures);
    const ann = total(all, 'cad', 'ws-a', 'ann', 'host-a');
    expect(ann).to.deep.include({
      leaseMs: 60 * MINUTE_MS,
      peakSeats: 1,
      grants: 1,
      releases: 1,
      expiries: 0,
    });
    expect(ann).to.deep.include({ usageUnits: 5, usageReports: 1 });
    const bob = total(all, 'cad', 'ws-b', 'bob', 'host-b');
    // Expired at its expiry (+70 min), not when the tick came (+75 min).
    expect(bob).to.deep.include({
      leaseMs: 50 * MINUTE_MS,
      grants: 1,
      renewals: 1,
      expiries: 1,
      releases: 0,
    });
    const cy = total(all, 'cad', 'ws-c', 'cy', 'host-c');
    expect(cy.leaseDenials).to.deep.equal({ seat_limit_reached: 1 });
    expect(cy.leaseMs).to.equal(0);
    // Both held in the first hour and at the start of the second.
    expect(licencePeaks(all, 'cad')).to.deep.equal({ '+0h': 2, '+1h': 2 });
    // ann's hour-by-hour time: 50 min in the first hour, 10 in the second.
    const annRow = rowKey({ licenceId: 'cad', workstationId: 'ws-a', user: 'ann', host: 'host-a' });
    expect(all.rows.get(`${T0}|${annRow}`)?.figures.leaseMs).to.equal(50 * MINUTE_MS);
    expect(all.rows.get(`${T0 + HOUR_MS}|${annRow}`)?.figures.leaseMs).to.equal(10 * MINUTE_MS);
    expect(state.leases.size).to.equal(0);
    expect(state.licenceSeats.size).to.equal(0);
  });

  it('counts a lease still held up to the last entry, and peaks over hours without entries', () => {
    const run = new LedgerRun();
    run.activate('cad', 5);
    run.at(30 * MINUTE_MS).acquire('cad', 'ws-a', 'ann', 'host-a', 24 * HOUR_MS);
    run.at(3 * HOUR_MS + 30 * MINUTE_MS).report('cad', 'ws-a', 1);
    const { state, figures } = fold(run);
    const all = withOpen(state, figures);
    expect(total(all, 'cad', 'ws-a', 'ann', 'host-a').leaseMs).to.equal(3 * HOUR_MS);
    expect(licencePeaks(all, 'cad')).to.deep.equal({ '+0h': 1, '+1h': 1, '+2h': 1, '+3h': 1 });
  });

  it('is deterministic: the same entries give the same figures, however the fold is cut', () => {
    const run = scenario();
    const once = fold(run);
    const again = fold(run);
    expect(canonical(withOpen(again.state, again.figures))).to.equal(
      canonical(withOpen(once.state, once.figures)),
    );
    // Cut after each entry: the state goes through JSON (as the index stores it) and entries already
    // folded are handed over again (as a restarted node applies them again): same figures.
    for (let cut = 1; cut < run.applied.length; cut += 1) {
      const first = emptyHistory();
      const figures = emptyDelta();
      for (const input of run.applied.slice(0, cut)) {
        const change = foldEntry(first, input, OPTIONS);
        if (change !== null) addDelta(figures, change.delta);
      }
      const restored: HistoryState = {
        indexedThrough: first.indexedThrough,
        clockMs: first.clockMs,
        gaps: JSON.parse(JSON.stringify(first.gaps)),
        leases: new Map(JSON.parse(JSON.stringify([...first.leases]))),
        rowSeats: new Map(JSON.parse(JSON.stringify([...first.rowSeats]))),
        licenceSeats: new Map(JSON.parse(JSON.stringify([...first.licenceSeats]))),
      };
      for (const input of run.applied) {
        const change = foldEntry(restored, input, OPTIONS);
        if (change !== null) addDelta(figures, change.delta);
      }
      expect(canonical(withOpen(restored, figures)), `cut after ${cut}`).to.equal(
        canonical(withOpen(once.state, once.figures)),
      );
    }
  });

  it('counts a retried request once and skips entries already folded', () => {
    const run = new LedgerRun();
    run.activate('cad', 2);
    run.at(MINUTE_MS).acquire('cad', 'ws-a', 'ann', 'host-a');
    run.at(2 * MINUTE_MS).report('cad', 'ws-a', 7, 'usage-1');
    run.at(3 * MINUTE_MS).report('cad', 'ws-a', 7, 'usage-1');
    const { state, figures } = fold(run);
    expect(total(figures, 'cad', 'ws-a', 'ann', 'host-a')).to.deep.include({
      usageUnits: 7,
      usageReports: 1,
    });
    for (const input of run.applied) expect(foldEntry(state, input, OPTIONS)).to.equal(null);
  });

  it('counts revocations and deactivations, and a refused usage report by reason', () => {
    const run = new LedgerRun();
    run.activate('cad', 2, { units: 10, period: 'day' });
    const a = run.lease(run.at(MINUTE_MS).acquire('cad', 'ws-a', 'ann', 'host-a'));
    run.lease(run.at(2 * MINUTE_MS).acquire('cad', 'ws-b', 'bob', 'host-b'));
    run.at(3 * MINUTE_MS).report('cad', 'ws-a', 11);
    run
      .at(4 * MINUTE_MS)
      .apply({ type: 'revoke_lease', requestId: 'revoke', leaseId: a.leaseId, reason: 'test', actor: null });
    run
      .at(5 * MINUTE_MS)
      .apply({ type: 'deactivate_licence', requestId: 'deactivate', licenceId: 'cad', actor: null });
    const { figures } = fold(run);
    const ann = total(figures, 'cad', 'ws-a', 'ann', 'host-a');
    expect(ann).to.deep.include({ revocations: 1, leaseMs: 3 * MINUTE_MS });
    expect(ann.usageDenials).to.deep.equal({ quota_exhausted: 1 });
    expect(total(figures, 'cad', 'ws-b', 'bob', 'host-b')).to.deep.include({
      revocations: 1,
      leaseMs: 3 * MINUTE_MS,
    });
  });

  it('folds what a merge re-applied, at the backup entry times', () => {
    const run = new LedgerRun();
    run.activate('cad', 5);
    run.term = 3;
    // The backup (term 2) granted ws-z a lease at +10 min and counted 4 units at +11 min; the main
    // merges at +30 min.
    run.at(30 * MINUTE_MS).apply({
      type: 'merge',
      sourceNodeId: 'backup',
      sourceTerms: [2],
      entries: [
        {
          index: 3,
          term: 2,
          timestampMs: T0 + 10 * MINUTE_MS,
          command: {
            type: 'acquire_lease',
            requestId: 'backup-acquire',
            licenceId: 'cad',
            workstationId: 'ws-z',
            parameters: { user: 'zed', host: 'host-z', cores: 1, productVersion: '1' },
            ttlMs: HOUR_MS,
            nonce: '',
          },
        },
        {
          index: 4,
          term: 2,
          timestampMs: T0 + 11 * MINUTE_MS,
          command: {
            type: 'report_usage',
            requestId: 'backup-report',
            licenceId: 'cad',
            workstationId: 'ws-z',
            units: 4,
          },
        },
      ],
    });
    run.at(50 * MINUTE_MS).tick();
    run.at(80 * MINUTE_MS).tick();
    const { state, figures } = fold(run);
    const zed = total(withOpen(state, figures), 'cad', 'ws-z', 'zed', 'host-z');
    // Held from the backup's grant (+10 min) to its expiry (+70 min).
    expect(zed).to.deep.include({ grants: 1, expiries: 1, leaseMs: HOUR_MS, usageUnits: 4, usageReports: 1 });
    const zedRow = rowKey({ licenceId: 'cad', workstationId: 'ws-z', user: 'zed', host: 'host-z' });
    expect(figures.rows.get(`${T0}|${zedRow}`)?.figures).to.deep.include({ grants: 1, usageUnits: 4 });
  });

  it('records a gap when the ledger jumps past what was folded (a snapshot), and goes on from there', () => {
    const run = scenario();
    const held = run.lease(run.at(80 * MINUTE_MS).acquire('cad', 'ws-d', 'dee', 'host-d', 2 * HOUR_MS));
    const { state } = fold({ applied: run.applied.slice(0, 4) } as LedgerRun);
    const change = restartFrom(
      state,
      { appliedIndex: run.ledger.appliedIndex, clockMs: run.ledger.clockMs, leases: run.ledger.listLeases() },
      OPTIONS,
    );
    expect(change).to.not.equal(null);
    expect(state.gaps).to.deep.equal([
      { fromMs: T0 + 20 * MINUTE_MS, toMs: T0 + 80 * MINUTE_MS, reason: 'snapshot' },
    ]);
    expect([...state.leases.keys()]).to.deep.equal([held.leaseId]);
    expect(state.indexedThrough).to.equal(run.ledger.appliedIndex);
    // Nothing skipped: nothing recorded.
    expect(restartFrom(state, { appliedIndex: 1, clockMs: 0, leases: [] }, OPTIONS)).to.equal(null);
    // A node that never folded anything misses everything before the snapshot.
    const fresh = emptyHistory();
    restartFrom(fresh, { appliedIndex: 9, clockMs: T0, leases: [] }, OPTIONS);
    expect(fresh.gaps).to.deep.equal([{ fromMs: 0, toMs: T0, reason: 'snapshot' }]);
  });
});
