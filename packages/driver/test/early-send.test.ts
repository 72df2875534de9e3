// The leader's write and its appends go in parallel (issue 13): a leader whose term and vote are
// already durable sends the appends for a batch while that batch's own write is in flight, so one
// operation waits for the slower of the two fsyncs, not for both in a row. Commit (and so the
// answer) still waits for the entry to be durable on the leader and on every in-sync follower:
// the core counts the leader's own entries only once advance() says its write is done. These tests
// hold each node's writes in a queue and release them by hand, to look into that window:
// - the appends leave before the leader's write is done, and the answer waits for both;
// - votes and a follower's acknowledgements never leave before the write they depend on;
// - a leader that crashes after sending a batch and before its own fsync loses the batch, which its
//   follower holds: nothing was answered, and the pair converges on one log after the restart.
import type { Entry, HardState, Message, NodeId, RaftConfig } from '@tandem/consensus';
import { type LedgerStateMachine, ledgerStateMachines } from '@tandem/ledger';
import type { PersistUpdate } from '@tandem/storage';
import { expect } from 'chai';
import { type Applied, Driver } from '../src/driver.js';
import { DriverRefusal } from '../src/errors.js';

const TICK_MS = 10;
const ELECTION_TIMEOUT_TICKS = 10;
const IDS = ['main', 'backup'] as const;
/** Bounds every loop below, so that a livelock fails the test instead of hanging it. */
const MAX_TICKS = 500;
const MAX_DELIVERY_ROUNDS = 10_000;
const RESPONSES = new Set<Message['type']>([
  'append_entries_response',
  'request_vote_response',
  'install_snapshot_response',
  'merge_offer_response',
]);

/** What one node has on disk: only what a completed write put there (no snapshots here). */
class Disk {
  hardState: HardState | null = null;
  entries: Entry[] = [];
  /** Writes issued and not yet durable, oldest first; held while `holding`. */
  pending: Array<{ update: PersistUpdate; done: (error: Error | null) => void }> = [];
  holding = false;

  persist(update: PersistUpdate, done: (error: Error | null) => void): void {
    this.pending.push({ update, done });
    if (!this.holding) this.flush();
  }

  /** Makes every pending write durable, in order, and tells the driver. */
  flush(): void {
    for (const write of this.pending.splice(0)) {
      this.write(write.update);
      write.done(null);
    }
  }

  /** A power failure: the pending writes are lost. */
  crash(): void {
    this.pending = [];
    this.holding = false;
  }

  private write(update: PersistUpdate): void {
    expect(update.discardHistory ?? false, 'no merge in these tests').to.equal(false);
    expect(update.snapshot ?? null, 'no snapshot in these tests').to.equal(null);
    if (update.hardState !== null && update.hardState !== undefined) this.hardState = { ...update.hardState };
    const first = update.entries?.[0];
    if (first === undefined) return;
    this.entries = this.entries.filter((entry) => entry.index < first.index);
    this.entries.push(...(update.entries ?? []));
  }
}

class Pair {
  nowMs = 1_000_000;
  /** Messages sent and not yet delivered, in the order they were sent. */
  network: Message[] = [];
  private deferred: Array<() => void> = [];
  readonly disks = new Map<NodeId, Disk>();
  readonly drivers = new Map<NodeId, Driver<LedgerStateMachine>>();

  constructor() {
    for (const id of IDS) {
      this.disks.set(id, new Disk());
      this.start(id);
    }
    this.settle();
  }

  /** Starts (or restarts) a node from what its disk holds. */
  start(id: NodeId): void {
    const disk = this.disk(id);
    const raft: Omit<RaftConfig, 'describeMergedEntry'> = {
      id,
      electionTimeoutTicks: ELECTION_TIMEOUT_TICKS,
      heartbeatIntervalTicks: 2,
      randomInt: () => 0,
      maxEntriesPerMessage: 64,
      maxInflightMessages: 16,
      preVote: true,
      checkQuorum: true,
      mode: 'pair',
      priorityNodeId: 'main',
      startupGraceTicks: 0,
    };
    const driver = new Driver<LedgerStateMachine>({
      raft,
      initial: {
        hardState: disk.hardState === null ? null : { ...disk.hardState },
        snapshot: null,
        entries: [...disk.entries],
        configuration: { voters: [...IDS], inSync: [...IDS] },
      },
      snapshotData: null,
      stateMachines: ledgerStateMachines(),
      storage: {
        persist: (update, done) => disk.persist(update, done),
        compact: (_snapshot, done) => done(null),
      },
      transport: { send: (messages) => this.network.push(...messages) },
      clock: () => this.nowMs,
      scheduler: {
        defer: (action) => this.deferred.push(action),
        later: (action) => this.deferred.push(action),
      },
      logger: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      limits: {
        maxBatchEntries: 32,
        maxPendingOperations: 100,
        operationTimeoutMs: 1_000_000,
        maxEntryBytes: 1 << 20,
        snapshotEveryEntries: 1_000_000,
        maxRetainedSoloEntries: 1_000_000,
        leaseExpiryIntervalMs: 1_000_000,
        maxExtendMs: 0,
      },
      clusterIdToPropose: null,
      configuredClusterId: null,
    });
    this.drivers.set(id, driver);
    driver.start();
  }

  /** A power failure of one node: its process and its pending writes are gone. */
  crash(id: NodeId): void {
    this.driver(id).halt();
    this.drivers.delete(id);
    this.disk(id).crash();
    // Messages to the dead process are lost; those it sent are on the wire already.
    this.network = this.network.filter((message) => message.to !== id);
  }

  driver(id: NodeId): Driver<LedgerStateMachine> {
    const driver = this.drivers.get(id);
    if (driver === undefined) throw new Error(`node ${id} is down`);
    return driver;
  }

  disk(id: NodeId): Disk {
    const disk = this.disks.get(id);
    if (disk === undefined) throw new Error(`no node ${id}`);
    return disk;
  }

  runDeferred(): void {
    for (let round = 0; this.deferred.length > 0; round += 1) {
      expect(round, 'deferred actions keep coming').to.be.below(MAX_DELIVERY_ROUNDS);
      for (const action of this.deferred.splice(0)) action();
    }
  }

  /** Delivers the messages on the wire now (not those they cause), to live nodes. */
  deliver(): void {
    this.runDeferred();
    for (const message of this.network.splice(0)) {
      this.drivers.get(message.to)?.step(message, RESPONSES.has(message.type) ? this.nowMs : undefined);
    }
    this.runDeferred();
  }

  settle(): void {
    for (let round = 0; this.deferred.length > 0 || this.network.length > 0; round += 1) {
      expect(round, 'the pair keeps talking').to.be.below(MAX_DELIVERY_ROUNDS);
      this.deliver();
    }
  }

  tick(): void {
    this.nowMs += TICK_MS;
    for (const driver of this.drivers.values()) driver.tick();
    this.settle();
  }

  tickUntil(what: string, condition: () => boolean): void {
    for (let ticks = 0; !condition(); ticks += 1) {
      expect(ticks, `${what} within ${MAX_TICKS} ticks`).to.be.below(MAX_TICKS);
      this.tick();
    }
  }

  /** The main leads, the backup follows it with the main's whole log applied, both in sync. */
  converged(): boolean {
    const main = this.drivers.get('main')?.status();
    const backup = this.drivers.get('backup')?.status();
    return (
      main !== undefined &&
      backup !== undefined &&
      main.role === 'leader' &&
      backup.leaderId === 'main' &&
      main.configuration.inSync.length === 2 &&
      backup.appliedIndex === main.commitIndex &&
      main.appliedIndex === main.commitIndex &&
      main.lastIndex === main.commitIndex
    );
  }
}

function submitWrite(driver: Driver<LedgerStateMachine>): { outcome: Applied | DriverRefusal | null } {
  const result: { outcome: Applied | DriverRefusal | null } = { outcome: null };
  driver.submit({ type: 'tick' }, (outcome) => {
    result.outcome = outcome;
  });
  return result;
}

/** The highest entry index the appends on the wire from `from` carry (0: none). */
function appendedThrough(network: Message[], from: NodeId): number {
  let last = 0;
  for (const message of network) {
    if (message.from !== from || message.type !== 'append_entries') continue;
    last = Math.max(last, message.entries.at(-1)?.index ?? 0);
  }
  return last;
}

describe('the leader sends its appends while its own write is in flight', () => {
  it('sends a batch before its fsync and answers only once both copies are durable', () => {
    const pair = new Pair();
    pair.tickUntil('main leads, both in sync', () => pair.converged());
    const main = pair.driver('main');
    const mainDisk = pair.disk('main');
    const durableBefore = main.status().durableIndex;

    mainDisk.holding = true;
    const write = submitWrite(main);
    pair.runDeferred();
    const entryIndex = main.status().lastIndex;
    expect(entryIndex, 'the write is one new entry').to.equal(durableBefore + 1);
    expect(mainDisk.pending.map((pending) => pending.update.entries?.at(-1)?.index)).to.deep.equal([
      entryIndex,
    ]);
    expect(appendedThrough(pair.network, 'main'), 'the append left before the fsync').to.equal(entryIndex);

    // The backup persists it and acknowledges; the main's own copy is still not durable.
    pair.settle();
    expect(pair.driver('backup').status().durableIndex).to.equal(entryIndex);
    expect(main.status().durableIndex).to.equal(durableBefore);
    expect(main.status().commitIndex, "no commit before the leader's own write").to.be.below(entryIndex);
    expect(write.outcome, "no answer before the leader's own write").to.equal(null);

    mainDisk.holding = false;
    mainDisk.flush();
    pair.settle();
    expect(main.status().commitIndex).to.equal(entryIndex);
    expect(write.outcome).to.not.equal(null);
    expect(write.outcome).to.not.be.instanceOf(DriverRefusal);
  });

  it("answers only once the follower's copy is durable too, when the leader's write finishes first", () => {
    const pair = new Pair();
    pair.tickUntil('main leads, both in sync', () => pair.converged());
    const main = pair.driver('main');
    const backupDisk = pair.disk('backup');

    backupDisk.holding = true;
    const write = submitWrite(main);
    pair.settle();
    const entryIndex = main.status().lastIndex;
    expect(main.status().durableIndex).to.equal(entryIndex);
    expect(backupDisk.pending.length, "the backup's write is held").to.equal(1);
    // The backup acknowledges nothing before its write: no answer from it is on the wire.
    expect(pair.network).to.deep.equal([]);
    expect(main.status().commitIndex).to.be.below(entryIndex);
    expect(write.outcome).to.equal(null);

    backupDisk.holding = false;
    backupDisk.flush();
    pair.settle();
    expect(main.status().commitIndex).to.equal(entryIndex);
    expect(write.outcome).to.not.be.instanceOf(DriverRefusal);
    expect(write.outcome).to.not.equal(null);
  });

  it('sends no vote request before its new term and vote are durable', () => {
    const pair = new Pair();
    const mainDisk = pair.disk('main');
    // From the start: the main's campaign writes its term and vote, held here.
    mainDisk.holding = true;
    for (let ticks = 0; ticks < MAX_TICKS; ticks += 1) {
      pair.tick();
      if (mainDisk.pending.some((pending) => (pending.update.hardState?.votedFor ?? null) === 'main')) break;
    }
    const held = mainDisk.pending.find((pending) => pending.update.hardState?.votedFor === 'main');
    expect(held, 'the main campaigned').to.not.equal(undefined);
    const votes = pair.network.filter(
      (message) => message.from === 'main' && message.type === 'request_vote' && !message.preVote,
    );
    expect(votes, 'a vote request of a term not yet durable').to.deep.equal([]);
    expect(pair.driver('main').status().role).to.equal('candidate');

    mainDisk.holding = false;
    mainDisk.flush();
    pair.tickUntil('main leads, both in sync', () => pair.converged());
  });

  it('loses a batch it sent but did not persist when it crashes, answers nothing of it, and converges', () => {
    const pair = new Pair();
    pair.tickUntil('main leads, both in sync', () => pair.converged());
    const committedBefore = pair.driver('main').status().commitIndex;
    const mainDisk = pair.disk('main');

    mainDisk.holding = true;
    const write = submitWrite(pair.driver('main'));
    pair.runDeferred();
    const lostIndex = pair.driver('main').status().lastIndex;
    const lostTerm = pair.driver('main').status().term;
    expect(appendedThrough(pair.network, 'main')).to.equal(lostIndex);
    // The backup gets the append and persists it; the main dies before its own fsync.
    pair.deliver();
    expect(pair.driver('backup').status().durableIndex).to.equal(lostIndex);
    pair.crash('main');
    expect(write.outcome, 'the crashed leader answered nothing').to.equal(null);
    expect(mainDisk.entries.at(-1)?.index, 'the batch is lost on the main').to.equal(lostIndex - 1);

    // The backup holds an entry of the main's term that the main no longer has.
    const backupLog = pair.driver('backup').raft.entries(lostIndex, lostIndex);
    expect(backupLog.map((entry) => `${entry.index}/${entry.term}`)).to.deep.equal([
      `${lostIndex}/${lostTerm}`,
    ]);
    pair.settle();
    pair.start('main');
    pair.tickUntil('the pair converges after the restart', () => pair.converged());

    // One log on both: the same entry at every index, and nothing committed before is gone.
    const main = pair.driver('main');
    const backup = pair.driver('backup');
    const lastIndex = main.status().lastIndex;
    expect(backup.status().lastIndex).to.equal(lastIndex);
    const describe = (entries: Entry[]) => entries.map((entry) => `${entry.index}/${entry.term}`);
    expect(describe(backup.raft.entries(1, lastIndex))).to.deep.equal(
      describe(main.raft.entries(1, lastIndex)),
    );
    expect(main.status().commitIndex).to.be.at.least(Math.max(committedBefore, lostIndex));
    expect(main.logHash()).to.deep.equal(backup.logHash());
    // And the pair serves again.
    const after = submitWrite(main);
    pair.tickUntil('a write after the restart is answered', () => after.outcome !== null);
    expect(after.outcome).to.not.be.instanceOf(DriverRefusal);
  });
});
