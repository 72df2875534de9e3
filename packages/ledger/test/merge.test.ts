import { expect } from 'chai';
import {
  decodeEntryData,
  ENTRY_DATA_MAX_BYTES,
  encodeEntryData,
  MAX_MERGED_ENTRIES,
  MERGE_COMMAND_MAX_BYTES,
} from '../src/codec.js';
import { LedgerDataError } from '../src/errors.js';
import { MAX_RESOLVED_INCIDENTS } from '../src/incident-book.js';
import type { LeaseIntent } from '../src/lease-intents.js';
import { Ledger } from '../src/ledger.js';
import { mergedEntryFrom, planMerge } from '../src/merge.js';
import { DAY_MS } from '../src/period.js';
import { decodeSnapshot, encodeSnapshot } from '../src/snapshot.js';
import type { Command, Incident, Lease, MergeCommand, MergedEntry, Outcome, Result } from '../src/types.js';
import { validateCommand } from '../src/validate.js';
import {
  ACTOR,
  activateCommand,
  Driver,
  expectLease,
  expectOk,
  expectRejected,
  expectSameAnswer,
  HOUR_MS,
  licenceFile,
  MINUTE_MS,
  PARAMETERS,
  T0,
  updateCommand,
} from './helpers.js';

const BACKUP_TERM = 2;
const MAIN_TERM = 3;

function acquire(
  requestId: string,
  workstationId: string,
  ttlMs = 5 * MINUTE_MS,
  licenceId = 'cad-1',
): Command {
  return {
    type: 'acquire_lease',
    requestId,
    licenceId,
    workstationId,
    parameters: PARAMETERS,
    ttlMs,
    nonce: '',
  };
}

/** A newer licence file for cad-1 as splitMain activates it, with these seats and this quota. */
function raise(
  requestId: string,
  serial: number,
  seats: number,
  quota: { units: number; period: 'day' } | null = { units: 100, period: 'day' },
): Command {
  return {
    type: 'update_licence',
    requestId,
    licenceId: 'cad-1',
    licenceFile: licenceFile({ seats, quota }, { serial }),
    changes: {},
    actor: ACTOR,
  };
}

function report(requestId: string, units: number, licenceId = 'cad-1'): Command {
  return { type: 'report_usage', requestId, licenceId, workstationId: 'ws-1', units };
}

/**
 * Main and backup shared entries 1..3 (term 1): licence cad-1 with 2 seats and 100 units a day,
 * and a lease for ws-0. Then main led alone in term 3; the backup led alone in term 2.
 */
function splitMain(seats = 2): { main: Driver; shared: string } {
  const main = new Driver();
  main.activate({ seats, quota: { units: 100, period: 'day' } }, 'activate');
  const shared = expectLease(main.acquire('cad-1', 'ws-0', HOUR_MS, 'shared-acquire')).leaseId;
  main.report('cad-1', 10, 'shared-report');
  main.term = MAIN_TERM;
  return { main, shared };
}

/** The backup's solo entries from index 4, a second apart, starting 10 s after T0. */
function solo(commands: Command[], firstIndex = 4, term = BACKUP_TERM): MergedEntry[] {
  return commands.map((command, offset) => ({
    index: firstIndex + offset,
    term,
    timestampMs: T0 + 10_000 + offset * 1000,
    command,
  }));
}

function mergeCommand(entries: MergedEntry[], sourceTerms = [BACKUP_TERM]): MergeCommand {
  return { type: 'merge', sourceNodeId: 'backup', sourceTerms, entries };
}

function expectMerged(result: Result): Extract<Outcome, { kind: 'merged' }> {
  const outcome = expectOk(result);
  if (outcome.kind !== 'merged') throw new Error(`expected a merged outcome, got ${outcome.kind}`);
  return outcome;
}

function onlyIncident(driver: Driver, kind: Incident['kind']): Incident {
  const incidents = driver.ledger.incidents().filter((incident) => incident.kind === kind);
  expect(incidents).to.have.length(1);
  return incidents[0] as Incident;
}

describe('merge', () => {
  it('re-applies the backup entries main lacks, and skips requests main already has', () => {
    const { main } = splitMain(5);
    main.advance(60_000);
    // A workstation's retry reached main as well as the backup: main already counted it.
    main.report('cad-1', 7, 'retried-report');
    const merged = solo([
      report('retried-report', 7),
      report('backup-report', 3),
      { type: 'tick' },
      { type: 'extend_leases', byMs: 500 },
      report('backup-report', 3),
      acquire('backup-acquire', 'ws-9'),
    ]);
    const outcome = expectMerged(main.apply(mergeCommand(merged)));
    expect(outcome).to.deep.equal({ kind: 'merged', applied: 2, duplicates: 2, skipped: 2, incidentIds: [] });
    // 10 shared, 7 once only, 3 once only.
    expect(main.ledger.currentUsage('cad-1', main.nowMs)?.used).to.equal(20);
    expect(main.ledger.currentUsage('cad-1', main.nowMs)?.reports).to.equal(3);
    const usageResult = main.ledger.lookupRequest('backup-report');
    expect(usageResult).to.deep.include({ ok: true });
    expect(main.ledger.lookupRequest('retried-report')).to.deep.equal({
      ok: true,
      outcome: {
        kind: 'usage',
        licenceId: 'cad-1',
        periodStartMs: T0 - 12 * HOUR_MS,
        used: 17,
        remaining: 83,
      },
    });
    // A later retry of a merged request returns the merged result and changes nothing.
    const hash = main.ledger.stateHash();
    expectSameAnswer(main.report('cad-1', 3, 'backup-report'), usageResult);
    expect(main.ledger.stateHash()).to.equal(hash);
  });

  it('keeps the lease the backup answered a retried acquire with, counting the request once', () => {
    const { main } = splitMain(5);
    // The main took the request but its answer was lost at the cut; the workstation retried it on
    // the backup, which granted its own lease: the workstation holds the backup's lease id.
    const onMain = expectLease(main.acquire('cad-1', 'ws-7', 2 * MINUTE_MS, 'retried-acquire'));
    main.advance(1000);
    const entries = solo([acquire('retried-acquire', 'ws-7', 2 * MINUTE_MS)]);
    const backupLease = {
      leaseId: `lease-${BACKUP_TERM}-4`,
      licenceId: 'cad-1',
      workstationId: 'ws-7',
      parameters: PARAMETERS,
      grantedAtMs: T0 + 10_000,
      renewedAtMs: T0 + 10_000,
      expiresAtMs: T0 + 10_000 + 2 * MINUTE_MS,
      ttlMs: 2 * MINUTE_MS,
    };
    entries[0] = {
      ...(entries[0] as MergedEntry),
      result: { ok: true, outcome: { kind: 'lease', lease: backupLease } },
    };
    const outcome = expectMerged(main.apply(mergeCommand(entries)));
    expect(outcome).to.include({ applied: 0, duplicates: 1 });
    expect(main.ledger.getLease(onMain.leaseId)).to.not.equal(undefined);
    expect(main.ledger.getLease(backupLease.leaseId)).to.deep.include({ workstationId: 'ws-7' });
    // The request keeps the main's answer (the workstation may hold either); a repeated merge
    // changes nothing.
    expect(expectLease(main.ledger.lookupRequest('retried-acquire') as Result).leaseId).to.equal(
      onMain.leaseId,
    );
    // Both answers are remembered: the workstation got one of them.
    expect(
      main.ledger.lookupRequestAnswers('retried-acquire').map((answer) => expectLease(answer).leaseId),
    ).to.deep.equal([onMain.leaseId, backupLease.leaseId]);
    const hash = main.ledger.stateHash();
    expect(expectMerged(main.apply(mergeCommand(entries)))).to.include({ applied: 0, duplicates: 1 });
    expect(main.ledger.stateHash()).to.equal(hash);
  });

  it('counts usage the backup accepted for a request the main had refused, once', () => {
    const { main } = splitMain(5);
    // 10 of 100 units used; the main refuses 95 more, the backup (which saw less use) accepted them.
    expectRejected(main.report('cad-1', 95, 'retried-report'), 'quota_exhausted');
    const entries = solo([report('retried-report', 95)]);
    const accepted: Result = {
      ok: true,
      outcome: {
        kind: 'usage',
        licenceId: 'cad-1',
        periodStartMs: T0 - 12 * HOUR_MS,
        used: 95,
        remaining: 5,
      },
    };
    entries[0] = { ...(entries[0] as MergedEntry), result: accepted };
    expectMerged(main.apply(mergeCommand(entries)));
    expect(main.ledger.currentUsage('cad-1', main.nowMs)?.used).to.equal(105);
    expect(main.ledger.lookupRequest('retried-report')).to.deep.include({ ok: true });
    expect(main.ledger.lookupRequestAnswers('retried-report').map((answer) => answer.ok)).to.deep.equal([
      true,
      false,
    ]);
    expect(onlyIncident(main, 'usage')).to.include({
      licenceId: 'cad-1',
      limit: 100,
      observed: 105,
      excess: 5,
    });
    const hash = main.ledger.stateHash();
    expectMerged(main.apply(mergeCommand(entries)));
    expect(main.ledger.stateHash()).to.equal(hash);
  });

  it('remembers both totals of a report both sides accepted, and a refusal beside an acceptance, through a snapshot', () => {
    const { main } = splitMain(5);
    // Both sides counted the report (the main's answer was lost at the cut, the workstation retried
    // on the backup): the units count once, and each side's running total is an answer it gave.
    const onMain = main.report('cad-1', 5, 'both-counted');
    expectOk(onMain);
    main.report('cad-1', 1, 'both-refused');
    const backupTotal: Result = {
      ok: true,
      outcome: {
        kind: 'usage',
        licenceId: 'cad-1',
        periodStartMs: T0 - 12 * HOUR_MS,
        used: 12,
        remaining: 88,
      },
    };
    const backupRefusal: Result = { ok: false, reason: 'quota_exhausted', message: 'the backup refused it' };
    const entries = solo([report('both-counted', 5), report('both-refused', 1)]);
    entries[0] = { ...(entries[0] as MergedEntry), result: backupTotal };
    entries[1] = { ...(entries[1] as MergedEntry), result: backupRefusal };
    expect(expectMerged(main.apply(mergeCommand(entries)))).to.include({ applied: 0, duplicates: 2 });
    expect(main.ledger.currentUsage('cad-1', main.nowMs)?.used).to.equal(16);
    expect(main.ledger.lookupRequestAnswers('both-counted')).to.deep.equal([onMain, backupTotal]);
    expect(main.ledger.lookupRequestAnswers('both-refused').map((answer) => answer.ok)).to.deep.equal([
      true,
      false,
    ]);
    const hash = main.ledger.stateHash();
    expectMerged(main.apply(mergeCommand(entries)));
    expect(main.ledger.stateHash()).to.equal(hash);
    const restored = Ledger.restore(main.ledger.snapshot());
    expect(restored.stateHash()).to.equal(hash);
    expect(restored.lookupRequestAnswers('both-counted')).to.deep.equal([onMain, backupTotal]);
    // The other side's answer is part of the state: a ledger without it hashes differently.
    const state = decodeSnapshot(main.ledger.snapshot());
    for (const record of state.requests) delete record.otherSideResult;
    const without = Ledger.restore(encodeSnapshot(state));
    expect(without.lookupRequestAnswers('both-counted')).to.deep.equal([onMain]);
    expect(without.stateHash()).to.not.equal(hash);
  });

  it("keeps the backup's lease ids, dated by the backup's entries, beside the workstation's main lease", () => {
    const { main } = splitMain(5);
    const mainLease = expectLease(main.acquire('cad-1', 'ws-1', 2 * MINUTE_MS, 'main-acquire'));
    expect(mainLease.leaseId).to.equal(`lease-${MAIN_TERM}-4`);
    main.advance(60_000);
    const merged = solo([
      acquire('backup-acquire-1', 'ws-1', 3 * MINUTE_MS),
      acquire('backup-acquire-2', 'ws-2'),
    ]);
    expectMerged(main.apply(mergeCommand(merged)));

    const backupLease = main.ledger.getLease(`lease-${BACKUP_TERM}-4`);
    expect(backupLease).to.deep.equal({
      leaseId: `lease-${BACKUP_TERM}-4`,
      licenceId: 'cad-1',
      workstationId: 'ws-1',
      parameters: PARAMETERS,
      grantedAtMs: T0 + 10_000,
      renewedAtMs: T0 + 10_000,
      expiresAtMs: T0 + 10_000 + 3 * MINUTE_MS,
      ttlMs: 3 * MINUTE_MS,
    });
    expect(main.ledger.lookupRequest('backup-acquire-1')).to.deep.equal({
      ok: true,
      outcome: { kind: 'lease', lease: backupLease },
    });
    expect(main.ledger.getLease(mainLease.leaseId)).to.deep.equal(mainLease);
    expect(main.ledger.getLease(`lease-${BACKUP_TERM}-5`)?.workstationId).to.equal('ws-2');
    // Grant order is by index, then term: the backup's lease-2-4 comes before main's lease-3-4.
    expect(main.ledger.listLeases().map((lease) => lease.leaseId)).to.deep.equal([
      'lease-1-2',
      `lease-${BACKUP_TERM}-4`,
      `lease-${MAIN_TERM}-4`,
      `lease-${BACKUP_TERM}-5`,
    ]);
    // Either lease can be renewed; asking again hands back the most recently granted one.
    expectLease(main.renew(`lease-${BACKUP_TERM}-4`));
    expectLease(main.renew(mainLease.leaseId));
    const again = expectLease(main.acquire('cad-1', 'ws-1', MINUTE_MS, 'ask-again'));
    expect(again.leaseId).to.equal(mainLease.leaseId);
    expect(main.ledger.seatsInUse('cad-1')).to.equal(4);
    // Ticks expire merged leases by their own expiry, reported in grant order.
    main.advance(4 * MINUTE_MS + 30_000);
    expect(main.tick()).to.deep.equal([
      `lease-${BACKUP_TERM}-4`,
      mainLease.leaseId,
      `lease-${BACKUP_TERM}-5`,
    ]);
  });

  it('dates merged leases and usage no later than the ledger clock', () => {
    const { main } = splitMain(5);
    const merged: MergedEntry[] = [
      { index: 4, term: BACKUP_TERM, timestampMs: T0 + DAY_MS, command: acquire('ahead', 'ws-1', MINUTE_MS) },
      { index: 5, term: BACKUP_TERM, timestampMs: T0 + DAY_MS, command: report('ahead-report', 5) },
    ];
    main.advance(1000);
    expectMerged(main.apply(mergeCommand(merged)));
    const lease = main.ledger.getLease(`lease-${BACKUP_TERM}-4`);
    expect(lease?.grantedAtMs).to.equal(T0 + 1000);
    expect(lease?.expiresAtMs).to.equal(T0 + 1000 + MINUTE_MS);
    expect(main.ledger.usage('cad-1').map((period) => period.used)).to.deep.equal([15]);
  });

  it('records a seats overdraft with the exact excess, the terms and the time', () => {
    const { main } = splitMain(2);
    main.advance(5000);
    expectLease(main.acquire('cad-1', 'ws-1', HOUR_MS, 'main-acquire'));
    main.advance(60_000);
    const merged = solo([
      acquire('b1', 'ws-2', HOUR_MS),
      acquire('b2', 'ws-3', HOUR_MS),
      acquire('b3', 'ws-4', HOUR_MS),
    ]);
    const outcome = expectMerged(main.apply(mergeCommand(merged, [BACKUP_TERM])));
    const mergeIndex = main.index;
    expect(outcome).to.deep.equal({
      kind: 'merged',
      applied: 3,
      duplicates: 0,
      skipped: 0,
      incidentIds: [`incident-${mergeIndex}-1`],
    });
    expect(main.ledger.seatsInUse('cad-1')).to.equal(5);
    expect(main.ledger.incidents()).to.deep.equal([
      {
        incidentId: `incident-${mergeIndex}-1`,
        licenceId: 'cad-1',
        kind: 'seats',
        limit: 2,
        observed: 5,
        excess: 3,
        mainTerm: MAIN_TERM,
        backupTerms: [BACKUP_TERM],
        sourceNodeId: 'backup',
        mergeIndex,
        openedAtMs: T0 + 65_000,
        resolvedAtMs: null,
        periodStartMs: null,
        periodEndMs: null,
        // ws-0 (term 1) and ws-1 (term 3) held both seats when the backup's first grant came.
        startedAtMs: T0 + 10_000,
        endedAtMs: null,
        grantTerms: [1, BACKUP_TERM, MAIN_TERM],
      },
    ]);
    expect(main.ledger.openIncidentCount()).to.equal(1);
    expect(main.ledger.isOverdrawn('cad-1')).to.equal(true);
    expect(Object.isFrozen(main.ledger.incidents()[0])).to.equal(true);
  });

  it('records an over-grant released before the heal, with its peak, start, end and terms', () => {
    // The failure an outside partition harness found: four workstations held a 2-seat licence for
    // a moment, two leases from each side, all released before the heal, and no incident said so.
    const { main, shared } = splitMain(2);
    main.advance(5000);
    const mainLease = expectLease(main.acquire('cad-1', 'ws-1', HOUR_MS, 'main-acquire')).leaseId;
    main.advance(10_000);
    expectOk(main.release(mainLease, 'main-release'));
    expectOk(main.release(shared, 'shared-release'));
    main.advance(60_000);
    // The backup: ws-2 from +10 s to +13 s, ws-3 from +11 s to +12 s; then ws-4 from +17 s to +18 s,
    // when the main had released both its leases (no over-grant).
    const merged = solo([
      acquire('b1', 'ws-2', HOUR_MS),
      acquire('b2', 'ws-3', HOUR_MS),
      { type: 'release_lease', requestId: 'b3', leaseId: `lease-${BACKUP_TERM}-5` },
      { type: 'release_lease', requestId: 'b4', leaseId: `lease-${BACKUP_TERM}-4` },
      { type: 'tick' },
      { type: 'tick' },
      { type: 'tick' },
      acquire('b5', 'ws-4', HOUR_MS),
      { type: 'release_lease', requestId: 'b6', leaseId: `lease-${BACKUP_TERM}-11` },
    ]);
    const outcome = expectMerged(main.apply(mergeCommand(merged)));
    const mergeIndex = main.index;
    expect(outcome.incidentIds).to.deep.equal([`incident-${mergeIndex}-1`]);
    expect(main.ledger.seatsInUse('cad-1')).to.equal(0);
    expect(main.ledger.incidents()).to.deep.equal([
      {
        incidentId: `incident-${mergeIndex}-1`,
        licenceId: 'cad-1',
        kind: 'seats',
        limit: 2,
        // ws-0, ws-1, ws-2 and ws-3 from +11 s to +12 s.
        observed: 4,
        excess: 2,
        mainTerm: MAIN_TERM,
        backupTerms: [BACKUP_TERM],
        sourceNodeId: 'backup',
        mergeIndex,
        openedAtMs: T0 + 75_000,
        // Over before the heal: recorded resolved, and the licence grants again at once.
        resolvedAtMs: T0 + 75_000,
        periodStartMs: null,
        periodEndMs: null,
        startedAtMs: T0 + 10_000,
        endedAtMs: T0 + 13_000,
        grantTerms: [1, BACKUP_TERM, MAIN_TERM],
      },
    ]);
    expect(main.ledger.isOverdrawn('cad-1')).to.equal(false);
    expectLease(main.acquire('cad-1', 'ws-5', HOUR_MS, 'after-merge'));

    // The same merge applied again records nothing more.
    const again = expectMerged(main.apply(mergeCommand(merged)));
    expect(again.incidentIds).to.deep.equal([]);
    expect(main.ledger.incidents()).to.have.length(1);
  });

  it('records every separate over-grant stretch, and one that still lasts as open', () => {
    const { main, shared } = splitMain(1);
    main.advance(60_000);
    expectOk(main.release(shared, 'shared-release'));
    main.advance(1000);
    // ws-0 held the only seat from T0 to T0 + 60 s; the backup granted ws-2 at +10 s (released at
    // +11 s) and ws-3 at +12 s (still held): two stretches, the second still lasting.
    const merged = solo([
      acquire('b1', 'ws-2', HOUR_MS),
      { type: 'release_lease', requestId: 'b2', leaseId: `lease-${BACKUP_TERM}-4` },
      acquire('b3', 'ws-3', HOUR_MS),
      acquire('b4', 'ws-4', HOUR_MS),
    ]);
    const outcome = expectMerged(main.apply(mergeCommand(merged)));
    expect(outcome.incidentIds).to.have.length(2);
    const [first, second] = main.ledger.incidents();
    expect(first).to.deep.include({
      observed: 2,
      startedAtMs: T0 + 10_000,
      endedAtMs: T0 + 11_000,
      grantTerms: [1, BACKUP_TERM],
    });
    expect(first?.resolvedAtMs).to.not.equal(null);
    // ws-0 and ws-3 from +12 s, ws-4 too from +13 s; ws-0 released at +60 s left two on one seat.
    expect(second).to.deep.include({
      observed: 3,
      excess: 2,
      startedAtMs: T0 + 12_000,
      endedAtMs: null,
      resolvedAtMs: null,
      grantTerms: [1, BACKUP_TERM],
    });
    expect(main.ledger.isOverdrawn('cad-1')).to.equal(true);
  });

  it('records a usage overdraft of the current period with the exact excess', () => {
    const { main } = splitMain();
    main.advance(60_000);
    main.report('cad-1', 80, 'main-report');
    const outcome = expectMerged(main.apply(mergeCommand(solo([report('b1', 30), report('b2', 15)]))));
    const incident = onlyIncident(main, 'usage');
    expect(outcome.incidentIds).to.deep.equal([incident.incidentId]);
    expect(incident).to.deep.include({
      licenceId: 'cad-1',
      limit: 100,
      observed: 135,
      excess: 35,
      periodStartMs: T0 - 12 * HOUR_MS,
      periodEndMs: T0 + 12 * HOUR_MS,
      resolvedAtMs: null,
    });
    // The merged reports' own results say nothing is left, never less than nothing.
    expect(main.ledger.lookupRequest('b2')).to.deep.equal({
      ok: true,
      outcome: {
        kind: 'usage',
        licenceId: 'cad-1',
        periodStartMs: T0 - 12 * HOUR_MS,
        used: 135,
        remaining: 0,
      },
    });
    expectRejected(main.report('cad-1', 1), 'quota_exhausted');
    // A usage overdraft does not stop new leases.
    expectLease(main.acquire('cad-1', 'ws-5'));
  });

  it("records usage the backup took over an earlier period's quota, resolved at once", () => {
    const { main } = splitMain();
    main.advance(DAY_MS);
    const yesterday: MergedEntry[] = [
      { index: 4, term: BACKUP_TERM, timestampMs: T0 + 1000, command: report('b1', 95) },
    ];
    const outcome = expectMerged(main.apply(mergeCommand(yesterday)));
    const incident = onlyIncident(main, 'usage');
    expect(outcome.incidentIds).to.deep.equal([incident.incidentId]);
    expect(incident).to.deep.include({
      limit: 100,
      observed: 105,
      excess: 5,
      periodStartMs: T0 - 12 * HOUR_MS,
      openedAtMs: T0 + DAY_MS,
      resolvedAtMs: T0 + DAY_MS,
    });
    expect(main.ledger.openIncidentCount()).to.equal(0);
  });

  it('refuses new leases on an overdrawn licence but honours renewals, releases and usage', () => {
    const { main, shared } = splitMain(1);
    main.advance(60_000);
    expectMerged(main.apply(mergeCommand(solo([acquire('b1', 'ws-2', HOUR_MS)]))));
    expect(main.ledger.seatsInUse('cad-1')).to.equal(2);
    expectRejected(main.acquire('cad-1', 'ws-3'), 'licence_overdrawn', '2 leases for 1 seats');
    expectLease(main.renew(shared, MINUTE_MS));
    expectLease(main.renew(`lease-${BACKUP_TERM}-4`));
    // Asking again for a lease the workstation holds takes no new seat: it is answered.
    expect(expectLease(main.acquire('cad-1', 'ws-0', MINUTE_MS)).leaseId).to.equal(shared);
    expectOk(main.report('cad-1', 5));
    // Still overdrawn after a seat is raised but not enough... then back under.
    expectOk(main.apply(updateCommand('cad-1', { seats: 1 }, 'u1')));
    expect(main.ledger.isOverdrawn('cad-1')).to.equal(true);
    expectLease(main.release(shared));
    expect(main.ledger.isOverdrawn('cad-1')).to.equal(false);
    // Back within its seats, but every seat is taken.
    expectRejected(main.acquire('cad-1', 'ws-3'), 'seat_limit_reached');
  });

  it('resolves a seats incident at the entry that brings the licence back within its seats', () => {
    for (const ending of ['release', 'revoke', 'tick', 'seats raised', 'deactivate'] as const) {
      const { main, shared } = splitMain(1);
      main.advance(60_000);
      expectMerged(main.apply(mergeCommand(solo([acquire('b1', 'ws-2', 2 * MINUTE_MS)]))));
      main.advance(10 * MINUTE_MS);
      const endedAtMs = main.nowMs;
      switch (ending) {
        case 'release':
          expectLease(main.release(shared));
          break;
        case 'revoke':
          expectOk(
            main.apply({ type: 'revoke_lease', requestId: 'v', leaseId: shared, reason: 'x', actor: ACTOR }),
          );
          break;
        case 'tick':
          expect(main.tick()).to.deep.equal([`lease-${BACKUP_TERM}-4`]);
          break;
        case 'seats raised':
          expectOk(main.apply(raise('u', 2, 3)));
          break;
        case 'deactivate':
          expectOk(main.deactivate('cad-1', 'd'));
          break;
      }
      const incident = onlyIncident(main, 'seats');
      expect(incident.resolvedAtMs, ending).to.equal(endedAtMs);
      expect(main.ledger.incidents({ openOnly: true }), ending).to.deep.equal([]);
      expect(main.ledger.openIncidentCount(), ending).to.equal(0);
      if (ending === 'seats raised') expectLease(main.acquire('cad-1', 'ws-7'));
    }
  });

  it('resolves a usage incident on the first entry past its period, or when the quota is raised', () => {
    const first = splitMain().main;
    first.advance(60_000);
    expectMerged(first.apply(mergeCommand(solo([report('b1', 95)]))));
    const periodEndMs = onlyIncident(first, 'usage').periodEndMs as number;
    first.nowMs = periodEndMs - 1;
    first.tick();
    expect(first.ledger.openIncidentCount()).to.equal(1);
    first.nowMs = periodEndMs + 5;
    first.tick();
    expect(onlyIncident(first, 'usage').resolvedAtMs).to.equal(periodEndMs + 5);

    const second = splitMain().main;
    second.advance(60_000);
    expectMerged(second.apply(mergeCommand(solo([report('b1', 95)]))));
    const raiseQuota = (units: number, requestId: string, serial: number) =>
      second.apply(raise(requestId, serial, 2, { units, period: 'day' }));
    expectOk(raiseQuota(104, 'u1', 2));
    expect(second.ledger.openIncidentCount()).to.equal(1);
    second.advance(1000);
    expectOk(raiseQuota(105, 'u2', 3));
    expect(onlyIncident(second, 'usage').resolvedAtMs).to.equal(second.nowMs);
  });

  it('opens no second incident for an excess already covered, and a new one when the excess grows', () => {
    const { main } = splitMain(1);
    main.advance(60_000);
    const first = expectMerged(main.apply(mergeCommand(solo([acquire('b1', 'ws-2', HOUR_MS)]))));
    expect(first.incidentIds).to.have.length(1);
    const second = expectMerged(main.apply(mergeCommand(solo([report('b2', 1)], 5))));
    expect(second.incidentIds).to.deep.equal([]);
    const third = expectMerged(main.apply(mergeCommand(solo([acquire('b3', 'ws-3', HOUR_MS)], 6))));
    expect(third.incidentIds).to.have.length(1);
    expect(main.ledger.incidents({ openOnly: true }).map((incident) => incident.excess)).to.deep.equal([
      1, 2,
    ]);
    // Both resolve together once the licence is back within its seats.
    main.advance(2 * HOUR_MS);
    main.tick();
    expect(main.ledger.openIncidentCount()).to.equal(0);
  });

  it('records the rejection of a merged command that finds nothing on main', () => {
    const { main } = splitMain();
    main.advance(60_000);
    main.deactivate('cad-1', 'main-deactivate');
    const outcome = expectMerged(
      main.apply(
        mergeCommand(
          solo([
            { type: 'renew_lease', requestId: 'b1', leaseId: 'lease-2-99', ttlMs: 0 },
            acquire('b2', 'ws-4'),
            report('b3', 1),
            acquire('b4', 'ws-4', MINUTE_MS, 'missing'),
          ]),
        ),
      ),
    );
    expect(outcome).to.deep.include({ applied: 4, duplicates: 0, incidentIds: [] });
    expectRejected(main.ledger.lookupRequest('b1') as Result, 'lease_not_found');
    expectRejected(main.ledger.lookupRequest('b2') as Result, 'licence_deactivated');
    expectRejected(main.ledger.lookupRequest('b3') as Result, 'licence_deactivated');
    expectRejected(main.ledger.lookupRequest('b4') as Result, 'licence_not_found');
  });

  it('applies licence commands the backup took alone, and a merged release ends a lease', () => {
    const { main, shared } = splitMain(1);
    main.advance(60_000);
    const outcome = expectMerged(
      main.apply(
        mergeCommand(
          solo([
            { type: 'release_lease', requestId: 'b1', leaseId: shared },
            raise('b2', 2, 3),
            activateCommand({ licenceId: 'new', product: 'P', seats: 1, features: {} }, 'b3'),
            acquire('b4', 'ws-1', MINUTE_MS, 'new'),
          ]),
        ),
      ),
    );
    expect(outcome).to.deep.equal({ kind: 'merged', applied: 4, duplicates: 0, skipped: 0, incidentIds: [] });
    expect(main.ledger.getLease(shared)).to.equal(undefined);
    expect(main.ledger.getLicence('cad-1')?.seats).to.equal(3);
    expect(main.ledger.listLeases('new').map((lease) => lease.leaseId)).to.deep.equal([
      `lease-${BACKUP_TERM}-7`,
    ]);
  });

  it('opens a seats incident when a merged update lowers the seats below the leases in use', () => {
    const { main } = splitMain(3);
    expectLease(main.acquire('cad-1', 'ws-1', HOUR_MS));
    main.advance(60_000);
    const update = updateCommand('cad-1', { seats: 1 }, 'b1');
    expectMerged(main.apply(mergeCommand(solo([update]))));
    expect(onlyIncident(main, 'seats')).to.deep.include({ limit: 1, observed: 2, excess: 1 });
  });

  it('changes nothing when the same merge is applied twice', () => {
    const { main } = splitMain(1);
    main.advance(60_000);
    const merge = mergeCommand(
      solo([acquire('b1', 'ws-2', HOUR_MS), report('b2', 200), { type: 'tick' }, report('b3', 1)]),
    );
    const first = expectMerged(main.apply(merge));
    expect(first).to.deep.include({ applied: 3, duplicates: 0, skipped: 1 });
    expect(first.incidentIds).to.have.length(2);
    const hash = main.ledger.stateHash();
    const snapshot = main.ledger.snapshot();
    const second = expectMerged(main.apply(merge));
    expect(second).to.deep.equal({ kind: 'merged', applied: 0, duplicates: 3, skipped: 1, incidentIds: [] });
    expect(main.ledger.stateHash()).to.equal(hash);
    // Only the applied index differs.
    const before = decodeSnapshot(snapshot);
    const after = decodeSnapshot(main.ledger.snapshot());
    expect({ ...after, appliedIndex: 0 }).to.deep.equal({ ...before, appliedIndex: 0 });
  });

  it('treats an entry whose lease already exists as a duplicate even when its request id was forgotten', () => {
    const main = new Driver({ idempotencyMaxEntries: 2 });
    main.activate({ seats: 5 }, 'activate');
    main.term = MAIN_TERM;
    const merge = mergeCommand(solo([acquire('b1', 'ws-2', HOUR_MS)], 2));
    expectMerged(main.apply(merge));
    main.report('cad-1', 1, 'x1');
    main.report('cad-1', 1, 'x2');
    expect(main.ledger.lookupRequest('b1')).to.equal(undefined);
    expect(expectMerged(main.apply(merge))).to.deep.include({ applied: 0, duplicates: 1 });
    expect(main.ledger.seatsInUse('cad-1')).to.equal(1);
  });

  it('restores a snapshot with incidents, and merging into a restored ledger gives the same hash', () => {
    const { main } = splitMain(1);
    main.advance(60_000);
    const merge = mergeCommand(solo([acquire('b1', 'ws-2', HOUR_MS), report('b2', 200)]));
    const restored = Ledger.restore(main.ledger.snapshot());
    const entry = { index: main.index + 1, term: MAIN_TERM, timestampMs: main.nowMs, command: merge };
    const decoded = decodeEntryData(encodeEntryData({ timestampMs: entry.timestampMs, command: merge }));
    expect(restored.apply({ index: entry.index, term: entry.term, ...decoded })).to.deep.equal(
      main.ledger.apply(entry),
    );
    main.index = entry.index;
    expect(restored.stateHash()).to.equal(main.ledger.stateHash());
    expect(restored.incidents()).to.deep.equal(main.ledger.incidents());

    // A snapshot with open and resolved incidents restores to an equal ledger that goes on alike.
    main.advance(1000);
    main.apply(raise('u', 2, 1, null));
    expect(main.ledger.incidents().map((incident) => incident.resolvedAtMs === null)).to.deep.equal([
      true,
      false,
    ]);
    const again = Ledger.restore(main.ledger.snapshot());
    expect(again.snapshot()).to.deep.equal(main.ledger.snapshot());
    expect(again.stateHash()).to.equal(main.ledger.stateHash());
    expect(again.incidents()).to.deep.equal(main.ledger.incidents());
    expect(again.isOverdrawn('cad-1')).to.equal(true);
    const release = { type: 'release_lease', requestId: 'r', leaseId: 'lease-1-2' } as const;
    const next = { index: main.index + 1, term: MAIN_TERM, timestampMs: main.nowMs + 1000, command: release };
    expect(again.apply(next)).to.deep.equal(main.ledger.apply(next));
    expect(again.stateHash()).to.equal(main.ledger.stateHash());
    expect(again.openIncidentCount()).to.equal(0);
  });

  it('puts incidents in the state hash', () => {
    const withIncident = splitMain(1).main;
    const withoutIncident = splitMain(2).main;
    for (const driver of [withIncident, withoutIncident]) {
      driver.advance(60_000);
      expectMerged(driver.apply(mergeCommand(solo([acquire('b1', 'ws-2', HOUR_MS)]))));
      // Bring both to the same licence state, leaving only the incident record apart.
      driver.apply(raise('u', 2, 3));
    }
    expect(withIncident.ledger.incidents()).to.have.length(1);
    expect(withoutIncident.ledger.incidents()).to.have.length(0);
    expect(withIncident.ledger.listLicences()).to.deep.equal(withoutIncident.ledger.listLicences());
    expect(withIncident.ledger.stateHash()).to.not.equal(withoutIncident.ledger.stateHash());
  });

  it('refuses a snapshot whose incidents contradict the rest', () => {
    const { main } = splitMain(1);
    main.advance(60_000);
    expectMerged(main.apply(mergeCommand(solo([acquire('b1', 'ws-2', HOUR_MS)]))));
    const state = decodeSnapshot(main.ledger.snapshot());
    const mutations: Array<[(incident: Record<string, unknown>) => void, RegExp]> = [
      [(incident) => (incident.excess = 5), /inconsistent figures/],
      [(incident) => (incident.licenceId = 'nope'), /unknown licence/],
      [(incident) => (incident.incidentId = 'incident-x'), /bad id/],
      [(incident) => (incident.periodStartMs = 5), /period/],
      [(incident) => (incident.openedAtMs = T0 + DAY_MS), /after the clock/],
      [(incident) => (incident.kind = 'other'), /expected seats or usage/],
    ];
    for (const [mutate, pattern] of mutations) {
      const copy = structuredClone(state);
      mutate(copy.incidents[0] as unknown as Record<string, unknown>);
      expect(() => Ledger.restore(encodeSnapshot(copy))).to.throw(LedgerDataError, pattern);
    }
  });

  it(`keeps every open incident and the ${MAX_RESOLVED_INCIDENTS} most recently resolved`, function () {
    this.timeout(20_000);
    const { main, shared } = splitMain(1);
    let backupIndex = 100;
    const rounds = MAX_RESOLVED_INCIDENTS + 5;
    for (let round = 0; round < rounds; round += 1) {
      main.advance(1000);
      const entries = solo([acquire(`b-${round}`, `ws-b-${round}`, HOUR_MS)], backupIndex);
      backupIndex += 1;
      expectMerged(main.apply(mergeCommand(entries)));
      expectOk(
        main.apply({
          type: 'revoke_lease',
          requestId: `v-${round}`,
          leaseId: `lease-2-${backupIndex - 1}`,
          reason: 'x',
          actor: ACTOR,
        }),
      );
    }
    expectMerged(main.apply(mergeCommand(solo([acquire('last', 'ws-last', HOUR_MS)], backupIndex))));
    const incidents = main.ledger.incidents();
    expect(incidents).to.have.length(MAX_RESOLVED_INCIDENTS + 1);
    expect(incidents.filter((incident) => incident.resolvedAtMs === null)).to.have.length(1);
    // The five resolved first are gone; the list is in opening order.
    expect(incidents[0]?.mergeIndex).to.be.greaterThan(main.index - 2 * rounds + 8);
    const mergeIndexes = incidents.map((incident) => incident.mergeIndex);
    expect(mergeIndexes).to.deep.equal([...mergeIndexes].sort((a, b) => a - b));
    expect(main.ledger.incidents({ openOnly: true })[0]?.mergeIndex).to.equal(main.index);
    expect(Ledger.restore(main.ledger.snapshot()).stateHash()).to.equal(main.ledger.stateHash());
    expect(shared).to.equal('lease-1-2');
  });

  it("honours the backup's answers: what it refused stays refused, what it accepted counts once", () => {
    const { main } = splitMain(1);
    main.advance(60_000);
    const refusedAcquire: Result = {
      ok: false,
      reason: 'seat_limit_reached',
      message: 'no seat on the backup',
    };
    const refusedReport: Result = { ok: false, reason: 'quota_exhausted', message: 'over on the backup' };
    const accepted: Result = {
      ok: true,
      outcome: {
        kind: 'usage',
        licenceId: 'cad-1',
        periodStartMs: T0 - 12 * HOUR_MS,
        used: 40,
        remaining: 60,
      },
    };
    const entries = solo([acquire('b1', 'ws-2'), report('b2', 500), report('b3', 30)]);
    entries[0] = { ...(entries[0] as MergedEntry), result: refusedAcquire };
    entries[1] = { ...(entries[1] as MergedEntry), result: refusedReport };
    entries[2] = { ...(entries[2] as MergedEntry), result: accepted };
    const outcome = expectMerged(main.apply(mergeCommand(entries)));
    expect(outcome).to.deep.equal({ kind: 'merged', applied: 3, duplicates: 0, skipped: 0, incidentIds: [] });
    expect(main.ledger.lookupRequest('b1')).to.deep.equal(refusedAcquire);
    expect(main.ledger.lookupRequest('b2')).to.deep.equal(refusedReport);
    expect(main.ledger.lookupRequest('b3')).to.deep.equal(accepted);
    expect(main.ledger.seatsInUse('cad-1')).to.equal(1);
    expect(main.ledger.currentUsage('cad-1', main.nowMs)?.used).to.equal(40);
  });

  it('keeps a lease the backup handed back under its shared id, even one the main had expired', () => {
    const { main, shared } = splitMain(2);
    const backup = splitMain(2).main;
    backup.term = BACKUP_TERM;
    // Alone, the main expired the shared lease; the backup renewed it when its workstation asked again.
    main.advance(2 * HOUR_MS);
    expect(main.tick()).to.deep.equal([shared]);
    backup.advance(HOUR_MS);
    const handedBack = expectLease(backup.acquire('cad-1', 'ws-0', HOUR_MS, 'again'));
    expect(handedBack.leaseId).to.equal(shared);
    const fresh = expectLease(backup.acquire('cad-1', 'ws-5', HOUR_MS, 'fresh'));
    expect(fresh.leaseId).to.equal(`lease-${BACKUP_TERM}-5`);
    const entries = [4, 5].map((index) => ({
      index,
      term: BACKUP_TERM,
      timestampMs: T0 + HOUR_MS,
      command: index === 4 ? acquire('again', 'ws-0', HOUR_MS) : acquire('fresh', 'ws-5', HOUR_MS),
    }));
    const merged = entries.map((entry) => mergedEntryFrom(entry, backup.ledger));
    expect(merged.map((entry) => entry.result)).to.deep.equal([
      { ok: true, outcome: { kind: 'lease', lease: handedBack } },
      { ok: true, outcome: { kind: 'lease', lease: fresh } },
    ]);
    main.advance(1000);
    expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.listLeases()).to.deep.equal([handedBack, fresh]);
    expect(main.ledger.lookupRequest('again')).to.deep.equal({
      ok: true,
      outcome: { kind: 'lease', lease: handedBack },
    });
  });

  /**
   * The workstation got its lease back from the backup (an acquire stamped backupAtMs after the
   * split), then released it on the main (stamped releasedAtMs): the merge must not hold it again.
   */
  function expectReleaseToStand(backupAtMs: number, releasedAtMs: number): void {
    const { main, shared } = splitMain(2);
    const backup = splitMain(2).main;
    backup.term = BACKUP_TERM;
    backup.advance(backupAtMs);
    const handedBack = expectLease(backup.acquire('cad-1', 'ws-0', HOUR_MS, 'again'));
    expect(handedBack.leaseId).to.equal(shared);
    const merged = [
      mergedEntryFrom(
        {
          index: 4,
          term: BACKUP_TERM,
          timestampMs: T0 + backupAtMs,
          command: acquire('again', 'ws-0', HOUR_MS),
        },
        backup.ledger,
      ),
    ];
    main.advance(releasedAtMs);
    expectLease(main.release(shared, 'released-after'));
    main.advance(Math.max(0, backupAtMs - releasedAtMs) + 1000);
    expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.getLease(shared)).to.equal(undefined);
    expect(main.ledger.listLeases()).to.deep.equal([]);
    // The request keeps the backup's answer: that is what the workstation was told.
    expect(main.ledger.lookupRequest('again')).to.deep.equal({
      ok: true,
      outcome: { kind: 'lease', lease: handedBack },
    });
  }

  it('keeps ended a lease the backup handed back that the workstation released on the main afterwards', () => {
    // Simulation seed 32 (pair, partitions, with drains): the workstation asked the backup again and
    // got its lease back, then released it on the main; the merge must not hold it again.
    expectReleaseToStand(1000, 2000);
  });

  it("keeps it ended too when the backup's clock stamped its acquire after the main's release", () => {
    // Simulation seed 253 (pair, partitions, flaps, late timers): the workstation released the lease
    // on the main 120 ms after the backup's answer, but the backup's clock ran 130 ms ahead, so its
    // acquire was stamped after the release. Stamps from two clocks do not order the two; the
    // release stands, as it does against a backup's renewal.
    expectReleaseToStand(3000, 2000);
  });

  it('holds again a lease the main expired while the backup renewed it, and counts its seat', () => {
    // The outside harness's case: the workstation renewed on the backup, the main meanwhile let the
    // lease expire and gave the seat away; after the heal the workstation still holds it.
    const { main, shared } = splitMain(1);
    const backup = splitMain(1).main;
    backup.term = BACKUP_TERM;
    main.advance(2 * HOUR_MS);
    expect(main.tick()).to.deep.equal([shared]);
    const taken = expectLease(main.acquire('cad-1', 'ws-1', HOUR_MS, 'taken'));
    backup.advance(HOUR_MS - 1000);
    const renewed = expectLease(backup.renew(shared, 2 * HOUR_MS, 'renewed'));
    const merged = [
      mergedEntryFrom(
        {
          index: 4,
          term: BACKUP_TERM,
          timestampMs: T0 + HOUR_MS - 1000,
          command: { type: 'renew_lease', requestId: 'renewed', leaseId: shared, ttlMs: 2 * HOUR_MS },
        },
        backup.ledger,
      ),
    ];
    main.advance(1000);
    const outcome = expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.getLease(shared)).to.deep.equal(renewed);
    expect(main.ledger.lookupRequest('renewed')).to.deep.equal({
      ok: true,
      outcome: { kind: 'lease', lease: renewed },
    });
    // ws-0 from T0 (renewed on the backup) and ws-1 from the main's grant: two on one seat, open.
    expect(outcome.incidentIds).to.have.length(1);
    expect(main.ledger.incidents()[0]).to.deep.include({
      observed: 2,
      startedAtMs: taken.grantedAtMs,
      endedAtMs: null,
      grantTerms: [1, MAIN_TERM],
    });
    expect(main.ledger.isOverdrawn('cad-1')).to.equal(true);
    const hash = main.ledger.stateHash();
    expect(expectMerged(main.apply(mergeCommand(merged))).incidentIds).to.deep.equal([]);
    expect(main.ledger.stateHash()).to.equal(hash);
  });

  it("never shortens a lease the main renewed after the backup's renewal of it", () => {
    // Simulation seed 489 (pair, partitions): the backup renewed a lease for a short TTL during the
    // split, the main renewed it later for its whole TTL and told its workstation so; the merge ran
    // the backup's renewal again at its own time, the lease expired early on the main, and the
    // main granted its seat to another workstation while the first still held it.
    const { main, shared } = splitMain(1);
    const backup = splitMain(1).main;
    backup.term = BACKUP_TERM;
    backup.advance(10_000);
    expectLease(backup.renew(shared, 5_000, 'renewed-on-backup'));
    main.advance(20_000);
    const renewedOnMain = expectLease(main.renew(shared, HOUR_MS, 'renewed-on-main'));
    const merged = [
      mergedEntryFrom(
        {
          index: 4,
          term: BACKUP_TERM,
          timestampMs: T0 + 10_000,
          command: { type: 'renew_lease', requestId: 'renewed-on-backup', leaseId: shared, ttlMs: 5_000 },
        },
        backup.ledger,
      ),
    ];
    main.advance(1_000);
    const outcome = expectMerged(main.apply(mergeCommand(merged)));
    expect(outcome.incidentIds).to.deep.equal([]);
    expect(main.ledger.getLease(shared)?.expiresAtMs).to.equal(renewedOnMain.expiresAtMs);
    // Well past the backup's 5 s and before the main's hour, the lease is still held.
    main.advance(60_000);
    expect(main.tick()).to.deep.equal([]);
    expect(main.ledger.getLease(shared)).to.not.equal(undefined);
  });

  it("moves the end of a lease the main expired on with each of the backup's renewals", () => {
    // Simulation seed 720 (pair, partitions, with drains): the backup renewed twice a lease the
    // main had expired; the first renewal's record made the merge drop the second, the lease's seat
    // time ended too early and the over-grant record missed the lease's grant term.
    const { main, shared } = splitMain(1);
    const backup = splitMain(1).main;
    backup.term = BACKUP_TERM;
    main.advance(2 * HOUR_MS);
    expect(main.tick()).to.deep.equal([shared]);
    const taken = expectLease(main.acquire('cad-1', 'ws-1', HOUR_MS, 'taken'));
    const renewal = (requestId: string, timestampMs: number, index: number): MergedEntry => {
      backup.advance(timestampMs - backup.ledger.clockMs);
      expectLease(backup.renew(shared, HOUR_MS, requestId));
      return mergedEntryFrom(
        {
          index,
          term: BACKUP_TERM,
          timestampMs,
          command: { type: 'renew_lease', requestId, leaseId: shared, ttlMs: HOUR_MS },
        },
        backup.ledger,
      );
    };
    // Both come after the lease's own expiry (the backup had not ticked it out), and the second
    // before the end the first gave it.
    const merged = [renewal('renewed-1', T0 + HOUR_MS + 1000, 4), renewal('renewed-2', T0 + 2 * HOUR_MS, 5)];
    main.advance(2 * HOUR_MS);
    const outcome = expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.getLease(shared)).to.equal(undefined);
    expect(outcome.incidentIds).to.have.length(1);
    expect(main.ledger.incidents()[0]).to.deep.include({
      observed: 2,
      startedAtMs: taken.grantedAtMs,
      endedAtMs: T0 + 3 * HOUR_MS,
      grantTerms: [1, MAIN_TERM],
    });
  });

  it('leaves ended a lease the main released before the backup renewed it, and counts the renewal', () => {
    const { main, shared } = splitMain(1);
    const backup = splitMain(1).main;
    backup.term = BACKUP_TERM;
    main.advance(5000);
    expectOk(main.release(shared, 'revoked-on-main'));
    main.advance(1000);
    expectLease(main.acquire('cad-1', 'ws-1', HOUR_MS, 'taken'));
    backup.advance(10_000);
    expectLease(backup.renew(shared, HOUR_MS, 'renewed'));
    const merged = [
      mergedEntryFrom(
        {
          index: 4,
          term: BACKUP_TERM,
          timestampMs: T0 + 10_000,
          command: { type: 'renew_lease', requestId: 'renewed', leaseId: shared, ttlMs: HOUR_MS },
        },
        backup.ledger,
      ),
    ];
    main.advance(60_000);
    const outcome = expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.getLease(shared)).to.equal(undefined);
    expectRejected(main.ledger.lookupRequest('renewed') as Result, 'lease_not_found');
    // The workstation held it until the merge (its renewal said so): over the seat from the main's
    // grant at +6 s until the merge.
    expect(outcome.incidentIds).to.have.length(1);
    expect(main.ledger.incidents()[0]).to.deep.include({
      observed: 2,
      startedAtMs: T0 + 6000,
      endedAtMs: T0 + 66_000,
      resolvedAtMs: T0 + 66_000,
    });
  });

  it("keeps the backup's answer beside the main's for a release and a renewal both sides executed", () => {
    const { main, shared } = splitMain(2);
    const backup = splitMain(2).main;
    backup.term = BACKUP_TERM;
    const second = expectLease(main.acquire('cad-1', 'ws-2', HOUR_MS, 'second'));
    backup.acquire('cad-1', 'ws-2', HOUR_MS, 'second');
    // The main released and renewed just as the link was cut; the workstation retried both on the
    // backup, whose failover had extended every lease, so the backup answered with later expiries.
    const releasedOnMain = main.release(shared, 'bye');
    const renewedOnMain = main.renew(second.leaseId, HOUR_MS, 'again');
    backup.apply({ type: 'extend_leases', byMs: 700 });
    backup.advance(1000);
    const releasedOnBackup = backup.release(shared, 'bye');
    const renewedOnBackup = backup.renew(second.leaseId, HOUR_MS, 'again');
    expect(releasedOnBackup).to.not.deep.equal(releasedOnMain);
    expect(renewedOnBackup).to.not.deep.equal(renewedOnMain);
    const entries = [6, 7].map((index) => ({
      index,
      term: BACKUP_TERM,
      timestampMs: T0 + 10_000,
      command:
        index === 6
          ? ({ type: 'release_lease', requestId: 'bye', leaseId: shared } as const)
          : ({ type: 'renew_lease', requestId: 'again', leaseId: second.leaseId, ttlMs: HOUR_MS } as const),
    }));
    const merged = entries.map((entry) => mergedEntryFrom(entry, backup.ledger));
    expect(merged.map((entry) => entry.result)).to.deep.equal([releasedOnBackup, renewedOnBackup]);
    main.advance(1000);
    expect(expectMerged(main.apply(mergeCommand(merged)))).to.include({ applied: 0, duplicates: 2 });
    expect(main.ledger.lookupRequestAnswers('bye')).to.deep.equal([releasedOnMain, releasedOnBackup]);
    expect(main.ledger.lookupRequestAnswers('again')).to.deep.equal([renewedOnMain, renewedOnBackup]);
    // Nothing was executed again: the released lease stays released.
    expect(main.ledger.getLease(shared)).to.equal(undefined);
    const hash = main.ledger.stateHash();
    expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.stateHash()).to.equal(hash);
  });

  it('renews a lease both nodes hold to the later of the two expiries, never earlier', () => {
    const { main, shared } = splitMain(2);
    const before = main.ledger.getLease(shared);
    main.advance(60_000);
    const longer = {
      ...(before as NonNullable<typeof before>),
      renewedAtMs: T0 + 30_000,
      expiresAtMs: T0 + 30_000 + HOUR_MS,
    };
    const shorter = { ...longer, expiresAtMs: T0 + 40_000 };
    const entry = (index: number, requestId: string, lease: typeof longer): MergedEntry => ({
      index,
      term: BACKUP_TERM,
      timestampMs: T0 + 30_000,
      command: acquire(requestId, 'ws-0', HOUR_MS),
      result: { ok: true, outcome: { kind: 'lease', lease } },
    });
    expectMerged(main.apply(mergeCommand([entry(4, 'x1', shorter)])));
    expect(main.ledger.getLease(shared)).to.deep.equal(before);
    expectMerged(main.apply(mergeCommand([entry(5, 'x2', longer)])));
    expect(main.ledger.getLease(shared)).to.deep.equal(longer);
    expect(main.ledger.openIncidentCount()).to.equal(0);
  });

  it('asserts a term on every entry', () => {
    const ledger = new Ledger();
    expect(() => ledger.apply({ index: 1, term: 0, timestampMs: T0, command: { type: 'tick' } })).to.throw(
      /term/,
    );
    expect(() => ledger.apply({ index: 1, timestampMs: T0, command: { type: 'tick' } } as never)).to.throw(
      /term/,
    );
  });
});

describe('merge command validation and encoding', () => {
  const good = mergeCommand(solo([acquire('b1', 'ws-1'), { type: 'tick' }, report('b2', 3)]));

  function leaseResult(overrides: Record<string, unknown>): unknown {
    const lease = {
      leaseId: 'lease-2-4',
      licenceId: 'cad-1',
      workstationId: 'ws-1',
      parameters: PARAMETERS,
      grantedAtMs: T0,
      renewedAtMs: T0,
      expiresAtMs: T0 + 1000,
      ttlMs: 1000,
      ...overrides,
    };
    return { ok: true, outcome: { kind: 'lease', lease } };
  }

  function fieldOf(command: unknown): string | null {
    return validateCommand(command as Command)?.field ?? null;
  }

  it('accepts a well-formed merge and round-trips it through the entry codec', () => {
    expect(validateCommand(good)).to.equal(null);
    const withResults = mergeCommand([
      { ...(good.entries[0] as MergedEntry), result: leaseResult({}) as Result },
      { ...(good.entries[2] as MergedEntry), result: { ok: false, reason: 'quota_exhausted', message: 'm' } },
    ]);
    expect(validateCommand(withResults)).to.equal(null);
    expect(decodeEntryData(encodeEntryData({ timestampMs: T0, command: withResults })).command).to.deep.equal(
      withResults,
    );
    expect(validateCommand(mergeCommand([], []))).to.equal(null);
    const decoded = decodeEntryData(encodeEntryData({ timestampMs: T0, command: good }));
    expect(decoded).to.deep.equal({ timestampMs: T0, command: good });
  });

  it('names the offending field', () => {
    const entries = good.entries;
    const cases: Array<[unknown, string]> = [
      [{ ...good, sourceNodeId: '' }, 'source_node_id'],
      [{ ...good, sourceTerms: 'x' }, 'source_terms'],
      [{ ...good, sourceTerms: [2, 2] }, 'source_terms'],
      [{ ...good, sourceTerms: [0, 2] }, 'source_terms[0]'],
      [{ ...good, entries: 'x' }, 'entries'],
      [{ ...good, entries: [entries[0], entries[0]] }, 'entries[1].index'],
      [{ ...good, entries: [{ ...entries[0], index: 0 }] }, 'entries[0].index'],
      [{ ...good, entries: [{ ...entries[0], term: 4 }] }, 'entries[0].term'],
      [
        { ...good, sourceTerms: [1, 2], entries: [entries[0], { ...entries[1], term: 1 }] },
        'entries[1].term',
      ],
      [{ ...good, entries: [{ ...entries[0], timestampMs: -1 }] }, 'entries[0].timestamp_ms'],
      [
        { ...good, entries: [{ ...entries[0], command: acquire('b1', 'ws-1', 0) }] },
        'entries[0].command.ttl_ms',
      ],
      [{ ...good, entries: [{ ...entries[0], command: { ...good } }] }, 'entries[0].command.type'],
      [{ ...good, entries: [{ ...entries[0], command: { type: 'nope' } }] }, 'entries[0].command.type'],
      [
        { ...good, entries: [{ ...entries[1], result: { ok: false, reason: 'x', message: '' } }] },
        'entries[0].result',
      ],
      [
        {
          ...good,
          entries: [
            {
              ...entries[0],
              command: { type: 'release_lease', requestId: 'r9', leaseId: 'lease-2-9' },
              result: leaseResult({}),
            },
          ],
        },
        'entries[0].result.outcome.lease.lease_id',
      ],
      [
        {
          ...good,
          entries: [
            {
              ...entries[0],
              command: { type: 'deactivate_licence', requestId: 'd9', licenceId: 'cad-1', actor: ACTOR },
              result: leaseResult({}),
            },
          ],
        },
        'entries[0].result.outcome.kind',
      ],
      [
        { ...good, entries: [{ ...entries[0], result: { ok: false, reason: 'nope', message: '' } }] },
        'entries[0].result.reason',
      ],
      [
        { ...good, entries: [{ ...entries[0], result: { ok: true, outcome: { kind: 'usage' } } }] },
        'entries[0].result.outcome.kind',
      ],
      [
        { ...good, entries: [{ ...entries[0], result: leaseResult({ leaseId: 'lease-7' }) }] },
        'entries[0].result.outcome.lease.lease_id',
      ],
      [
        { ...good, entries: [{ ...entries[0], result: leaseResult({ workstationId: 'other' }) }] },
        'entries[0].result.outcome.lease.workstation_id',
      ],
      [
        { ...good, entries: [{ ...entries[0], result: leaseResult({ ttlMs: 0 }) }] },
        'entries[0].result.outcome.lease.ttl_ms',
      ],
      [
        { ...good, entries: [{ ...entries[0], result: leaseResult({ renewedAtMs: T0 - 1 }) }] },
        'entries[0].result.outcome.lease',
      ],
      [
        {
          ...good,
          entries: [
            entries[0],
            entries[1],
            {
              ...entries[2],
              result: {
                ok: true,
                outcome: { kind: 'usage', licenceId: 'x', periodStartMs: 0, used: 1, remaining: null },
              },
            },
          ],
        },
        'entries[2].result.outcome.licence_id',
      ],
    ];
    for (const [command, field] of cases) expect(fieldOf(command), field).to.equal(field);
  });

  it(`holds at most ${MAX_MERGED_ENTRIES} entries and fits in one log entry`, () => {
    const many = solo(
      Array.from({ length: MAX_MERGED_ENTRIES + 1 }, (_, n) => report(`r-${n}`, 1)),
      1,
    );
    expect(fieldOf(mergeCommand(many))).to.equal('entries');
    expect(validateCommand(mergeCommand(many.slice(0, MAX_MERGED_ENTRIES)))).to.equal(null);
    const features = Object.fromEntries(Array.from({ length: 64 }, (_, n) => [`k${n}`, 'v'.repeat(1024)]));
    const big = solo(
      Array.from({ length: 20 }, (_, n) => ({
        type: 'update_licence' as const,
        requestId: `u-${n}`,
        licenceId: 'cad-1',
        licenceFile: null,
        changes: { features },
        actor: ACTOR,
      })),
    );
    expect(validateCommand(mergeCommand(big))?.message).to.match(/over the limit/);
    expect(() => encodeEntryData({ timestampMs: T0, command: mergeCommand(big) })).to.throw(
      /exceeds the limit/,
    );
  });

  it('decodes a merge inside a merge (validation refuses it) but nothing deeper', () => {
    const inner = mergeCommand(solo([report('b1', 1)]));
    const outer = mergeCommand([{ index: 9, term: BACKUP_TERM, timestampMs: T0, command: inner }]);
    const decoded = decodeEntryData(encodeEntryData({ timestampMs: T0, command: outer }));
    expect(decoded.command).to.deep.equal(outer);
    const deeper = mergeCommand([{ index: 9, term: BACKUP_TERM, timestampMs: T0, command: outer }]);
    const bytes = new TextEncoder().encode(JSON.stringify({ v: 1, timestampMs: T0, command: deeper }));
    expect(() => decodeEntryData(bytes)).to.throw(LedgerDataError, /nest too deep/);
    const badEntry = new TextEncoder().encode(
      JSON.stringify({ v: 1, timestampMs: T0, command: { ...good, entries: [{ index: 'x' }] } }),
    );
    expect(() => decodeEntryData(badEntry)).to.throw(LedgerDataError, /\$\.command\.entries\[0\]\.index/);
  });

  it('is refused whole by the ledger when invalid, changing nothing', () => {
    const { main } = splitMain();
    const hash = main.ledger.stateHash();
    const bad = mergeCommand(solo([acquire('b1', 'ws-1'), acquire('b2', 'ws-2', 0)]));
    expectRejected(main.apply(bad), 'invalid_command', 'entries[1].command.ttl_ms');
    expect(main.ledger.lookupRequest('b1')).to.equal(undefined);
    expect(main.ledger.stateHash()).to.equal(hash);
  });
});

describe('planMerge', () => {
  it('splits long stretches by count and by size, each command valid and encodable', () => {
    const many = solo(
      Array.from({ length: 2 * MAX_MERGED_ENTRIES + 1 }, (_, n) => report(`r-${n}`, 1)),
      1,
    );
    const plan = planMerge('backup', [BACKUP_TERM], many);
    expect(plan.commands.map((command) => command.entries.length)).to.deep.equal([
      MAX_MERGED_ENTRIES,
      MAX_MERGED_ENTRIES,
      1,
    ]);
    expect(plan.commands.flatMap((command) => command.entries)).to.deep.equal(many);
    expect(plan.dropped).to.deep.equal([]);

    const features = Object.fromEntries(Array.from({ length: 64 }, (_, n) => [`k${n}`, 'v'.repeat(1024)]));
    const big = solo(
      Array.from({ length: 40 }, (_, n) => ({
        type: 'update_licence' as const,
        requestId: `u-${n}`,
        licenceId: 'cad-1',
        licenceFile: null,
        changes: { features },
        actor: ACTOR,
      })),
    );
    const bigPlan = planMerge('backup', [BACKUP_TERM], big);
    expect(bigPlan.commands.length).to.be.greaterThan(2);
    expect(bigPlan.commands.flatMap((command) => command.entries)).to.deep.equal(big);
    for (const command of bigPlan.commands) {
      expect(validateCommand(command)).to.equal(null);
      expect(encodeEntryData({ timestampMs: T0, command }).length).to.be.at.most(ENTRY_DATA_MAX_BYTES);
      expect(new TextEncoder().encode(JSON.stringify(command)).length).to.be.at.most(MERGE_COMMAND_MAX_BYTES);
    }
  });

  it('drops invalid commands, names the terms its entries use, and plans nothing for nothing', () => {
    const entries = [...solo([report('ok', 1), report('zero', 0)]), ...solo([report('later', 2)], 10, 4)];
    const plan = planMerge('backup', [BACKUP_TERM], entries);
    expect(plan.commands).to.have.length(1);
    expect(plan.commands[0]?.sourceTerms).to.deep.equal([2, 4]);
    expect(plan.commands[0]?.entries.map((entry) => entry.index)).to.deep.equal([4, 10]);
    expect(plan.dropped.map(({ entry, error }) => [entry.index, error.field])).to.deep.equal([
      [5, 'command.units'],
    ]);
    expect(planMerge('backup', [], [])).to.deep.equal({ commands: [], dropped: [] });
  });
});

function intent(
  requestId: string,
  leaseId: string,
  workstationId: string,
  action: 'release' | 'renew' = 'release',
  ttlMs = 0,
): Command {
  return { type: 'lease_intent', requestId, leaseId, workstationId, action, ttlMs };
}

describe('lease intents (a release or renewal sent to the side that did not grant the lease)', () => {
  it('releases or renews a live lease of the same workstation at once, and refuses another holder', () => {
    const { main, shared } = splitMain();
    main.advance(1000);
    expectRejected(main.apply(intent('i1', shared, 'ws-7')), 'invalid_command', 'workstation_id');
    const renewed = expectLease(main.apply(intent('i2', shared, 'ws-0', 'renew', 2 * HOUR_MS)));
    expect(renewed.expiresAtMs).to.equal(main.nowMs + 2 * HOUR_MS);
    expect(expectLease(main.apply(intent('i3', shared, 'ws-0'))).leaseId).to.equal(shared);
    expect(main.ledger.getLease(shared)).to.equal(undefined);
    expect(main.ledger.leaseIntentRecords()).to.deep.equal([]);
  });

  it('answers not found for a lease that ended here, and records a tombstone for one it never knew', () => {
    const { main, shared } = splitMain();
    main.release(shared);
    expect(main.ledger.leaseEnded(shared)).to.equal(true);
    expectRejected(main.apply(intent('i1', shared, 'ws-0')), 'lease_not_found');
    const unknown = `lease-${BACKUP_TERM}-5`;
    expect(main.ledger.leaseEnded(unknown)).to.equal(false);
    expect(expectOk(main.apply(intent('i2', unknown, 'ws-1')))).to.deep.equal({
      kind: 'intent',
      leaseId: unknown,
      action: 'release',
    });
    expect(main.ledger.leaseIntentRecords()).to.deep.equal([
      {
        leaseId: unknown,
        workstationId: 'ws-1',
        action: 'release',
        ttlMs: 0,
        atMs: main.nowMs,
        index: main.index,
      },
    ]);
  });

  it('keeps a lease ended by an intent ended when the same merge comes again (a request both sides executed)', () => {
    // The main refused request 'twice' (no seat) and recorded a release intent for the lease the
    // backup granted under the same request id; the merge brings the lease and the intent ends it.
    const { main } = splitMain(1);
    main.advance(1000);
    expectRejected(main.acquire('cad-1', 'ws-4', HOUR_MS, 'twice'), 'seat_limit_reached');
    const backupLease = `lease-${BACKUP_TERM}-4`;
    expectOk(main.apply(intent('bye', backupLease, 'ws-4')));
    const granted: Lease = {
      leaseId: backupLease,
      licenceId: 'cad-1',
      workstationId: 'ws-4',
      parameters: PARAMETERS,
      grantedAtMs: T0 + 10_000,
      renewedAtMs: T0 + 10_000,
      expiresAtMs: T0 + 10_000 + HOUR_MS,
      ttlMs: HOUR_MS,
    };
    const merged: MergedEntry[] = [
      {
        ...solo([acquire('twice', 'ws-4', HOUR_MS)])[0],
        result: { ok: true, outcome: { kind: 'lease', lease: granted } },
      } as MergedEntry,
    ];
    main.advance(60_000);
    expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.getLease(backupLease)).to.equal(undefined);
    const hash = main.ledger.stateHash();
    expectMerged(main.apply(mergeCommand(merged)));
    expect(main.ledger.getLease(backupLease)).to.equal(undefined);
    expect(main.ledger.stateHash()).to.equal(hash);
  });

  it('names the offending field of a malformed intent', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ leaseId: 'lease-x' }, 'lease_id'],
      [{ workstationId: 'bad id' }, 'workstation_id'],
      [{ action: 'revoke' }, 'action'],
      [{ action: 'release', ttlMs: 5 }, 'ttl_ms'],
      [{ action: 'renew', ttlMs: 100 * HOUR_MS }, 'ttl_ms'],
    ];
    for (const [change, field] of cases) {
      const command = { ...intent('i', 'lease-2-5', 'ws-1'), ...change } as Command;
      expect(validateCommand(command)?.field, JSON.stringify(change)).to.equal(field);
    }
  });

  it("ends a lease the backup granted at the time the main recorded the workstation's release", () => {
    const { main } = splitMain();
    const backupLease = `lease-${BACKUP_TERM}-4`;
    // The backup grants ws-1 a lease at T0+10 s; ws-1 releases it on the main at T0+20 s.
    main.nowMs = T0 + 20_000;
    expectOk(main.apply(intent('rel', backupLease, 'ws-1')));
    main.advance(60_000);
    const merge = mergeCommand(solo([acquire('b-acq', 'ws-1', HOUR_MS)]));
    expectMerged(main.apply(merge));
    expect(main.ledger.getLease(backupLease)).to.equal(undefined);
    expect(main.ledger.leaseIntentRecords()).to.deep.equal([]);
    expect(main.ledger.seatsInUse('cad-1')).to.equal(1);
    expect(main.ledger.leaseEnded(backupLease)).to.equal(true);
    // A repeated merge changes nothing: the lease stays ended.
    const hash = main.ledger.stateHash();
    expect(expectMerged(main.apply(merge))).to.deep.include({ applied: 0, duplicates: 1 });
    expect(main.ledger.stateHash()).to.equal(hash);
  });

  it('sees the shorter lifetime in the over-grant record', () => {
    // One seat: ws-0's shared lease is live, the backup grants ws-1 a second one at T0+10 s, ws-1
    // releases it on the main at T0+12 s: over the seat for 2 s, recorded resolved.
    const { main } = splitMain(1);
    main.nowMs = T0 + 12_000;
    expectOk(main.apply(intent('rel', `lease-${BACKUP_TERM}-4`, 'ws-1')));
    main.advance(60_000);
    expectMerged(main.apply(mergeCommand(solo([acquire('b-acq', 'ws-1', HOUR_MS)]))));
    expect(onlyIncident(main, 'seats')).to.deep.include({
      observed: 2,
      startedAtMs: T0 + 10_000,
      endedAtMs: T0 + 12_000,
    });
    expect(main.ledger.isOverdrawn('cad-1')).to.equal(false);
  });

  it('renews a lease the backup granted from the time asked, never shortening it', () => {
    const { main } = splitMain();
    const backupLease = `lease-${BACKUP_TERM}-4`;
    main.nowMs = T0 + 30_000;
    expectOk(main.apply(intent('ren', backupLease, 'ws-1', 'renew', 10 * MINUTE_MS)));
    main.advance(60_000);
    expectMerged(main.apply(mergeCommand(solo([acquire('b-acq', 'ws-1', MINUTE_MS)]))));
    expect(main.ledger.getLease(backupLease)).to.deep.include({
      expiresAtMs: T0 + 30_000 + 10 * MINUTE_MS,
      renewedAtMs: T0 + 30_000,
      ttlMs: 10 * MINUTE_MS,
    });
  });

  it("leaves another workstation's tombstone alone", () => {
    const { main } = splitMain();
    const backupLease = `lease-${BACKUP_TERM}-4`;
    expectOk(main.apply(intent('rel', backupLease, 'ws-9')));
    main.advance(60_000);
    expectMerged(main.apply(mergeCommand(solo([acquire('b-acq', 'ws-1', HOUR_MS)]))));
    expect(main.ledger.getLease(backupLease)?.workstationId).to.equal('ws-1');
    expect(main.ledger.leaseIntentRecords()).to.have.length(1);
  });

  it("executes the backup's intent for a lease the main granted at the backup's time", () => {
    const { main } = splitMain();
    const mainLease = expectLease(main.acquire('cad-1', 'ws-3', HOUR_MS, 'm-acq')).leaseId;
    main.advance(60_000);
    const backupAnswer: Result = {
      ok: true,
      outcome: { kind: 'intent', leaseId: mainLease, action: 'release' },
    };
    const entries = solo([intent('b-rel', mainLease, 'ws-3')]).map((entry) => ({
      ...entry,
      result: backupAnswer,
    }));
    expectMerged(main.apply(mergeCommand(entries)));
    expect(main.ledger.getLease(mainLease)).to.equal(undefined);
    expect(main.ledger.lookupRequestAnswers('b-rel')).to.have.length(2);
    expect(main.ledger.lookupRequestAnswers('b-rel')[1]).to.deep.equal(backupAnswer);
    const ended = decodeSnapshot(main.ledger.snapshot()).endedLeases.find(
      (record) => record.leaseId === mainLease,
    );
    expect(ended?.endedAtMs).to.equal(T0 + 10_000);
  });

  it('a retried release finds the intent, not a reused request id', () => {
    const { main } = splitMain();
    expectOk(main.apply(intent('rel', `lease-${BACKUP_TERM}-4`, 'ws-1')));
    const retry: Command = { type: 'release_lease', requestId: 'rel', leaseId: `lease-${BACKUP_TERM}-4` };
    expect(main.ledger.isRequestIdReused(retry)).to.equal(false);
    expect(main.apply(retry)).to.deep.equal(main.ledger.lookupRequest('rel'));
  });

  it('keeps tombstones through a snapshot, in the state hash, bounded by count and age', () => {
    const main = new Driver({ leaseIntentMaxEntries: 2, leaseIntentRetentionMs: HOUR_MS });
    main.activate({ seats: 2 }, 'activate');
    const empty = main.ledger.stateHash();
    expectOk(main.apply(intent('i1', 'lease-2-5', 'ws-1')));
    expect(main.ledger.stateHash()).to.not.equal(empty);
    expectOk(main.apply(intent('i2', 'lease-2-6', 'ws-1', 'renew', MINUTE_MS)));
    expectOk(main.apply(intent('i3', 'lease-2-7', 'ws-1')));
    expect(main.ledger.leaseIntentRecords().map((record) => record.leaseId)).to.deep.equal([
      'lease-2-6',
      'lease-2-7',
    ]);
    const options = { leaseIntentMaxEntries: 2, leaseIntentRetentionMs: HOUR_MS };
    const restored = Ledger.restore(main.ledger.snapshot(), options);
    expect(restored.stateHash()).to.equal(main.ledger.stateHash());
    expect(restored.leaseIntentRecords()).to.deep.equal(main.ledger.leaseIntentRecords());
    expect(() => Ledger.restore(main.ledger.snapshot(), { leaseIntentMaxEntries: 1 })).to.throw(
      /lease intents/,
    );
    const state = decodeSnapshot(main.ledger.snapshot());
    const first = state.leaseIntents[0] as LeaseIntent;
    const bad = { ...state, leaseIntents: [{ ...first, ttlMs: 5, action: 'release' as const }] };
    expect(() => Ledger.restore(encodeSnapshot(bad), options)).to.throw(/lease intent for lease-2-6/);
    main.advance(HOUR_MS + 1);
    main.report('cad-1', 1);
    expect(main.ledger.leaseIntentRecords()).to.deep.equal([]);
  });
});

describe('a release both sides executed', () => {
  it('ends a lease the merge brought back when the backup released it and the main had refused', () => {
    const { main, shared } = splitMain();
    main.advance(1000);
    main.release(shared, 'm-rel');
    // The workstation's release reached the main after it had ended the lease: refused.
    main.advance(1000);
    expectRejected(main.release(shared, 'b-rel'), 'lease_not_found');
    const lease = main.ledger.lookupRequest('shared-acquire');
    const handedBack = lease?.ok && lease.outcome.kind === 'lease' ? lease.outcome.lease : null;
    if (handedBack === null) throw new Error('the shared acquire has no lease');
    const entries = solo([
      acquire('b-acq', 'ws-0', HOUR_MS),
      { type: 'release_lease', requestId: 'b-rel', leaseId: shared },
    ]);
    const merge = mergeCommand([
      { ...(entries[0] as MergedEntry), result: { ok: true, outcome: { kind: 'lease', lease: handedBack } } },
      { ...(entries[1] as MergedEntry), result: { ok: true, outcome: { kind: 'lease', lease: handedBack } } },
    ]);
    main.advance(60_000);
    expectMerged(main.apply(merge));
    expect(main.ledger.getLease(shared)).to.equal(undefined);
    const hash = main.ledger.stateHash();
    expectMerged(main.apply(merge));
    expect(main.ledger.stateHash()).to.equal(hash);
  });
});
