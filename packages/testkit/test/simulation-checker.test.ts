// The simulation checker's split-brain rules, on hand-made ledgers: pair mode may diverge until the
// merge repairs it and may overdraw only under an incident; the other modes may do neither.
import type { Entry } from '@tandem/consensus';
import { type Command, encodeEntryData, type Ledger, type Result } from '@tandem/ledger';
import { expect } from 'chai';
import { SimulationChecker } from '../src/simulation/checker.js';
import { History } from '../src/simulation/history.js';
import type { ClientCommand } from '../src/simulation/messages.js';
import { activateCommand, clusteredLedger } from './ledgers.js';

const DAY_START_MS = 1_767_225_600_000;

function activate(licenceId: string, seats: number, quotaUnits: number | null): Command {
  return activateCommand(`activate-${licenceId}`, {
    licenceId,
    product: 'Checked product',
    seats,
    quota: quotaUnits === null ? null : { units: quotaUnits, period: 'day' },
    validFromMs: 0,
    validUntilMs: 0,
    redundancy: true,
    features: {},
  });
}

function acquire(requestId: string, licenceId: string, workstationId: string): Command {
  return {
    type: 'acquire_lease',
    requestId,
    licenceId,
    workstationId,
    parameters: { host: `${workstationId}.example`, user: 'u', cores: 1, productVersion: '1' },
    ttlMs: 60_000,
    nonce: '',
  };
}

function report(requestId: string, licenceId: string, units: number): Command {
  return { type: 'report_usage', requestId, licenceId, workstationId: 'ws-1', units };
}

function entryOf(index: number, term: number, command: Command): Entry {
  return {
    index,
    term,
    kind: 'normal',
    data: encodeEntryData({ timestampMs: DAY_START_MS + index, command }),
  };
}

/** Applies the commands from index 1 in term 1 and reports each apply to the checker. */
function applyAll(
  checker: SimulationChecker,
  nodeId: string,
  ledger: Ledger,
  commands: Array<{ index: number; term: number; command: Command }>,
): Result[] {
  return commands.map(({ index, term, command }) => {
    const result = ledger.apply({ index, term, timestampMs: DAY_START_MS + index, command });
    checker.observeApplied(nodeId, entryOf(index, term, command), command, result, 0);
    checker.observeSeats(nodeId, ledger, 0);
    return result;
  });
}

/** What the workstations were told in overdrawnMain: every operation, acknowledged. */
function acknowledgedHistory(): History {
  const history = new History(10);
  const acknowledge = (requestId: string, command: Command, result: Result, nodeId: string) => {
    if (!('requestId' in command)) throw new Error('a client command');
    const record = history.invoke(requestId.split('-r')[0] ?? 'ws', requestId, command, 0, null);
    history.complete(record, { atMs: 1, result, index: 1, term: 1, nodeId, duringDrain: false });
  };
  const probe = clusteredLedger();
  const results = [
    activate('lic-1', 1, 10),
    acquire('ws-1-r1', 'lic-1', 'ws-1'),
    report('ws-1-r2', 'lic-1', 8),
  ].map((command, position) =>
    probe.apply({ index: position + 1, term: 1, timestampMs: DAY_START_MS + position + 1, command }),
  );
  acknowledge('activate-lic-1', activate('lic-1', 1, 10), results[0] as Result, 'main');
  acknowledge('ws-1-r2', report('ws-1-r2', 'lic-1', 8), results[2] as Result, 'main');
  const backup = clusteredLedger();
  backup.apply({ index: 1, term: 1, timestampMs: DAY_START_MS + 1, command: activate('lic-1', 1, 10) });
  const backupReport = backup.apply({
    index: 3,
    term: 3,
    timestampMs: DAY_START_MS + 3,
    command: report('ws-2-r2', 'lic-1', 5),
  });
  acknowledge('ws-2-r2', report('ws-2-r2', 'lic-1', 5), backupReport, 'backup');
  return history;
}

/** The main's own history, then a merge of the backup's grant of the licence's last seat. */
function overdrawnMain(checker: SimulationChecker): Ledger {
  const main = clusteredLedger();
  applyAll(checker, 'main', main, [
    { index: 1, term: 1, command: activate('lic-1', 1, 10) },
    { index: 2, term: 2, command: acquire('ws-1-r1', 'lic-1', 'ws-1') },
    { index: 3, term: 2, command: report('ws-1-r2', 'lic-1', 8) },
  ]);
  // The backup's solo history at the same indexes (term 3): the checker sees the split brain.
  const backup = clusteredLedger();
  applyAll(checker, 'backup', backup, [
    { index: 1, term: 1, command: activate('lic-1', 1, 10) },
    { index: 2, term: 3, command: acquire('ws-2-r1', 'lic-1', 'ws-2') },
    { index: 3, term: 3, command: report('ws-2-r2', 'lic-1', 5) },
  ]);
  const merge: Command = {
    type: 'merge',
    sourceNodeId: 'backup',
    sourceTerms: [3],
    entries: [
      { index: 2, term: 3, timestampMs: DAY_START_MS + 2, command: acquire('ws-2-r1', 'lic-1', 'ws-2') },
      { index: 3, term: 3, timestampMs: DAY_START_MS + 3, command: report('ws-2-r2', 'lic-1', 5) },
    ],
  };
  checker.observeMergeAhead(merge, main);
  const [merged] = applyAll(checker, 'main', main, [{ index: 4, term: 4, command: merge }]);
  checker.observeMergeApplied(merge, main);
  expect(merged?.ok).to.equal(true);
  return main;
}

describe('simulation checker', () => {
  it('pair mode: a divergence is a split brain, and fails only if it outlasts the merge', () => {
    const checker = new SimulationChecker(['lic-1'], { splitBrainPossible: true });
    const main = overdrawnMain(checker);
    expect(checker.violations).to.deep.equal([]);
    expect(checker.merge.splitBrains).to.equal(1);
    expect(checker.merge.merges).to.equal(1);
    expect(checker.merge.incidentsOpened).to.equal(2);
    expect(main.seatsInUse('lic-1')).to.equal(2);

    // The backup never discarded its history: it still contradicts the main at the end.
    checker.checkFinal([{ nodeId: 'main', ledger: main }], acknowledgedHistory(), 1);
    expect(checker.violations.map((violation) => violation.check)).to.deep.equal(['applied_divergence']);

    const repaired = new SimulationChecker(['lic-1'], { splitBrainPossible: true });
    const repairedMain = overdrawnMain(repaired);
    repaired.observeHistoryDiscarded('backup', 1);
    repaired.checkFinal([{ nodeId: 'main', ledger: repairedMain }], acknowledgedHistory(), 1);
    expect(repaired.violations).to.deep.equal([]);
  });

  it('other modes: any divergence, merge or excess fails at once', () => {
    const checker = new SimulationChecker(['lic-1'], { splitBrainPossible: false });
    overdrawnMain(checker);
    const checks = new Set(checker.violations.map((violation) => violation.check));
    expect([...checks]).to.include.members(['applied_divergence', 'unexpected_incident', 'seat_limit']);
  });

  it('an excess no incident covers fails: seats after any apply, quota at the end', () => {
    const checker = new SimulationChecker(['lic-1'], { splitBrainPossible: true });
    const ledger = clusteredLedger();
    applyAll(checker, 'main', ledger, [
      { index: 1, term: 1, command: activate('lic-1', 2, 10) },
      { index: 2, term: 1, command: acquire('ws-1-r1', 'lic-1', 'ws-1') },
      { index: 3, term: 1, command: acquire('ws-2-r1', 'lic-1', 'ws-2') },
      { index: 4, term: 1, command: report('ws-1-r2', 'lic-1', 9) },
      // Seats and quota cut below what is in use (no merge, so no incident).
      {
        index: 5,
        term: 1,
        command: {
          type: 'update_licence',
          requestId: 'op-1',
          licenceId: 'lic-1',
          licenceFile: null,
          changes: { seats: 1 },
          actor: { name: 'operator', role: 'admin', via: 'insecure', from: 'test' },
        },
      },
    ]);
    expect(checker.violations.map((violation) => violation.check)).to.deep.equal(['seat_limit']);

    // A period over its quota (which only a merge can cause) with no incident on record.
    const overQuota = {
      appliedIndex: 9,
      getLicence: () => ledger.getLicence('lic-1'),
      seatsInUse: () => 1,
      usage: () => [
        {
          periodStartMs: DAY_START_MS,
          periodEndMs: DAY_START_MS + 86_400_000,
          used: 13,
          quota: 10,
          reports: 2,
        },
      ],
      incidents: () => [],
      listLicences: () => [],
      lookupRequest: () => undefined,
      stateHash: () => 'hash',
    } as unknown as Ledger;
    const quotaChecker = new SimulationChecker(['lic-1'], { splitBrainPossible: true });
    quotaChecker.checkFinal([{ nodeId: 'main', ledger: overQuota }], new History(10), 1);
    expect(quotaChecker.violations.map((violation) => violation.check)).to.include('quota_limit');
  });

  it('an over-grant the workstations held must be named by a seats incident of its grant terms', () => {
    // ws-1 held lease-2-2 (main, term 2) and ws-2 lease-3-2 (backup, term 3) of a 1-seat licence,
    // both from about 0 to 5 s (the leases overdrawnMain's ledgers grant).
    const history = new History(10);
    const held = (workstationId: string, leaseId: string, atMs: number) => {
      const command = acquire(`${workstationId}-r1`, 'lic-1', workstationId) as ClientCommand;
      const record = history.invoke(workstationId, `${workstationId}-r1`, command, atMs, null);
      const lease = {
        leaseId,
        licenceId: 'lic-1',
        workstationId,
        parameters: { host: `${workstationId}.example`, user: 'u', cores: 1, productVersion: '1' },
        grantedAtMs: atMs,
        renewedAtMs: atMs,
        expiresAtMs: atMs + 60_000,
        ttlMs: 60_000,
      };
      history.complete(record, {
        atMs: atMs + 10,
        result: { ok: true, outcome: { kind: 'lease', lease } },
        index: 2,
        term: Number(leaseId.split('-')[1]),
        nodeId: 'main',
        duringDrain: false,
      });
      const release = { type: 'release_lease' as const, requestId: `${workstationId}-r2`, leaseId };
      history.invoke(workstationId, release.requestId, release, 5000, null);
    };
    held('ws-1', 'lease-2-2', 0);
    held('ws-2', 'lease-3-2', 100);
    const overGrants = (checker: SimulationChecker) =>
      checker.violations.filter((violation) => violation.check === 'observed_over_grant');

    // No incident names terms 2 and 3: the over-grant went unrecorded.
    const unrecorded = new SimulationChecker(['lic-1'], {
      splitBrainPossible: true,
      clockOffsetToleranceMs: 400,
    });
    const ledger = clusteredLedger();
    ledger.apply({ index: 1, term: 1, timestampMs: DAY_START_MS + 1, command: activate('lic-1', 1, 10) });
    unrecorded.checkFinal([{ nodeId: 'main', ledger }], history, 6000);
    expect(overGrants(unrecorded).map((violation) => violation.message)).to.deep.equal([
      'workstations held 2 leases of licence lic-1 (1 seats) at once for 4890 ms from 110, granted in terms 2, 3, ' +
        'and no seats incident names those terms',
    ]);

    // The merge recorded it.
    const recorded = new SimulationChecker(['lic-1'], {
      splitBrainPossible: true,
      clockOffsetToleranceMs: 400,
    });
    const main = overdrawnMain(recorded);
    expect(main.incidents().find((incident) => incident.kind === 'seats')?.grantTerms).to.deep.equal([2, 3]);
    recorded.checkFinal([{ nodeId: 'main', ledger: main }], history, 6000);
    expect(overGrants(recorded)).to.deep.equal([]);

    // Held together for no longer than the clocks' offset: the ledger may not have seen it.
    const brief = new SimulationChecker(['lic-1'], {
      splitBrainPossible: true,
      clockOffsetToleranceMs: 5000,
    });
    brief.checkFinal([{ nodeId: 'main', ledger }], history, 6000);
    expect(overGrants(brief)).to.deep.equal([]);
  });

  it('a release answered with success or as an intent must not leave its lease live (release_lost)', () => {
    const ledger = clusteredLedger();
    ledger.apply({ index: 1, term: 1, timestampMs: DAY_START_MS + 1, command: activate('lic-1', 2, null) });
    const granted = ledger.apply({
      index: 2,
      term: 1,
      timestampMs: DAY_START_MS + 2,
      command: acquire('ws-1-r1', 'lic-1', 'ws-1'),
    });
    const leaseId = granted.ok && granted.outcome.kind === 'lease' ? granted.outcome.lease.leaseId : '';
    const history = new History(10);
    const ask = (requestId: string, command: ClientCommand, result: Result, atMs: number) => {
      const record = history.invoke('ws-1', requestId, command, atMs, null);
      history.complete(record, {
        atMs: atMs + 1,
        result,
        index: 2,
        term: 1,
        nodeId: 'backup',
        duringDrain: false,
      });
    };
    ask('ws-1-r1', acquire('ws-1-r1', 'lic-1', 'ws-1') as ClientCommand, granted, 0);
    const release = { type: 'release_lease' as const, requestId: 'ws-1-r2', leaseId };
    ask('ws-1-r2', release, { ok: true, outcome: { kind: 'intent', leaseId, action: 'release' } }, 100);
    const lost = (checks: SimulationChecker) =>
      checks.violations.filter((violation) => violation.check === 'release_lost').length;
    // The lease is still live in the final ledger: the release was lost.
    const checker = new SimulationChecker(['lic-1'], { splitBrainPossible: true });
    checker.checkFinal([{ nodeId: 'main', ledger }], history, 1000);
    expect(lost(checker)).to.equal(1);
    // Taken again afterwards (an acquire handing it back): not lost.
    ask('ws-1-r3', acquire('ws-1-r3', 'lic-1', 'ws-1') as ClientCommand, granted, 200);
    const retaken = new SimulationChecker(['lic-1'], { splitBrainPossible: true });
    retaken.checkFinal([{ nodeId: 'main', ledger }], history, 1000);
    expect(lost(retaken)).to.equal(0);
  });

  it('a merge before any split brain is unexpected, even in pair mode', () => {
    const checker = new SimulationChecker(['lic-1'], { splitBrainPossible: true });
    const ledger = clusteredLedger();
    const merge: Command = { type: 'merge', sourceNodeId: 'backup', sourceTerms: [1], entries: [] };
    applyAll(checker, 'main', ledger, [
      { index: 1, term: 1, command: activate('lic-1', 1, null) },
      { index: 2, term: 2, command: merge },
    ]);
    expect(checker.violations.map((violation) => violation.check)).to.deep.equal(['unexpected_incident']);
  });
});
