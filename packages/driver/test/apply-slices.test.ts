// A node that restarts with thousands of committed entries in its log applies them a share at a
// time (APPLY_ENTRIES_PER_TURN), letting other events in between (scheduler.later), instead of
// holding its thread until all are applied: the peer's handshake, its appends and the clients'
// calls would wait behind them. One node of its own (a cluster of one) over the real core and
// ledger, restarted with a log of noop entries that its hard state says are committed.
import type { Entry } from '@tandem/consensus';
import { type LedgerStateMachine, ledgerStateMachines } from '@tandem/ledger';
import { expect } from 'chai';
import { APPLY_ENTRIES_PER_TURN, Driver } from '../src/driver.js';
import { SOLO_LIMITS, SOLO_RAFT } from './solo-node.js';

/** Bounds every loop below, so that a livelock fails the test instead of hanging it. */
const MAX_ROUNDS = 10_000;

function restartedNode(committedEntries: number) {
  const deferred: Array<() => void> = [];
  const later: Array<() => void> = [];
  const entries: Entry[] = [];
  for (let index = 1; index <= committedEntries; index += 1) {
    entries.push({ index, term: 1, kind: 'noop', data: new Uint8Array(0) });
  }
  const applied: number[] = [];
  const driver = new Driver<LedgerStateMachine>({
    raft: SOLO_RAFT,
    initial: {
      hardState: { term: 1, votedFor: 'solo', commitIndex: committedEntries },
      snapshot: null,
      entries,
      configuration: { voters: ['solo'], inSync: ['solo'] },
    },
    snapshotData: null,
    stateMachines: ledgerStateMachines(),
    storage: { persist: (_update, done) => done(null), compact: (_snapshot, done) => done(null) },
    transport: { send: () => {} },
    clock: () => 1_000_000,
    scheduler: { defer: (action) => deferred.push(action), later: (action) => later.push(action) },
    logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    limits: SOLO_LIMITS,
    clusterIdToPropose: null,
    configuredClusterId: null,
    events: { entryApplied: (entry) => applied.push(entry.index) },
  });
  /** Runs the deferred pumps (what one turn does); returns how many entries were applied. */
  const turn = (action?: () => void): number => {
    const before = applied.length;
    action?.();
    for (let round = 0; deferred.length > 0; round += 1) {
      expect(round, 'the driver keeps deferring').to.be.below(MAX_ROUNDS);
      for (const pump of deferred.splice(0)) pump();
    }
    return applied.length - before;
  };
  return { driver, applied, later, turn };
}

describe('applying a long log', () => {
  it('applies at most APPLY_ENTRIES_PER_TURN entries per turn, the rest in later turns, in order', () => {
    const total = 3 * APPLY_ENTRIES_PER_TURN + 100;
    const node = restartedNode(total);
    const perTurn = [node.turn(() => node.driver.start())];
    for (let round = 0; node.later.length > 0; round += 1) {
      expect(round, 'the later turns never end').to.be.below(MAX_ROUNDS);
      perTurn.push(node.turn(node.later.shift()));
    }
    expect(perTurn).to.deep.equal([
      APPLY_ENTRIES_PER_TURN,
      APPLY_ENTRIES_PER_TURN,
      APPLY_ENTRIES_PER_TURN,
      100,
    ]);
    expect(node.applied).to.deep.equal(Array.from({ length: total }, (_, position) => position + 1));
    expect(node.driver.status().appliedIndex).to.equal(total);
  });

  it('goes on applying when another event pumps before the later turn', () => {
    const total = 2 * APPLY_ENTRIES_PER_TURN;
    const node = restartedNode(total);
    expect(node.turn(() => node.driver.start())).to.equal(APPLY_ENTRIES_PER_TURN);
    // A tick (or a message, a call) comes first: its pump carries on with the next share.
    expect(node.turn(() => node.driver.tick())).to.equal(APPLY_ENTRIES_PER_TURN);
    // The later turn scheduled before finds nothing left, and schedules nothing more.
    for (const action of node.later.splice(0)) node.turn(action);
    expect(node.later).to.have.length(0);
    expect(node.driver.status().appliedIndex).to.equal(total);
  });
});
