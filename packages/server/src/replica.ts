// The replica drives the pure consensus core and the ledger with real time, real storage and a
// real transport. It is the only place where the order "persist, then send, then apply, then
// advance" is carried out, and where client operations wait for their entry to commit.
//
// Group commit: client operations queue up while the previous batch is being persisted. When that
// fsync returns, everything queued is proposed as one batch, which becomes one Ready, one LevelDB
// write and one fsync.

import assert from 'node:assert/strict';
import type {
  Configuration,
  Entry,
  HardState,
  MergeOffer,
  Message,
  NodeId,
  RaftConfig,
  RaftStatus,
  Ready,
  Snapshot,
  SnapshotMetadata,
  SnapshotReport,
  SoftState,
} from '@tandem/consensus';
import { ConsensusError, RaftNode } from '@tandem/consensus';
import type { Command, MergeCommand, MergedEntry, Result } from '@tandem/ledger';
import {
  DEFAULT_LEDGER_OPTIONS,
  decodeEntryData,
  ENTRY_DATA_MAX_BYTES,
  encodeEntryData,
  Ledger,
  mergedEntryFrom,
  planMerge,
  validateMergedEntry,
} from '@tandem/ledger';
import type { NodeStorage } from '@tandem/storage';
import { clusterIdToPropose, ledgerOptionsOf } from './cluster-id.js';
import type { TandemConfig } from './config.js';
import { mainNodeId, witnessOf } from './config.js';
import type { CrashPoints, CrashSubject } from './crash-points.js';
import { InvalidArgumentError, OperationalError } from './errors.js';
import {
  decodeNodeSnapshot,
  encodeNodeSnapshot,
  GENESIS_LOG_HASH,
  type LogHash,
  LogHashChain,
} from './log-hash.js';
import type { Logger } from './logger.js';
import { peerMessageLimits } from './peer-messages.js';
import { coreRefusalSink, RefusalLog } from './refusal-log.js';

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

/** A backup keeps at most this many solo entries uncompacted for a later merge (see compactionAllowed). */
export const MAX_RETAINED_SOLO_ENTRIES = 500_000;

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
  /** Test-only failpoints (case 12 of the partition matrix); absent in production. */
  crashPoints?: CrashPoints;
  /** Where refused peer messages are logged (rate-limited); one is made when absent. */
  refusals?: RefusalLog;
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
  /** Per-member replication progress while this node leads; null otherwise. */
  progress: RaftStatus['progress'];
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
  /** The term this node leads in, or null when it does not lead. */
  private leadingTerm: number | null = null;
  /**
   * The latest send time of a request that another voting member answered in this leader's own
   * term (so it still followed this leader when it answered). Reads are answered only while this is
   * recent: see assertReadable. It is the time the request left, not the time the answer was read:
   * answers that queued up while this process was stopped say nothing about the present.
   */
  private memberContactInTermAtMs: number | null = null;
  /** When the request behind the latest vote granted to this node left, and in which term. */
  private latestGrantedVote: { term: number; requestSentAtMs: number } | null = null;
  /** The last hard state written to storage, to tell which Readies need an fsync. */
  private persistedHardState: HardState | null = null;
  /** The newest hard state handed out by the core and not yet written (only a commit index ahead). */
  private unwrittenHardState: HardState | null = null;
  private snapshotIndex: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly appliedListeners = new Set<(index: number) => void>();
  /**
   * Wall-clock time of the last sign of a leader in this run: a message from another leader, or
   * the moment this node stopped leading. A new leader extends every lease by the time since then.
   */
  private leaderContactAtMs: number | null = null;
  /** The largest entry the log takes: every replication message must fit a peer's request limit. */
  private readonly maxEntryBytes: number;
  private warnedRetentionOverflow = false;
  /** A set_cluster_id this leader proposed and that has not been applied or refused yet. */
  private clusterIdProposed = false;
  private warnedClusterIdMismatch = false;
  /** The hash chain over the applied log (see log-hash.ts). */
  private readonly logHashes = new LogHashChain();
  /** Ledgers restored from received snapshots while their data was checked, by that data. */
  private readonly preparedSnapshots = new WeakMap<Uint8Array, Ledger>();

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
    this.maxEntryBytes =
      options.config.cluster.mode === 'single'
        ? ENTRY_DATA_MAX_BYTES
        : Math.min(ENTRY_DATA_MAX_BYTES, peerMessageLimits(options.config).maxEntryBytes);
  }

  /** The applied ledger; read-only use only (queries and pre-checks). */
  get ledger(): Ledger {
    return this.currentLedger;
  }

  static async open(options: ReplicaOptions): Promise<Replica> {
    const { config, storage } = options;
    const loaded = await storage.load();
    const ledgerOptions = ledgerOptionsOf(config);
    const stored =
      loaded.snapshot === null
        ? null
        : decodeNodeSnapshot(loaded.snapshot.data, loaded.snapshot.metadata.index);
    const ledger = stored === null ? new Ledger(ledgerOptions) : Ledger.restore(stored.ledger, ledgerOptions);
    const refusals = options.refusals ?? new RefusalLog({ logger: options.logger, clock: options.clock });
    // The backup describes each solo entry it offers for a merge with its own ledger's answer to it.
    let created: Replica | null = null;
    const describeMergedEntry = (entry: Entry): Uint8Array => {
      assert.ok(created !== null, 'entries are offered only once the replica runs');
      return created.describeMergedEntry(entry);
    };
    const raft = new RaftNode(
      {
        ...raftConfig(
          config,
          options.randomInt ?? ((maxExclusive) => Math.floor(Math.random() * maxExclusive)),
          describeMergedEntry,
        ),
        // The core's account of each notable change (role, term, vote, in-sync set, hand-back,
        // truncation, snapshot), so that an operator can read from the log why the cluster moved.
        trace: (line) => options.logger.info('consensus', { event: line }),
        // Refused peer messages, and rejected appends, at most one line a second per kind.
        refusal: coreRefusalSink(refusals),
      },
      {
        hardState: loaded.hardState,
        snapshot:
          loaded.snapshot === null
            ? null
            : adoptClusterConfiguration(loaded.snapshot.metadata, config, options.logger),
        entries: loaded.entries,
        configuration: initialConfiguration(config),
      },
    );
    const replica = new Replica(options, raft, ledger, loaded.snapshot?.metadata.index ?? 0);
    replica.logHashes.restore(stored === null ? GENESIS_LOG_HASH : stored.logHash);
    created = replica;
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
      setInterval(() => this.tick(), timing.tickIntervalMs),
      setInterval(() => {
        this.proposeLeaseExpiry();
        this.proposeClusterId();
      }, timing.leaseExpiryIntervalMs),
      setInterval(() => this.expireWaiters(), Math.min(100, this.options.config.limits.operationTimeoutMs)),
    );
    if (this.options.config.cluster.mode === 'single') this.raft.campaign();
    this.requestPump();
  }

  /** One tick of the core's clock. */
  private tick(): void {
    this.raft.tick();
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

  /**
   * Throws not_leader unless this node leads and may answer a read from its applied state: it
   * commits alone (nobody else may lead while it is the only in-sync member), or it heard another
   * voting member in its own term within half the failover timeout. A leader whose process was
   * stopped (SIGSTOP) or starved past the failover timeout has been replaced meanwhile, maybe
   * without knowing it yet; it must not answer from a state the new leader has moved past. Writes
   * need no such check: they are answered only once the in-sync set has them.
   */
  assertReadable(): void {
    this.assertLeader();
    if (this.options.config.cluster.mode === 'single' || this.raft.committingAlone) return;
    const leaseMs = this.options.config.timing.failoverTimeoutMs / 2;
    const contactAtMs = this.memberContactInTermAtMs;
    if (contactAtMs === null || this.options.clock() - contactAtMs > leaseMs) {
      throw new OperationalError(
        'not_leader',
        'this leader has not heard the other members recently and cannot vouch for its state; retry',
        true,
        null,
      );
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
      progress: raftStatus.progress,
    };
  }

  /** Whether the replica takes messages and operations (not stopped, not failed). */
  get serving(): boolean {
    return !this.stopped && this.fatalError === null;
  }

  /**
   * The transport's entry point: a message from a peer (a request it received, or the answer to a
   * request this node sent). What the core makes of it comes out of the next Ready. Messages that
   * arrive after stop are dropped, as the network might have dropped them.
   */
  step(message: Message, requestSentAtMs?: number): void {
    if (!this.serving) return;
    assert.equal(message.to, this.options.config.node.id, `a message for ${message.to} reached this node`);
    if (requestSentAtMs !== undefined && this.leadingTerm !== null && message.term === this.leadingTerm) {
      this.memberContactInTermAtMs = Math.max(
        this.memberContactInTermAtMs ?? requestSentAtMs,
        requestSentAtMs,
      );
    }
    if (requestSentAtMs !== undefined && message.type === 'request_vote_response' && message.voteGranted) {
      this.latestGrantedVote = { term: message.term, requestSentAtMs };
    }
    try {
      this.raft.step(message);
    } catch (error) {
      // The transport checked the message's form, so the core refusing it is an impossible state.
      this.fail(error as Error);
      return;
    }
    const fromLeader = message.type === 'append_entries' || message.type === 'install_snapshot';
    if (fromLeader && this.raft.status().leaderId === message.from)
      this.leaderContactAtMs = this.options.clock();
    this.requestPump();
  }

  /** The transport could not reach a peer: the leader stops pipelining to it. */
  reportUnreachable(peer: NodeId): void {
    if (!this.serving) return;
    this.raft.reportUnreachable(peer);
    this.requestPump();
  }

  /** The transport finished (or failed) streaming a snapshot to a peer. */
  reportSnapshot(peer: NodeId, report: SnapshotReport): void {
    if (!this.serving) return;
    this.raft.reportSnapshot(peer, report);
    this.requestPump();
  }

  /**
   * Starts handing leadership to a peer: the core refuses proposals meanwhile, brings the peer up to
   * date and tells it to campaign. The caller watches status() for the outcome.
   */
  transferLeadership(peer: NodeId): void {
    this.assertLeader();
    try {
      this.raft.transferLeadership(peer);
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      throw new OperationalError('not_leader', error.message, true, this.softState.leaderId);
    }
    this.requestPump();
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

  /**
   * A backup serving alone keeps its solo stretch in the log, so that after a split brain it can
   * still offer those entries to the main for merging; past MAX_RETAINED_SOLO_ENTRIES it compacts
   * anyway (the memory bound wins) and says that a merge could no longer recover them.
   */
  private compactionAllowed(): boolean {
    const { appliedIndex, mergeRetentionIndex } = this.raft.status();
    if (mergeRetentionIndex === null || appliedIndex < mergeRetentionIndex) return true;
    if (appliedIndex - mergeRetentionIndex < MAX_RETAINED_SOLO_ENTRIES) return false;
    if (!this.warnedRetentionOverflow) {
      this.warnedRetentionOverflow = true;
      this.options.logger.warn('solo stretch too long to keep for a merge; compacting it', {
        firstSoloIndex: mergeRetentionIndex,
        appliedIndex,
        maxRetainedEntries: MAX_RETAINED_SOLO_ENTRIES,
      });
    }
    return true;
  }

  /** Only called with the pump held: between Readies, never during one. */
  private async snapshotNow(): Promise<Snapshot> {
    const appliedIndex = this.raft.status().appliedIndex;
    const logHash = this.logHashes.current;
    const snapshot: Snapshot = {
      metadata: this.raft.snapshotMetadataAt(appliedIndex),
      data: encodeNodeSnapshot(logHash?.index === appliedIndex ? logHash : null, this.ledger.snapshot()),
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
    // A clean stop also keeps the latest commit index, so a restart knows what was committed.
    if (this.unwrittenHardState !== null && this.fatalError === null) {
      await this.options.storage.persist({ hardState: this.unwrittenHardState });
      this.unwrittenHardState = null;
    }
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
      if (
        this.raft.status().appliedIndex - this.snapshotIndex >= this.options.config.snapshot.everyEntries &&
        this.compactionAllowed()
      ) {
        await this.snapshotNow();
      }
    } catch (error) {
      // A storage failure leaves the node unable to promise durability: stop serving at once.
      this.fail(error as Error);
    } finally {
      this.pumping = false;
    }
    if (this.fatalError === null && (this.queue.length > 0 || this.raft.hasReady())) this.requestPump();
  }

  private fail(error: Error): void {
    if (this.fatalError !== null) return;
    this.fatalError = error;
    this.options.logger.error('replica failed; refusing further operations', { error: error.message });
    const failure = new OperationalError('shutting_down', `the node failed: ${error.message}`, true);
    for (const waiter of this.waiters.values()) waiter.reject(failure);
    this.waiters.clear();
    for (const operation of this.queue) operation.reject(failure);
    this.queue = [];
    process.exitCode = 1;
    this.onFatal?.(error);
  }

  /** Called when the replica can no longer serve (the server exits). */
  onFatal: ((error: Error) => void) | null = null;

  private async handleReady(ready: Ready): Promise<void> {
    // The core counts a Ready's hard state as written once advanced, so a hard state whose write is
    // skipped is kept here and written with the next batch (or at shutdown).
    if (ready.hardState !== null) this.unwrittenHardState = ready.hardState;
    if (ready.discardHistory) this.discardHistory();
    let messages = ready.messages;
    let committedEntries = ready.committedEntries;
    if (this.leadsWithDurableTerm(ready)) {
      // A leader replicates a batch while it persists it, and answers the operations committed
      // earlier without waiting for this batch's fsync. Raft allows both: the core counts the
      // leader's own entries only once advance() says they are durable, so every committed entry
      // is already durable here and on every in-sync follower. Only appends go early: answers and
      // votes still wait for the write they depend on.
      const firstNewIndex = ready.entries[0]?.index ?? Number.POSITIVE_INFINITY;
      const lastCommitted = committedEntries.at(-1);
      assert.ok(
        lastCommitted === undefined || lastCommitted.index < firstNewIndex,
        `the leader committed entry ${lastCommitted?.index} before persisting it`,
      );
      const appends = messages.filter((message) => message.type === 'append_entries');
      if (appends.length > 0) {
        this.transport.send(appends);
        messages = messages.filter((message) => message.type !== 'append_entries');
      }
      this.applyEntries(committedEntries);
      committedEntries = [];
    }
    if (this.mustPersist(ready)) {
      const hardState = this.unwrittenHardState;
      const written = this.options.storage.persist({
        ...(ready.discardHistory ? { discardHistory: true } : {}),
        hardState,
        entries: ready.entries,
        snapshot: ready.snapshot,
      });
      const crashSubjects = this.options.crashPoints === undefined ? null : this.crashSubjects(ready);
      if (crashSubjects !== null) this.options.crashPoints?.reached('persist_in_flight', crashSubjects);
      await written;
      if (crashSubjects !== null) this.options.crashPoints?.reached('after_persist', crashSubjects);
      if (hardState !== null) this.persistedHardState = hardState;
      this.unwrittenHardState = null;
    }
    if (ready.snapshot !== null) this.installSnapshot(ready.snapshot);
    if (messages.length > 0) this.transport.send(messages);
    this.applyEntries(committedEntries);
    this.raft.advance(ready);
    if (ready.softState !== null) this.changeSoftState(ready.softState);
    for (const offer of ready.mergeOffers) this.proposeMerge(offer);
  }

  /**
   * Pair mode, on a backup: what it offers the main for one solo entry, its command with this
   * ledger's answer to it (so that the main re-grants only what the backup granted).
   */
  describeMergedEntry(entry: Entry): Uint8Array {
    const { timestampMs, command } = decodeEntryData(entry.data);
    const merged = mergedEntryFrom(
      { index: entry.index, term: entry.term, timestampMs, command },
      this.currentLedger,
    );
    return MERGED_ENTRY_ENCODER.encode(JSON.stringify(merged));
  }

  /**
   * Pair mode, on a backup whose solo entries the main has merged: the node starts over empty and
   * catches up from the main (the core and storage drop the log in this same Ready).
   */
  private discardHistory(): void {
    const status = this.raft.status();
    this.options.logger.warn('the main merged our solo entries; discarding our history to follow it', {
      term: status.term,
      leaderId: status.leaderId,
    });
    this.currentLedger = new Ledger(ledgerOptionsOf(this.options.config));
    this.snapshotIndex = 0;
    this.logHashes.restore(GENESIS_LOG_HASH);
    const error = new OperationalError('leadership_lost', 'this node is rejoining the main', true);
    for (const waiter of this.waiters.values()) waiter.reject(error);
    this.waiters.clear();
  }

  /**
   * Pair mode, on the main after a split brain: the backup's offered solo entries become one ledger
   * merge command (the ledger deduplicates them by request id and records any overdraft).
   */
  private proposeMerge(offer: MergeOffer): void {
    let data: Uint8Array[];
    try {
      const entries = offer.entries.map((entry) => mergedEntryOf(entry));
      const plan = planMerge(offer.from, offer.sourceTerms, entries, ledgerOptionsOf(this.options.config));
      for (const { entry, error } of plan.dropped) {
        this.options.logger.warn('a solo entry is invalid on its own and is not merged', {
          from: offer.from,
          index: entry.index,
          error: `${error.field} ${error.message}`,
        });
      }
      // The merge's commit is what tells the backup it is merged, so even an offer with nothing
      // left to re-apply takes one (empty) merge entry.
      const commands: MergeCommand[] =
        plan.commands.length > 0
          ? plan.commands
          : [{ type: 'merge', sourceNodeId: offer.from, sourceTerms: [...offer.sourceTerms], entries: [] }];
      const timestampMs = this.nextTimestamp();
      data = commands.map((command) => encodeEntryData({ timestampMs, command }));
      for (const item of data) {
        if (item.byteLength > this.maxEntryBytes) throw new Error(`${item.byteLength} bytes is too large`);
      }
    } catch (error) {
      // The server checks every offered entry on the wire, so this is a bug or a peer's lie: refuse
      // the offer (the backup offers again) rather than stop this node for it.
      this.raft.dropMergeOffer(offer);
      this.options.logger.error('cannot build a merge of the offered entries; refused the offer', {
        from: offer.from,
        backupIndices: `${offer.firstIndex}..${offer.throughIndex}`,
        error: (error as Error).message,
      });
      return;
    }
    try {
      const position = this.raft.proposeMerge(offer, data);
      this.options.logger.warn("merging the backup's solo entries after a split brain", {
        from: offer.from,
        entries: offer.entries.length,
        backupIndices: `${offer.firstIndex}..${offer.throughIndex}`,
        backupTerms: offer.sourceTerms,
        mergeIndex: position.lastIndex,
        incomplete: offer.incomplete,
      });
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      this.options.logger.info('merge not proposed now; the backup offers again', { error: error.message });
    }
  }

  /**
   * Whether this Ready comes from a leader whose term and vote are already durable, with no
   * snapshot and no discarded history: then its appends and its committed entries depend on nothing
   * this Ready writes. A term not yet durable must not reach the peer: after a crash this node could
   * lead that term again with other entries.
   */
  private leadsWithDurableTerm(ready: Ready): boolean {
    const role = (ready.softState ?? this.softState).role;
    if (role !== 'leader' || ready.snapshot !== null || ready.discardHistory) return false;
    const persisted = this.persistedHardState;
    if (persisted === null) return false;
    const hardState = this.unwrittenHardState;
    return (
      hardState === null || (hardState.term === persisted.term && hardState.votedFor === persisted.votedFor)
    );
  }

  /**
   * A Ready whose only change is a higher commit index needs no fsync of its own: the commit index
   * rides along with the next batch of entries (see handleReady). Term and vote are always written
   * before anything depends on them.
   */
  /** What a write carries, for the crash points: log entries, and a new term and vote. */
  private crashSubjects(ready: Ready): Set<CrashSubject> {
    const subjects = new Set<CrashSubject>();
    if (ready.entries.length > 0) subjects.add('entries');
    const hardState = ready.hardState;
    const persisted = this.persistedHardState;
    if (
      hardState !== null &&
      hardState.votedFor !== null &&
      (persisted === null || persisted.term !== hardState.term || persisted.votedFor !== hardState.votedFor)
    ) {
      subjects.add('vote');
    }
    return subjects;
  }

  private mustPersist(ready: Ready): boolean {
    if (ready.discardHistory || ready.entries.length > 0 || ready.snapshot !== null) return true;
    if (ready.hardState === null) return false;
    const persisted = this.persistedHardState;
    return (
      persisted === null ||
      persisted.term !== ready.hardState.term ||
      persisted.votedFor !== ready.hardState.votedFor ||
      // Serving alone, the commit index is known nowhere else: after a crash the node must still
      // know which of its entries it committed (and acknowledged), so it is written before the
      // clients are answered. With a peer in sync, the peer's log carries that knowledge.
      (this.raft.committingAlone && persisted.commitIndex !== ready.hardState.commitIndex)
    );
  }

  private installSnapshot(snapshot: Snapshot): void {
    const decoded = decodeNodeSnapshot(snapshot.data, snapshot.metadata.index);
    this.currentLedger =
      this.preparedSnapshots.get(snapshot.data) ??
      Ledger.restore(decoded.ledger, ledgerOptionsOf(this.options.config));
    this.preparedSnapshots.delete(snapshot.data);
    this.snapshotIndex = snapshot.metadata.index;
    this.logHashes.restore(decoded.logHash);
  }

  /**
   * Checks a snapshot received from a peer before it is stepped into the core: the header and its
   * log hash, and that the ledger bytes restore to a ledger no further than the snapshot's index.
   * The core installs what it is given, and a snapshot the ledger cannot read would stop this node
   * (and again after every restart, since the snapshot is stored first). The restored ledger is kept
   * for installSnapshot. Throws InvalidArgumentError naming the field.
   */
  prepareSnapshot(data: Uint8Array, snapshotIndex: number): void {
    const decoded = decodeNodeSnapshot(data, snapshotIndex);
    let ledger: Ledger;
    try {
      ledger = Ledger.restore(decoded.ledger, ledgerOptionsOf(this.options.config));
    } catch (error) {
      throw new InvalidArgumentError('data', `is not a ledger snapshot (${(error as Error).message})`);
    }
    if (ledger.appliedIndex > snapshotIndex) {
      throw new InvalidArgumentError(
        'data',
        `holds entries up to ${ledger.appliedIndex}, beyond the snapshot index ${snapshotIndex}`,
      );
    }
    this.preparedSnapshots.set(data, ledger);
  }

  /**
   * The log hash chain through index when this node has applied it and still remembers it, or
   * else through its applied index; null when unknown (see log-hash.ts).
   */
  logHash(index?: number): LogHash | null {
    const current = this.logHashes.current;
    if (index === undefined || current === null || index > current.index) return current;
    return this.logHashes.at(index) ?? current;
  }

  private applyEntries(entries: Entry[]): void {
    for (const entry of entries) {
      this.logHashes.extend(entry);
      let applied: Applied | null = null;
      if (entry.kind === 'normal') {
        const { timestampMs, command } = decodeEntryData(entry.data);
        const result = this.currentLedger.apply({
          index: entry.index,
          term: entry.term,
          timestampMs,
          command,
        });
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
      const timestampMs = this.nextTimestamp();
      const { batch, data } = this.encodeBatch(this.queue.splice(0, batchLimit), timestampMs);
      if (batch.length === 0) continue;
      let proposal: ReturnType<RaftNode['propose']>;
      try {
        proposal = this.raft.propose('normal', data);
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

  /**
   * Encodes a batch, refusing the operations whose entry would be too large to store or to
   * replicate (every message to a peer must fit its request limit).
   */
  private encodeBatch(
    operations: QueuedOperation[],
    timestampMs: number,
  ): { batch: QueuedOperation[]; data: Uint8Array[] } {
    const batch: QueuedOperation[] = [];
    const data: Uint8Array[] = [];
    for (const operation of operations) {
      let bytes: Uint8Array | null = null;
      try {
        bytes = encodeEntryData({ timestampMs, command: operation.command });
      } catch {
        // The ledger's codec refuses entries over its own limit; so do we, below.
      }
      if (bytes === null || bytes.byteLength > this.maxEntryBytes) {
        operation.reject(
          new InvalidArgumentError(
            'request',
            `is too large to replicate (at most ${this.maxEntryBytes} bytes)`,
          ),
        );
        continue;
      }
      batch.push(operation);
      data.push(bytes);
    }
    return { batch, data };
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
    if (previous.role === 'leader' && softState.role !== 'leader')
      this.leaderContactAtMs = this.options.clock();
    if (previous.role !== 'leader' && softState.role === 'leader') {
      // Winning the election was hearing a member in this term: a vote, dated from when it was
      // asked for, or (pair mode) the other member's silence, which is now.
      this.leadingTerm = this.raft.status().term;
      const vote = this.latestGrantedVote;
      this.memberContactInTermAtMs =
        vote !== null && vote.term === this.leadingTerm ? vote.requestSentAtMs : this.options.clock();
      this.extendLeasesAfterFailover();
      this.proposeClusterId();
    }
    if (softState.role !== 'leader') {
      this.leadingTerm = null;
      this.memberContactInTermAtMs = null;
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

  /**
   * A new leader extends every live lease by the time since this node last heard from a leader, so
   * that no workstation loses its seat because a server failed. Nothing to do for the first leader
   * of this run, or when no time passed.
   */
  private extendLeasesAfterFailover(): void {
    const since = this.leaderContactAtMs;
    this.leaderContactAtMs = null;
    if (since === null) return;
    const byMs = Math.min(Math.max(0, this.options.clock() - since), DEFAULT_LEDGER_OPTIONS.maxExtendMs);
    if (byMs === 0) return;
    this.options.logger.info('extending leases after failover', { byMs });
    this.submit({ type: 'extend_leases', byMs }).catch((error: Error) => {
      this.options.logger.warn('lease extension not committed', { byMs, error: error.message });
    });
  }

  /**
   * The leader of a ledger without a cluster id records one (see cluster-id.ts); retried from the
   * lease-expiry timer until the ledger has one. A second proposal racing the first is refused by the
   * ledger and changes nothing.
   */
  private proposeClusterId(): void {
    if (!this.isLeader() || this.clusterIdProposed) return;
    const recorded = this.ledger.clusterId;
    const configured = this.options.config.cluster.id;
    if (recorded !== null) {
      if (configured !== null && configured !== recorded && !this.warnedClusterIdMismatch) {
        this.warnedClusterIdMismatch = true;
        this.options.logger.error('the ledger belongs to another cluster id than cluster.id says', {
          recorded,
          configured,
        });
      }
      return;
    }
    const clusterId = clusterIdToPropose(this.options.config);
    this.clusterIdProposed = true;
    this.submit({ type: 'set_cluster_id', clusterId }).then(
      ({ result }) => {
        this.clusterIdProposed = false;
        if (result.ok) this.options.logger.info('cluster id recorded', { clusterId });
      },
      (error: Error) => {
        this.clusterIdProposed = false;
        this.options.logger.debug('cluster id not recorded', { error: error.message });
      },
    );
  }

  /** The leader proposes a tick only when some lease may have expired, to keep the log quiet. */
  private proposeLeaseExpiry(): void {
    if (!this.isLeader()) return;
    const dueMs = this.ledger.nextExpiryMs();
    if (dueMs === null || dueMs > this.options.clock()) return;
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

/**
 * The configuration the core starts from when neither the log nor a snapshot holds one. Single
 * mode: this node alone. Pair mode: main and backup vote and are both in sync at first; the order is
 * fixed (sorted) so that both nodes start from the same configuration.
 */
export function initialConfiguration(config: TandemConfig): Configuration {
  if (config.cluster.mode === 'single') return { voters: [config.node.id], inSync: [config.node.id] };
  const dataNodes = config.cluster.nodes
    .filter((node) => node.role !== 'witness')
    .map((node) => node.id)
    .sort();
  // Witness mode: the witness votes too, and is never in the in-sync set.
  if (config.cluster.mode === 'witness') {
    const voters = config.cluster.nodes.map((node) => node.id).sort();
    return { voters, inSync: [...dataNodes] };
  }
  return { voters: dataNodes, inSync: [...dataNodes] };
}

/**
 * The configuration a stored snapshot names must be the configured cluster's. The one difference
 * taken over is a node that served alone (single mode) and now starts as part of a pair: its whole
 * history was committed by itself alone, which is what a pair configuration with only this node
 * in sync says, and the leader adds the peer to the in-sync set once it has caught up. Any other
 * difference means the data directory belongs to another cluster, and the node refuses to start.
 */
export function adoptClusterConfiguration(
  metadata: SnapshotMetadata,
  config: TandemConfig,
  logger: Logger,
): SnapshotMetadata {
  const wanted = initialConfiguration(config);
  const stored = metadata.configuration;
  const sameVoters =
    stored.voters.length === wanted.voters.length && stored.voters.every((id) => wanted.voters.includes(id));
  if (sameVoters) return metadata;
  const servedAlone = stored.voters.length === 1 && stored.voters[0] === config.node.id;
  if (config.cluster.mode === 'pair' && servedAlone) {
    const configuration = { voters: wanted.voters, inSync: [config.node.id] };
    logger.warn(
      'this data directory served alone; it joins the pair, in sync alone until the peer catches up',
      {
        snapshotIndex: metadata.index,
        voters: configuration.voters,
      },
    );
    return { ...metadata, configuration };
  }
  throw new Error(
    `the data directory ${config.node.dataDir} belongs to a cluster of ${stored.voters.join(', ')}, ` +
      `not ${wanted.voters.join(', ')} (cluster.mode ${config.cluster.mode}); use an empty data directory`,
  );
}

const MERGED_ENTRY_ENCODER = new TextEncoder();
const MERGED_ENTRY_DECODER = new TextDecoder('utf-8', { fatal: true });

/** An offered solo entry as Replica.describeMergedEntry wrote it; throws on anything else. */
function mergedEntryOf(entry: Entry): MergedEntry {
  const parsed: unknown = JSON.parse(MERGED_ENTRY_DECODER.decode(entry.data));
  const error = validateMergedEntry(parsed);
  if (error !== null) throw new Error(`offered entry ${entry.index}: ${error.field} ${error.message}`);
  const merged = parsed as MergedEntry;
  if (merged.index !== entry.index || merged.term !== entry.term) {
    throw new Error(`offered entry ${entry.index}/${entry.term} describes ${merged.index}/${merged.term}`);
  }
  return merged;
}

function raftConfig(
  config: TandemConfig,
  randomInt: (maxExclusive: number) => number,
  describeMergedEntry: (entry: Entry) => Uint8Array,
): RaftConfig {
  const ticksPer = (milliseconds: number) =>
    Math.max(1, Math.round(milliseconds / config.timing.tickIntervalMs));
  const raft: RaftConfig = {
    id: config.node.id,
    electionTimeoutTicks: ticksPer(config.timing.failoverTimeoutMs),
    heartbeatIntervalTicks: ticksPer(config.timing.heartbeatIntervalMs),
    randomInt,
    maxEntriesPerMessage: config.limits.maxBatchEntries,
    maxInflightMessages: 64,
    preVote: true,
  };
  if (config.cluster.mode === 'single') return raft;
  const limits = peerMessageLimits(config);
  const main = mainNodeId(config);
  assert.ok(main !== null, 'pair mode has a main');
  const witness = witnessOf(config);
  if (config.cluster.mode === 'witness') {
    assert.ok(witness !== null, 'witness mode has a witness');
    // The core's witness rules: a leader needs two of the three votes, the witness votes only for
    // an in-sync data node, a removal from the in-sync set is recorded with the witness first, the
    // main wins a cold start and takes leadership back, and a leader that hears from neither other
    // voter for the failover timeout steps down.
    return {
      ...raft,
      maxEntryBytes: Math.min(ENTRY_DATA_MAX_BYTES, limits.maxEntryBytes),
      maxBytesPerMessage: limits.maxBytesPerMessage,
      mode: 'witness',
      priorityNodeId: main,
      witnessNodeId: witness.id,
    };
  }
  return {
    ...raft,
    maxEntryBytes: Math.min(ENTRY_DATA_MAX_BYTES, limits.maxEntryBytes),
    maxBytesPerMessage: limits.maxBytesPerMessage,
    // The core's pair rules: silence from the peer counts as consent after the failover timeout,
    // the main wins a cold start and takes leadership back once caught up, and a restarted node
    // waits for its peer for the start-up grace before it may win alone.
    mode: 'pair',
    priorityNodeId: main,
    describeMergedEntry,
    startupGraceTicks: Math.round(config.timing.startupGraceMs / config.timing.tickIntervalMs),
  };
}
