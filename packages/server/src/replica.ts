// The replica drives the pure consensus core and the ledger with real time, real storage and a
// real transport. It is the only place where the order "persist, then send, then apply, then
// advance" is carried out, and where client operations wait for their entry to commit.
//
// Group commit: client operations queue up while the previous batch is being persisted. When that
// fsync returns, everything queued is proposed as one batch, which becomes one Ready, one LevelDB
// write and one fsync.
import assert from 'node:assert/strict';
import type { Configuration, Entry, HardState, Message, Ready, Snapshot, SoftState } from '@tandem/consensus';
import { ConsensusError, RaftNode } from '@tandem/consensus';
import type { Command, Result } from '@tandem/ledger';
import { decodeEntryData, encodeEntryData, Ledger } from '@tandem/ledger';
import type { NodeStorage } from '@tandem/storage';
import type { TandemConfig } from './config.js';
import { OperationalError } from './errors.js';
import type { Logger } from './logger.js';

/** What a committed client operation returns: the ledger's result and where it was applied. */
export interface Applied {
  result: Result;
  index: number;
  term: number;
}

/** Sends the core's messages to peers. Single mode has no peers, so nothing is ever sent. */
export interface Transport {
  send(messages: Message[]): void;
}

export const NO_PEERS: Transport = {
  send(messages) {
    assert.equal(messages.length, 0, 'a cluster of one has nobody to send messages to');
  },
};

interface QueuedOperation {
  command: Command;
  deadlineMs: number;
  resolve: (applied: Applied) => void;
  reject: (error: Error) => void;
}

interface Waiter extends QueuedOperation {
  term: number;
}

export interface ReplicaOptions {
  config: TandemConfig;
  storage: NodeStorage;
  logger: Logger;
  /** Wall-clock time in ms; only the leader's proposals read it, and it is made monotonic here. */
  clock: () => number;
  transport?: Transport;
  /** Injected randomness for election jitter. */
  randomInt?: (maxExclusive: number) => number;
}

export interface ReplicaStatus {
  id: string;
  role: SoftState['role'];
  leaderId: string | null;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  snapshotIndex: number;
  configuration: Configuration;
}

export class Replica {
  /** Replaced wholesale when a snapshot is installed from the leader. */
  private currentLedger: Ledger;
  private readonly raft: RaftNode;
  private readonly transport: Transport;
  /** Operations accepted by the edge but not yet proposed. Bounded by limits.maxPendingOperations. */
  private queue: QueuedOperation[] = [];
  /** Proposed operations by log index, waiting for their entry to be applied. */
  private readonly waiters = new Map<number, Waiter>();
  private pumping = false;
  private pumpRequested = false;
  private stopped = false;
  private fatalError: Error | null = null;
  /** The leader's entry timestamps never go backwards, even if the wall clock does. */
  private lastTimestampMs = 0;
  private softState: SoftState = { role: 'follower', leaderId: null };
  /** The last hard state written to storage, to tell which Readies need an fsync. */
  private persistedHardState: HardState | null = null;
  private snapshotIndex: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly appliedListeners = new Set<(index: number) => void>();

  private constructor(
    private readonly options: ReplicaOptions,
    raft: RaftNode,
    ledger: Ledger,
    snapshotIndex: number,
  ) {
    this.raft = raft;
    this.currentLedger = ledger;
    this.snapshotIndex = snapshotIndex;
    this.transport = options.transport ?? NO_PEERS;
  }

  /** The applied ledger; read-only use only (queries and pre-checks). */
  get ledger(): Ledger {
    return this.currentLedger;
  }

  static async open(options: ReplicaOptions): Promise<Replica> {
    const { config, storage } = options;
    const loaded = await storage.load();
    const ledgerOptions = {
      idempotencyWindowMs: config.ledger.idempotencyWindowMs,
      idempotencyMaxEntries: config.ledger.idempotencyMaxEntries,
      maxTtlMs: config.ledger.maxTtlMs,
    };
    const ledger =
      loaded.snapshot === null
        ? new Ledger(ledgerOptions)
        : Ledger.restore(loaded.snapshot.data, ledgerOptions);
    const configuration: Configuration = { voters: [config.node.id], inSync: [config.node.id] };
    const ticksPer = (milliseconds: number) =>
      Math.max(1, Math.round(milliseconds / config.timing.tickIntervalMs));
    const raft = new RaftNode(
      {
        id: config.node.id,
        electionTimeoutTicks: ticksPer(config.timing.failoverTimeoutMs),
        heartbeatIntervalTicks: ticksPer(config.timing.heartbeatIntervalMs),
        randomInt: options.randomInt ?? ((maxExclusive) => Math.floor(Math.random() * maxExclusive)),
        maxEntriesPerMessage: config.limits.maxBatchEntries,
        maxInflightMessages: 64,
        preVote: true,
      },
      {
        hardState: loaded.hardState,
        snapshot: loaded.snapshot?.metadata ?? null,
        entries: loaded.entries,
        configuration,
      },
    );
    const replica = new Replica(options, raft, ledger, loaded.snapshot?.metadata.index ?? 0);
    replica.persistedHardState = loaded.hardState;
    options.logger.info('replica opened', {
      snapshotIndex: replica.snapshotIndex,
      entries: loaded.entries.length,
      term: loaded.hardState?.term ?? 0,
      commitIndex: loaded.hardState?.commitIndex ?? 0,
    });
    return replica;
  }

  /** Starts the clocks. A cluster of one elects itself at once. */
  start(): void {
    const { timing } = this.options.config;
    this.timers.push(
      setInterval(() => {
        this.raft.tick();
        this.requestPump();
      }, timing.tickIntervalMs),
      setInterval(() => this.proposeLeaseExpiry(), timing.leaseExpiryIntervalMs),
      setInterval(() => this.expireWaiters(), Math.min(100, this.options.config.limits.operationTimeoutMs)),
    );
    if (this.options.config.cluster.mode === 'single') this.raft.campaign();
    this.requestPump();
  }

  /** Proposes a client command and resolves once it is committed and applied. */
  submit(command: Command): Promise<Applied> {
    if (this.stopped) {
      return Promise.reject(new OperationalError('shutting_down', 'the node is shutting down', true));
    }
    if (this.fatalError !== null) {
      return Promise.reject(
        new OperationalError('shutting_down', `the node failed: ${this.fatalError.message}`, true),
      );
    }
    this.assertLeader();
    const { limits } = this.options.config;
    if (this.queue.length + this.waiters.size >= limits.maxPendingOperations) {
      return Promise.reject(
        new OperationalError(
          'overloaded',
          `more than ${limits.maxPendingOperations} operations are pending`,
          true,
        ),
      );
    }
    return new Promise<Applied>((resolve, reject) => {
      this.queue.push({
        command,
        deadlineMs: this.options.clock() + limits.operationTimeoutMs,
        resolve,
        reject,
      });
      this.requestPump();
    });
  }

  /** Throws not_leader, with the leader's id when known, unless this node leads. */
  assertLeader(): void {
    if (this.softState.role !== 'leader') {
      throw new OperationalError('not_leader', 'this node is not the leader', true, this.softState.leaderId);
    }
  }

  /** Resolves once this node leads, or after timeoutMs (the caller checks isLeader()). */
  async waitForLeadership(timeoutMs: number): Promise<void> {
    const deadline = this.options.clock() + timeoutMs;
    while (!this.isLeader() && this.options.clock() < deadline && this.fatalError === null) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  isLeader(): boolean {
    return this.softState.role === 'leader';
  }

  status(): ReplicaStatus {
    const raftStatus = this.raft.status();
    return {
      id: this.options.config.node.id,
      role: raftStatus.role,
      leaderId: raftStatus.leaderId,
      term: raftStatus.term,
      commitIndex: raftStatus.commitIndex,
      appliedIndex: raftStatus.appliedIndex,
      lastIndex: raftStatus.lastIndex,
      snapshotIndex: this.snapshotIndex,
      configuration: raftStatus.configuration,
    };
  }

  /** Resolves once this node has applied `index` (or after timeoutMs, whichever is first). */
  waitForApplied(index: number, timeoutMs: number): Promise<void> {
    if (this.raft.status().appliedIndex >= index) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const listener = (applied: number) => {
        if (applied >= index) done();
      };
      const appliedListeners = this.appliedListeners;
      function done() {
        clearTimeout(timer);
        appliedListeners.delete(listener);
        resolve();
      }
      appliedListeners.add(listener);
    });
  }

  /**
   * Takes a snapshot of the ledger at the applied index and compacts the log under it. It waits
   * for the batch in flight, so that it never compacts while a Ready is outstanding.
   */
  async takeSnapshot(): Promise<Snapshot> {
    while (this.pumping) await new Promise((resolve) => setTimeout(resolve, 1));
    this.pumping = true;
    try {
      return await this.snapshotNow();
    } finally {
      this.pumping = false;
      this.requestPump();
    }
  }

  /** Only called with the pump held: between Readies, never during one. */
  private async snapshotNow(): Promise<Snapshot> {
    const appliedIndex = this.raft.status().appliedIndex;
    const snapshot: Snapshot = {
      metadata: this.raft.snapshotMetadataAt(appliedIndex),
      data: this.ledger.snapshot(),
    };
    if (appliedIndex <= this.snapshotIndex) return snapshot;
    await this.options.storage.compact(snapshot);
    this.raft.compact(snapshot.metadata);
    this.snapshotIndex = appliedIndex;
    this.options.logger.info('snapshot taken', { index: appliedIndex, bytes: snapshot.data.byteLength });
    return snapshot;
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    const error = new OperationalError('shutting_down', 'the node is shutting down', true);
    for (const operation of this.queue) operation.reject(error);
    this.queue = [];
    // Let the batch being persisted finish, so that nothing acknowledged is half written.
    while (this.pumping) await new Promise((resolve) => setTimeout(resolve, 5));
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  private requestPump(): void {
    if (this.pumpRequested || this.stopped) return;
    this.pumpRequested = true;
    setImmediate(() => {
      this.pumpRequested = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.fatalError !== null) return;
    this.pumping = true;
    try {
      this.proposeQueued();
      while (this.raft.hasReady()) {
        const ready = this.raft.ready();
        await this.handleReady(ready);
        // Operations that arrived during the fsync form the next batch.
        this.proposeQueued();
      }
      if (this.raft.status().appliedIndex - this.snapshotIndex >= this.options.config.snapshot.everyEntries) {
        await this.snapshotNow();
      }
    } catch (error) {
      // A storage failure leaves the node unable to promise durability: stop serving at once.
      this.fatalError = error as Error;
      this.options.logger.error('replica failed; refusing further operations', {
        error: (error as Error).message,
      });
      const failure = new OperationalError(
        'shutting_down',
        `the node failed: ${(error as Error).message}`,
        true,
      );
      for (const waiter of this.waiters.values()) waiter.reject(failure);
      this.waiters.clear();
      for (const operation of this.queue) operation.reject(failure);
      this.queue = [];
      process.exitCode = 1;
      this.onFatal?.(error as Error);
    } finally {
      this.pumping = false;
    }
    if (this.queue.length > 0 || this.raft.hasReady()) this.requestPump();
  }

  /** Called when the replica can no longer serve (the server exits). */
  onFatal: ((error: Error) => void) | null = null;

  private async handleReady(ready: Ready): Promise<void> {
    if (this.mustPersist(ready)) {
      await this.options.storage.persist({
        hardState: ready.hardState,
        entries: ready.entries,
        snapshot: ready.snapshot,
      });
      if (ready.hardState !== null) this.persistedHardState = ready.hardState;
    }
    if (ready.snapshot !== null) this.installSnapshot(ready.snapshot);
    if (ready.messages.length > 0) this.transport.send(ready.messages);
    this.applyEntries(ready.committedEntries);
    this.raft.advance(ready);
    if (ready.softState !== null) this.changeSoftState(ready.softState);
  }

  /**
   * The commit index is volatile state that a restarted node learns again, so a Ready whose only
   * change is a higher commit index needs no fsync of its own: it rides along with the next batch
   * of entries. Term and vote are always written before anything depends on them.
   */
  private mustPersist(ready: Ready): boolean {
    if (ready.entries.length > 0 || ready.snapshot !== null) return true;
    if (ready.hardState === null) return false;
    const persisted = this.persistedHardState;
    return (
      persisted === null ||
      persisted.term !== ready.hardState.term ||
      persisted.votedFor !== ready.hardState.votedFor
    );
  }

  private installSnapshot(snapshot: Snapshot): void {
    this.currentLedger = Ledger.restore(snapshot.data, this.options.config.ledger);
    this.snapshotIndex = snapshot.metadata.index;
  }

  private applyEntries(entries: Entry[]): void {
    for (const entry of entries) {
      let applied: Applied | null = null;
      if (entry.kind === 'normal') {
        const { timestampMs, command } = decodeEntryData(entry.data);
        const result = this.currentLedger.apply({ index: entry.index, timestampMs, command });
        applied = { result, index: entry.index, term: entry.term };
        if (timestampMs > this.lastTimestampMs) this.lastTimestampMs = timestampMs;
      }
      const waiter = this.waiters.get(entry.index);
      if (waiter !== undefined) {
        this.waiters.delete(entry.index);
        if (applied !== null && waiter.term === entry.term) {
          waiter.resolve(applied);
        } else {
          // Another leader's entry took this index: the operation may be retried safely.
          waiter.reject(new OperationalError('leadership_lost', 'leadership changed before commit', true));
        }
      }
    }
    const last = entries.at(-1);
    if (last !== undefined) for (const listener of this.appliedListeners) listener(last.index);
  }

  private proposeQueued(): void {
    if (this.queue.length === 0) return;
    if (this.softState.role !== 'leader') {
      const error = new OperationalError('not_leader', 'leadership moved', true, this.softState.leaderId);
      for (const operation of this.queue) operation.reject(error);
      this.queue = [];
      return;
    }
    const batchLimit = this.options.config.limits.maxBatchEntries;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, batchLimit);
      const timestampMs = this.nextTimestamp();
      let proposal: ReturnType<RaftNode['propose']>;
      try {
        proposal = this.raft.propose(
          'normal',
          batch.map((operation) => encodeEntryData({ timestampMs, command: operation.command })),
        );
      } catch (error) {
        // The core refuses proposals it cannot take now (not leader, a leadership transfer, too
        // many uncommitted entries); every one of them is safe to retry with the same request id.
        if (!(error instanceof ConsensusError)) throw error;
        const refusal = new OperationalError(
          error.code === 'not_leader' ? 'not_leader' : 'overloaded',
          error.message,
          true,
          this.softState.leaderId,
        );
        for (const operation of [...batch, ...this.queue]) operation.reject(refusal);
        this.queue = [];
        return;
      }
      assert.equal(proposal.lastIndex - proposal.firstIndex + 1, batch.length);
      batch.forEach((operation, offset) => {
        this.waiters.set(proposal.firstIndex + offset, { ...operation, term: proposal.term });
      });
    }
  }

  private nextTimestamp(): number {
    this.lastTimestampMs = Math.max(this.lastTimestampMs, this.options.clock());
    return this.lastTimestampMs;
  }

  private changeSoftState(softState: SoftState): void {
    const previous = this.softState;
    this.softState = softState;
    if (previous.role !== softState.role || previous.leaderId !== softState.leaderId) {
      this.options.logger.info('role changed', { role: softState.role, leaderId: softState.leaderId });
    }
    if (softState.role !== 'leader') {
      const error = new OperationalError(
        'leadership_lost',
        'this node stopped leading',
        true,
        softState.leaderId,
      );
      for (const waiter of this.waiters.values()) waiter.reject(error);
      this.waiters.clear();
    }
  }

  /** The leader proposes a tick only when some lease may have expired, to keep the log quiet. */
  private proposeLeaseExpiry(): void {
    if (!this.isLeader() || this.ledger.leaseCount() === 0) return;
    this.submit({ type: 'tick' }).catch((error: Error) => {
      this.options.logger.debug('lease expiry tick not committed', { error: error.message });
    });
  }

  private expireWaiters(): void {
    const now = this.options.clock();
    const timeout = (operation: QueuedOperation) =>
      operation.reject(
        new OperationalError('commit_timeout', 'the operation was not committed in time', true),
      );
    for (const [index, waiter] of this.waiters) {
      if (waiter.deadlineMs <= now) {
        this.waiters.delete(index);
        timeout(waiter);
      }
    }
  }
}
