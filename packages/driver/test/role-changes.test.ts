// The driver carries out every role change of a Ready (Ready.roleChanges), even those its soft state
// hides. The case that needs it (issue 14, item 2): in pair mode the main leads and commits alone
// during a cut; as the link heals the backup wins a later term alone, and its first append
// contradicts the main's committed log. Within that one step the main follows the backup, takes a
// term past it to end the split brain and leads again, so its next Ready says leader before and
// leader after (no soft state). A driver that looked only at the soft state kept the read lease of
// its old term, in which nobody answers any more, and refused every read for as long as it led.
//
// Two drivers over the real core and ledger, with storage that is durable at once, a network that
// delivers at once unless cut, and a scheduler that defers pumps until the messages of one delivery
// round are stepped (as the server's setImmediate does).
import type { Message, NodeId, RaftConfig, Ready, RoleChange } from '@tandem/consensus';
import { type LedgerStateMachine, ledgerStateMachines } from '@tandem/ledger';
import { expect } from 'chai';
import { type Applied, Driver } from '../src/driver.js';
import { DriverRefusal } from '../src/errors.js';

const TICK_MS = 10;
const ELECTION_TIMEOUT_TICKS = 10;
const FAILOVER_TIMEOUT_MS = ELECTION_TIMEOUT_TICKS * TICK_MS;
/** The server's read lease: half the failover timeout (Replica.assertReadable). */
const READ_LEASE_MS = FAILOVER_TIMEOUT_MS / 2;
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

class Pair {
  nowMs = 1_000_000;
  /** Messages sent and not yet delivered. */
  private network: Message[] = [];
  /** Deferred pumps, run once a delivery round's messages are stepped. */
  private deferred: Array<() => void> = [];
  /** Messages between the two nodes are lost while cut. */
  cut = false;
  readonly drivers = new Map<NodeId, Driver<LedgerStateMachine>>();
  /** Every role change each driver carried out, in order. */
  readonly roleChanges = new Map<NodeId, RoleChange[]>();
  /** The role changes of each Ready a node's core handed out, with the Ready's soft state. */
  readonly readies = new Map<NodeId, Array<Pick<Ready, 'softState' | 'roleChanges'>>>();

  constructor() {
    for (const id of IDS) {
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
      const changes: RoleChange[] = [];
      this.roleChanges.set(id, changes);
      const driver = new Driver<LedgerStateMachine>({
        raft,
        initial: {
          hardState: null,
          snapshot: null,
          entries: [],
          configuration: { voters: [...IDS], inSync: [...IDS] },
        },
        snapshotData: null,
        stateMachines: ledgerStateMachines(),
        storage: { persist: (_update, done) => done(null), compact: (_snapshot, done) => done(null) },
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
          operationTimeoutMs: 10 * FAILOVER_TIMEOUT_MS,
          maxEntryBytes: 1 << 20,
          snapshotEveryEntries: 1_000_000,
          maxRetainedSoloEntries: 1_000_000,
          leaseExpiryIntervalMs: 1_000_000,
          maxExtendMs: 0,
        },
        clusterIdToPropose: null,
        configuredClusterId: null,
        events: { roleChanged: (_previous, change) => changes.push(change) },
      });
      // Watch the Readies the core hands this driver (instrumentation only: nothing is changed).
      const readies: Array<Pick<Ready, 'softState' | 'roleChanges'>> = [];
      this.readies.set(id, readies);
      const ready = driver.raft.ready.bind(driver.raft);
      driver.raft.ready = () => {
        const handedOut = ready();
        readies.push({ softState: handedOut.softState, roleChanges: [...handedOut.roleChanges] });
        return handedOut;
      };
      this.drivers.set(id, driver);
    }
    for (const driver of this.drivers.values()) driver.start();
    this.settle();
  }

  driver(id: NodeId): Driver<LedgerStateMachine> {
    const driver = this.drivers.get(id);
    if (driver === undefined) throw new Error(`no node ${id}`);
    return driver;
  }

  /** Runs deferred pumps, then delivers every message sent, until nothing is left. */
  settle(): void {
    for (let round = 0; this.deferred.length > 0 || this.network.length > 0; round += 1) {
      expect(round, 'the pair keeps talking').to.be.below(MAX_DELIVERY_ROUNDS);
      this.runDeferred();
      const messages = this.network.splice(0);
      for (const message of messages) {
        if (this.cut) continue;
        // The network is instant: an answer's request left now.
        this.driver(message.to).step(message, RESPONSES.has(message.type) ? this.nowMs : undefined);
      }
      this.runDeferred();
    }
  }

  /** One tick on both nodes; their messages stay in the network until settle(). */
  tickWithoutDelivery(): void {
    this.nowMs += TICK_MS;
    for (const driver of this.drivers.values()) driver.tick();
    this.runDeferred();
  }

  tick(): void {
    this.tickWithoutDelivery();
    this.settle();
  }

  /** Ticks until the condition holds; returns the ticks taken. */
  tickUntil(what: string, condition: () => boolean, maxTicks = MAX_TICKS): number {
    for (let ticks = 0; ; ticks += 1) {
      if (condition()) return ticks;
      expect(ticks, `${what} within ${maxTicks} ticks`).to.be.below(maxTicks);
      this.tick();
    }
  }

  /** The main leads, the backup follows it with the main's whole log applied, both in sync. */
  converged(): boolean {
    const main = this.driver('main').status();
    const backup = this.driver('backup').status();
    return (
      main.role === 'leader' &&
      backup.role === 'follower' &&
      backup.leaderId === 'main' &&
      [...main.configuration.inSync].sort().join(',') === 'backup,main' &&
      backup.appliedIndex === main.commitIndex &&
      main.appliedIndex === main.commitIndex
    );
  }

  private runDeferred(): void {
    for (let round = 0; this.deferred.length > 0; round += 1) {
      expect(round, 'deferred actions keep coming').to.be.below(MAX_DELIVERY_ROUNDS);
      for (const action of this.deferred.splice(0)) action();
    }
  }
}

/** Submits a write (a lease-expiry tick: any command the ledger applies) and records its outcome. */
function submitWrite(driver: Driver<LedgerStateMachine>): { outcome: Applied | DriverRefusal | null } {
  const result: { outcome: Applied | DriverRefusal | null } = { outcome: null };
  driver.submit({ type: 'tick' }, (outcome) => {
    result.outcome = outcome;
  });
  return result;
}

describe('role changes in the driver', () => {
  it('a leader that follows and leads again within one Ready serves reads and writes within 2 failover timeouts', () => {
    const pair = new Pair();
    const main = pair.driver('main');
    const backup = pair.driver('backup');
    pair.tickUntil('main leads, both in sync', () => pair.converged());
    const first = submitWrite(main);
    pair.tickUntil('a write at main is applied', () => first.outcome !== null);
    expect(first.outcome).to.not.be.instanceOf(DriverRefusal);

    // The cut: the main drops the silent backup from its in-sync set and commits that alone; the
    // backup takes the main's silence for consent and wins term 2 alone. The link heals just as
    // the backup wins, so that its first append reaches the main.
    pair.cut = true;
    for (let ticks = 0; !backup.isLeader(); ticks += 1) {
      expect(ticks, 'the backup leads alone').to.be.below(MAX_TICKS);
      pair.settle();
      pair.tickWithoutDelivery();
    }
    const mainAtHeal = main.status();
    expect(mainAtHeal.role, 'the main leads').to.equal('leader');
    expect(mainAtHeal.configuration.inSync, 'the main commits alone').to.deep.equal(['main']);
    expect(main.raft.committingAlone).to.equal(true);
    const backupTerm = backup.status().term;
    expect(backupTerm, 'the backup leads a later term').to.be.greaterThan(mainAtHeal.term);
    const readiesBefore = pair.readies.get('main')?.length ?? 0;
    pair.cut = false;
    pair.settle();

    // The step this test is about: one Ready of the main carries follower, candidate, leader.
    const mainReadies = (pair.readies.get('main') ?? []).slice(readiesBefore);
    const hidden = mainReadies.find(
      (ready) => ready.softState === null && ready.roleChanges.some((change) => change.role === 'follower'),
    );
    expect(hidden, `no Ready hid the main's new leadership: ${JSON.stringify(mainReadies)}`).to.not.equal(
      undefined,
    );
    const takeoverTerm = main.status().term;
    expect(takeoverTerm, 'the main takes a term past the backup').to.be.greaterThan(backupTerm);
    expect(hidden?.roleChanges).to.deep.equal([
      { role: 'follower', term: backupTerm, leaderId: 'backup' },
      { role: 'candidate', term: takeoverTerm, leaderId: null },
      { role: 'leader', term: takeoverTerm, leaderId: 'main' },
    ]);
    expect(pair.roleChanges.get('main')?.slice(-3)).to.deep.equal(hidden?.roleChanges);

    // The split brain is merged and both nodes converge; from then on the main serves.
    pair.tickUntil('the merge completes and both are in sync again', () => pair.converged());
    expect(main.status().term, 'no election since the takeover').to.equal(takeoverTerm);
    const convergedAtMs = pair.nowMs;
    const write = submitWrite(main);
    let readableAtMs: number | null = main.readable(READ_LEASE_MS) ? pair.nowMs : null;
    while (pair.nowMs - convergedAtMs < 2 * FAILOVER_TIMEOUT_MS) {
      pair.tick();
      if (readableAtMs === null && main.readable(READ_LEASE_MS)) readableAtMs = pair.nowMs;
    }
    expect(write.outcome, 'a write at the main within 2 failover timeouts').to.not.equal(null);
    expect(write.outcome).to.not.be.instanceOf(DriverRefusal);
    expect(
      readableAtMs,
      'the main serves reads within 2 failover timeouts of convergence (its read lease counts its new term)',
    ).to.not.equal(null);
    // And it keeps serving them: every answer of the backup in the new term renews the lease.
    for (let ticks = 0; ticks < 3 * ELECTION_TIMEOUT_TICKS; ticks += 1) {
      pair.tick();
      expect(main.readable(READ_LEASE_MS), `readable ${ticks} ticks later`).to.equal(true);
    }
  });

  it('emits one roleChanged event per change, in order', () => {
    const seen: string[] = [];
    const pair = new Pair();
    pair.tickUntil('main leads, both in sync', () => pair.converged());
    const changes = pair.roleChanges.get('main') ?? [];
    for (const change of changes) seen.push(`${change.role}@${change.term}`);
    const term = pair.driver('main').status().term;
    expect(seen).to.deep.equal(['pre_candidate@0', `candidate@${term}`, `leader@${term}`]);
    // The backup learns of the term from the vote request, then of its leader from the first append.
    expect(pair.roleChanges.get('backup')).to.deep.equal([
      { role: 'follower', term, leaderId: null },
      { role: 'follower', term, leaderId: 'main' },
    ]);
  });
});
