// The partition matrix's verdict (judgeHistory) and the checks it added to the history checker:
// duplicates answered with the first result, pair-mode merges exempting results but not presence,
// seat excesses (never in witness mode, covered by an incident in pair mode), and unknown outcomes
// settled by the final ledger. Every refutation test plants one violation.
import type { Command, MergedEntry, Result } from '@tandem/ledger';
import { expect } from 'chai';
import { HistoryRecorder, type Operation } from '../src/history-checker/history.js';
import { createLicenceModel } from '../src/history-checker/licence-model.js';
import { checkLinearizable } from '../src/history-checker/linearizability.js';
import { checkDuplicatesAnsweredAlike } from '../src/history-checker/safety-checks.js';
import { judgeHistory, settleUnknownOutcomes } from '../src/netns/history-verdict.js';
import type { SeatExcess, VerifiedLedger } from '../src/netns/verified-ledger.js';
import { activateCommand, clusteredLedger } from './ledgers.js';

function report(requestId: string, units: number): Command {
  return { type: 'report_usage', requestId, licenceId: 'meter', workstationId: 'w1', units };
}
function usage(used: number): Result {
  return {
    ok: true,
    outcome: { kind: 'usage', licenceId: 'meter', periodStartMs: 0, used, remaining: null },
  };
}

/** A ledger with the licence `meter` that applied `reports` in order, as a verified final ledger. */
function finalLedger(
  nodeId: string,
  reports: readonly Command[],
  extra: {
    mergedRequestIds?: string[];
    seatExcesses?: SeatExcess[];
    mergeEntryCount?: number;
    /** The backup's solo entries, merged after `reports` (a pair-mode split brain healed). */
    merged?: MergedEntry[];
  } = {},
): VerifiedLedger {
  const ledger = clusteredLedger();
  const commands: Command[] = [
    activateCommand('activate', {
      licenceId: 'meter',
      product: 'Meter',
      seats: 1,
      quota: null,
      validFromMs: 0,
      validUntilMs: 0,
      redundancy: true,
      features: {},
    }),
    ...reports,
    ...(extra.merged === undefined
      ? []
      : [{ type: 'merge' as const, sourceNodeId: 'backup', sourceTerms: [2], entries: extra.merged }]),
  ];
  commands.forEach((command, position) => {
    ledger.apply({ index: position + 1, term: 1, timestampMs: 1000 + position, command });
  });
  return {
    nodeId,
    ledger,
    appliedIndex: commands.length,
    stateHash: ledger.stateHash(),
    replayedFromIndex: 0,
    mergeEntryCount: extra.mergeEntryCount ?? 0,
    mergedRequestIds: new Set(extra.mergedRequestIds ?? []),
    seatExcesses: extra.seatExcesses ?? [],
  };
}

/** [command, invokedAtMs, completedAtMs, result or 'failed'] per operation, recorded in order. */
function history(entries: readonly [Command, number, number, Result | 'failed'][]): Operation[] {
  const recorder = new HistoryRecorder();
  for (const [command, invokedAtMs, completedAtMs, outcome] of entries) {
    const id = recorder.invoke('w1', command, invokedAtMs);
    if (outcome === 'failed') recorder.fail(id, 'timeout', completedAtMs);
    else recorder.complete(id, outcome, completedAtMs);
  }
  return recorder.operations();
}

const MODELS = [{ licenceId: 'meter', seats: 1, quotaUnits: null }];

function verdictOf(mode: 'pair' | 'witness', operations: Operation[], ledgers: VerifiedLedger[]) {
  return judgeHistory({
    mode,
    operations,
    ledgers,
    leaders: [{ term: 1, leaderId: 'main' }],
    usageLicenceId: 'meter',
    licenceModels: MODELS,
  });
}

describe('duplicates answered with the first result', () => {
  const operations = history([
    [report('r1', 2), 0, 5, usage(2)],
    [report('r1', 2), 10, 15, usage(2)],
    [report('r2', 3), 20, 25, usage(5)],
    [report('r2', 3), 30, 35, usage(8)],
  ]);

  it('finds a duplicate answered differently, unless a merge touched the request', () => {
    expect(checkDuplicatesAnsweredAlike(operations)).to.have.length(1);
    expect(checkDuplicatesAnsweredAlike(operations)[0]).to.match(/^request r2 was answered differently/);
    expect(checkDuplicatesAnsweredAlike(operations, (id) => id === 'r2')).to.deep.equal([]);
  });

  it('the licence model forgets a retried answer only after its last invocation', () => {
    const model = () => createLicenceModel(MODELS);
    expect(checkLinearizable(operations.slice(0, 3), model()).ok).to.equal(true);
    expect(checkLinearizable(operations, model()).ok).to.equal(false);
    // A third invocation of r1, long after the others, must still get the first answer, not be
    // counted again as a model that forgot the answer too early would allow.
    const late = history([
      [report('r1', 2), 0, 5, usage(2)],
      [report('r1', 2), 10, 15, usage(2)],
      [report('r3', 1), 20, 25, usage(3)],
      [report('r1', 2), 30, 35, usage(5)],
    ]);
    expect(checkLinearizable(late, model()).ok).to.equal(false);
  });
});

describe('judgeHistory', () => {
  const applied = [report('r1', 2), report('r2', 3)];

  it('passes a history the final ledgers agree with, in both modes', () => {
    const operations = history([
      [report('r1', 2), 0, 5, usage(2)],
      [report('r2', 3), 10, 15, usage(5)],
      [report('r2', 3), 20, 25, usage(5)],
    ]);
    for (const mode of ['pair', 'witness'] as const) {
      const verdict = verdictOf(mode, operations, [
        finalLedger('main', applied),
        finalLedger('backup', applied),
      ]);
      expect(verdict.violations).to.deep.equal([]);
      expect(verdict.linearizable).to.equal(true);
      expect(verdict.repeatedAnswerCount).to.equal(1);
    }
  });

  it("after a merge accepts either side's answer to a request, never a third, never absence", () => {
    // The client saw the backup's answer (used 3); the merge kept the main's (used 5) and the
    // backup's beside it.
    const operations = history([
      [report('r1', 2), 0, 5, usage(2)],
      [report('r2', 3), 10, 15, usage(3)],
    ]);
    const backupAnswer: MergedEntry = {
      index: 2,
      term: 2,
      timestampMs: 2000,
      command: report('r2', 3),
      result: usage(3),
    };
    const merged = { mergedRequestIds: ['r2'], mergeEntryCount: 1, merged: [backupAnswer] };
    const pair = verdictOf('pair', operations, [finalLedger('main', applied, merged)]);
    expect(pair.violations).to.deep.equal([]);
    expect(pair.linearizable).to.equal('not promised');
    const witness = verdictOf('witness', operations, [finalLedger('main', applied, merged)]);
    expect(witness.violations.join('\n')).to.match(/witness mode merged 1 split brain/);
    // A third answer (neither side's) is refused in pair mode too: no exemption for merged requests.
    const third = history([
      [report('r1', 2), 0, 5, usage(2)],
      [report('r2', 3), 10, 15, usage(4)],
    ]);
    expect(verdictOf('pair', third, [finalLedger('main', applied, merged)]).violations.join('\n')).to.match(
      /acknowledged request r2 .* has a different result in the final ledger/,
    );
    // Without the backup's answer kept, the client's answer is a violation even though r2 merged.
    const notKept = { mergedRequestIds: ['r2'], mergeEntryCount: 1 };
    expect(
      verdictOf('pair', operations, [finalLedger('main', applied, notKept)]).violations.join('\n'),
    ).to.match(/acknowledged request r2 .* has a different result in the final ledger/);
    const lost = verdictOf('pair', operations, [finalLedger('main', [report('r1', 2)], notKept)]);
    expect(lost.violations.join('\n')).to.match(
      /acknowledged request r2 .* is missing from the final ledger/,
    );
  });

  it('refuses any seat excess in witness mode and an uncovered one in pair mode', () => {
    const operations = history([[report('r1', 2), 0, 5, usage(2)]]);
    const excess = { index: 7, licenceId: 'scarce', seatsInUse: 6, seats: 4, coveredExcess: 2 };
    const covered = finalLedger('main', [report('r1', 2)], { seatExcesses: [excess] });
    expect(verdictOf('pair', operations, [covered]).violations).to.deep.equal([]);
    expect(verdictOf('witness', operations, [covered]).violations).to.deep.equal([
      'main: licence scarce had 6 leases for 4 seats after index 7 (witness mode never overdraws)',
    ]);
    const uncovered = finalLedger('main', [report('r1', 2)], {
      seatExcesses: [{ ...excess, coveredExcess: 1 }],
    });
    expect(verdictOf('pair', operations, [uncovered]).violations).to.deep.equal([
      'main: licence scarce had 6 leases for 4 seats after index 7, but the open overdraft incidents cover an excess of 1 only',
    ]);
  });

  it('names an over-grant the clients held that no incident names', () => {
    const lease = (leaseId: string, workstationId: string): Result => ({
      ok: true,
      outcome: {
        kind: 'lease',
        lease: {
          leaseId,
          licenceId: 'meter',
          workstationId,
          parameters: { host: 'h', user: 'u', cores: 1, productVersion: '1' },
          grantedAtMs: 0,
          renewedAtMs: 0,
          expiresAtMs: 600_000,
          ttlMs: 600_000,
        },
      },
    });
    const acquire = (requestId: string, workstationId: string): Command => ({
      type: 'acquire_lease',
      requestId,
      licenceId: 'meter',
      workstationId,
      parameters: { host: 'h', user: 'u', cores: 1, productVersion: '1' },
      ttlMs: 600_000,
      nonce: '',
    });
    // Main granted w1 a lease in term 2 and the backup w2 one in term 3, on a 1-seat licence; w1
    // released its lease 400 ms later.
    const operations = history([
      [acquire('a1', 'w1'), 0, 10, lease('lease-2-5', 'w1')],
      [acquire('a2', 'w2'), 100, 110, lease('lease-3-5', 'w2')],
      [{ type: 'release_lease', requestId: 'r1', leaseId: 'lease-2-5' }, 500, 510, lease('lease-2-5', 'w1')],
    ]);
    const ledger = finalLedger('main', [], { mergeEntryCount: 1 });
    const overGrants = verdictOf('pair', operations, [ledger]).violations.filter((violation) =>
      violation.startsWith('workstations held'),
    );
    expect(overGrants).to.deep.equal([
      'workstations held 2 leases of licence meter (1 seats) at once for 390 ms from 110, granted in terms 2, 3, and no seats incident names those terms',
    ]);
  });

  it('settles lost answers by the final ledger: unapplied ones leave, applied ones get its result', () => {
    const operations = history([
      [report('r1', 2), 0, 5, usage(2)],
      [report('r2', 3), 10, 15, 'failed'],
      [report('r3', 4), 20, 25, 'failed'],
      [report('r4', 1), 30, 35, usage(7)],
    ]);
    const final = finalLedger('main', [report('r1', 2), report('r3', 4), report('r4', 1)]);
    const settled = settleUnknownOutcomes(operations, final);
    expect(settled.map((operation) => operation.id)).to.deep.equal(['r1', 'r3', 'r4']);
    expect(settled[1]?.outcome).to.deep.equal({ kind: 'ok', result: usage(6) });
    expect(settled[1]?.completedAtMs).to.equal(36);
    // r4's answer counts r3's units: r3 must come first, and only the settled history says so.
    expect(verdictOf('witness', operations, [final]).violations).to.deep.equal([]);
    expect(
      verdictOf('witness', operations, [finalLedger('main', [report('r1', 2), report('r4', 1)])]).violations,
    ).to.not.deep.equal([]);
  });
});
