// The driver carries out what the pure consensus core decides, for the server (gRPC, LevelDB, wall
// clock) and for the deterministic simulation (in-memory network and storage, virtual clock) alike.
// It is synchronous: storage completes through callbacks, and the environment decides when those
// run. So the simulation checks the very ordering that production runs:
// - one Ready at a time: persist it (one write, one fsync), then send its messages, apply its
//   committed entries, advance; a leader whose term is already durable sends its appends and
//   applies earlier commits while its own write is in flight (see leadsWithDurableTerm);
// - group commit: client operations that arrive while a write waits for its fsync are proposed
//   together as the next batch;
// - waiters by log index answer an operation only when the entry of its term is applied;
// - the leader stamps each batch with its monotonic clock, proposes lease-expiry ticks when a
//   lease is due, records the cluster id, and after a failover extends leases by the time it took;
// - pair mode: a backup describes its solo entries for a merge, the main builds the merge, a
//   merged backup discards its history;
// - every snapshotEveryBytes of applied log (or snapshotEveryEntries entries) it snapshots the
//   state machine and compacts the log, unless a backup must keep its solo stretch for a merge. The
//   snapshot is a frozen view taken at once and written a slice at a time in later turns
//   (scheduler.later), while Readies go on; only the compaction write itself is between Readies.
import assert from 'node:assert/strict';
import {
  ConsensusError,
  type Entry,
  type HardState,
  type InitialState,
  type MergeOffer,
  type Message,
  type NodeId,
  type ProposalPosition,
  type RaftConfig,
  RaftNode,
  type RaftStatus,
  type Ready,
  type Snapshot,
  type SnapshotReport,
  type SoftState,
} from '@tandem/consensus';
import type { Command, Result, StateMachine, StateMachineFactory } from '@tandem/ledger';
import type {
  DriverEvents,
  DriverLimits,
  DriverLogger,
  DriverScheduler,
  DriverStorage,
  DriverTransport,
} from './environment.js';
import { DriverRefusal, SnapshotDataError } from './errors.js';
import { decodeNodeSnapshot, GENESIS_LOG_HASH, type LogHash, LogHashChain } from './log-hash.js';
import {
  DEFAULT_SNAPSHOT_SLICE_RECORDS,
  LOG_ENTRY_OVERHEAD_BYTES,
  SLOW_SNAPSHOT_SLICE_MS,
  SnapshotJob,
} from './snapshot-job.js';
import { type DriverStatistics, emptyDriverStatistics } from './statistics.js';

export interface DriverOptions<S extends StateMachine> {
  /** The core's configuration; the driver adds describeMergedEntry. */
  raft: Omit<RaftConfig, 'describeMergedEntry'>;
  /** What storage held at start; the snapshot's bytes come separately (snapshotData). */
  initial: InitialState;
  /** The stored snapshot's bytes (a node snapshot: see log-hash.ts), or null. */
  snapshotData: Uint8Array | null;
  stateMachines: StateMachineFactory<S>;
  storage: DriverStorage;
  transport: DriverTransport;
  /** Wall-clock ms: leader timestamps (made monotonic here), deadlines, lease extension. */
  clock: () => number;
  scheduler: DriverScheduler;
  logger: DriverLogger;
  limits: DriverLimits;
  /** The cluster id a leader records in a ledger that has none; null: record none. */
  clusterIdToPropose: string | null;
  /** The cluster id the configuration names, to warn when the ledger's differs; null: none. */
  configuredClusterId: string | null;
  events?: DriverEvents;
  /** Counted into, when given (the simulation keeps one across a node's restarts). */
  statistics?: DriverStatistics;
  /** Campaign at start instead of after an election timeout: for a cluster of one. */
  campaignAtStart?: boolean;
  /**
   * Note when this node, as leader, first saw each entry committed (Applied.committedAtMs). It
   * costs a status() per input; the simulation's stale-leader check needs it, the server does not.
   */
  trackCommitDecisions?: boolean;
}

/** A committed and applied client operation. */
export interface Applied {
  result: Result;
  index: number;
  term: number;
  /**
   * When this node first saw the entry committed as leader (trackCommitDecisions), else when it
   * was applied. The answer may leave later; what check-quorum bounds is the decision.
   */
  committedAtMs: number;
}

/** How an operation ended: applied, or refused (see DriverRefusal's codes). */
export type Completion = (outcome: Applied | DriverRefusal) => void;

interface QueuedOperation {
  command: Command;
  deadlineMs: number;
  done: Completion;
}

interface Waiter extends QueuedOperation {
  term: number;
}

/** A Ready whose write is in flight, with what is left to do once it is durable. */
interface ReadyWrite {
  kind: 'ready';
  ready: Ready;
  messages: Message[];
  committedEntries: Entry[];
  hardState: HardState | null;
}

type WriteInFlight = ReadyWrite | { kind: 'compaction'; job: SnapshotJob; snapshot: Snapshot };

/** Far more Readies than one input can cause; see pump(). */
const MAX_READIES_PER_PUMP = 100_000;
/**
 * Committed entries one turn applies before it lets other events in (scheduler.later): a node
 * replaying its log after a restart, or catching up thousands of entries, would otherwise hold its
 * thread for seconds, and the peer's TLS handshake, its appends and the clients' calls would all
 * wait behind it. The core hands out at most this many per Ready too, unless the options say
 * otherwise.
 */
export const APPLY_ENTRIES_PER_TURN = 512;

export class Driver<S extends StateMachine> {
  readonly raft: RaftNode;
  readonly statistics: DriverStatistics;
  private sm: S;
  /** Operations accepted but not yet proposed. Bounded by limits.maxPendingOperations. */
  private queue: QueuedOperation[] = [];
  /** Proposed operations by log index, waiting for their entry to be applied. */
  private readonly waiters = new Map<number, Waiter>();
  /** The one write waiting for its fsync; no Ready is taken meanwhile. */
  private writeInFlight: WriteInFlight | null = null;
  private pumping = false;
  private pumpAgain = false;
  private pumpRequested = false;
  /** Entries applied since this turn began (see APPLY_ENTRIES_PER_TURN). */
  private appliedThisTurn = 0;
  /** A pump is scheduled in a later turn, after a turn applied its share. */
  private resumeScheduled = false;
  private stopped = false;
  private fatalError: Error | null = null;
  private afterStop: (() => void) | null = null;
  /** The leader's entry timestamps never go backwards, even if the wall clock does. */
  private lastTimestampMs: number;
  /** The core's role and leader as of the last role change carried out (Ready.roleChanges). */
  private softState: SoftState = { role: 'follower', leaderId: null };
  /** The term this node leads in, or null when it does not lead. */
  private leadingTerm: number | null = null;
  /**
   * The latest send time of a request that another voting member answered in this leader's own
   * term (so it still followed this leader when it answered). Reads are answered only while this is
   * recent: see readable. It is the time the request left, not the time the answer was read:
   * answers that queued up while this process was stopped say nothing about the present.
   */
  private memberContactInTermAtMs: number | null = null;
  /** When the request behind the latest vote granted to this node left, and in which term. */
  private latestGrantedVote: { term: number; requestSentAtMs: number } | null = null;
  /** The last hard state written to storage, to tell which Readies need an fsync. */
  private persistedHardState: HardState | null;
  /** The newest hard state handed out by the core and not yet written (only a commit index ahead). */
  private unwrittenHardState: HardState | null = null;
  private snapshotIndex: number;
  /**
   * Wall-clock time of the last sign of a leader in this run: a message from another leader, or
   * the moment this node stopped leading. A new leader extends every lease by the time since then.
   */
  private leaderContactAtMs: number | null = null;
  private nextLeaderDutiesAtMs = 0;
  /** A due compaction is held back to keep the solo stretch for a merge. */
  private holdingCompaction = false;
  private warnedRetentionOverflow = false;
  /** A set_cluster_id this leader proposed and that has not been applied or refused yet. */
  private clusterIdProposed = false;
  private warnedClusterIdMismatch = false;
  /** Snapshots asked for by the operator, answered by the next snapshot begun (see takeSnapshot). */
  private snapshotRequests: Array<(outcome: Snapshot | Error) => void> = [];
  /** The snapshot being written, or written and waiting for its compaction; at most one. */
  private snapshotJob: SnapshotJob | null = null;
  /** Bytes of log applied so far in this run (entry data and LOG_ENTRY_OVERHEAD_BYTES each). */
  private appliedLogBytes = 0;
  /** appliedLogBytes at the index of the latest snapshot: the log since is what counts. */
  private snapshotLogBytes = 0;
  /** The hash chain over the applied log (see log-hash.ts). */
  private readonly logHashes = new LogHashChain();
  /** State machines restored from received snapshots while their data was checked, by that data. */
  private readonly preparedSnapshots = new WeakMap<Uint8Array, S>();
  /** trackCommitDecisions: (commit index, when this leader first saw it), oldest first. */
  private commitDecisions: Array<{ index: number; atMs: number }> = [];
  private commitDecisionsHead = 0;

  constructor(private readonly options: DriverOptions<S>) {
    const { initial, snapshotData, stateMachines } = options;
    this.statistics = options.statistics ?? emptyDriverStatistics();
    let logHash: LogHash | null = GENESIS_LOG_HASH;
    if (snapshotData === null || initial.snapshot === null) {
      this.sm = stateMachines.empty();
    } else {
      const stored = decodeNodeSnapshot(snapshotData, initial.snapshot.index);
      this.sm = stateMachines.restore(stored.ledger);
      logHash = stored.logHash;
    }
    this.logHashes.restore(logHash);
    this.snapshotIndex = initial.snapshot?.index ?? 0;
    this.persistedHardState = initial.hardState;
    this.lastTimestampMs = this.sm.clockMs;
    // The backup describes each solo entry it offers for a merge with its own ledger's answer.
    this.raft = new RaftNode(
      {
        maxCommittedEntriesPerReady: APPLY_ENTRIES_PER_TURN,
        ...options.raft,
        describeMergedEntry: (entry) => this.sm.describeForMerge(entry),
      },
      initial,
    );
  }

  /** The applied state machine; read-only use only (queries and pre-checks). */
  get stateMachine(): S {
    return this.sm;
  }

  /** Whether the driver takes messages and operations (not stopped, not failed). */
  get serving(): boolean {
    return !this.stopped && this.fatalError === null;
  }

  isLeader(): boolean {
    return this.softState.role === 'leader';
  }

  get leaderId(): NodeId | null {
    return this.softState.leaderId;
  }

  /** Campaigning on a timeout_now (see RaftNode.takingOver): this node is about to lead. */
  get takingOver(): boolean {
    return this.serving && !this.isLeader() && this.raft.takingOver;
  }

  /**
   * The leader to send a refused client to: the known one, or, right after this node handed
   * leadership over and before the new leader has made itself known, the node it handed to.
   */
  leaderHint(): NodeId | null {
    return this.softState.leaderId ?? this.raft.recentTransferTarget;
  }

  /** No write in flight, nothing queued and nobody waiting. */
  get isIdle(): boolean {
    return this.writeInFlight === null && this.queue.length === 0 && this.waiters.size === 0;
  }

  status(): RaftStatus {
    return this.raft.status();
  }

  get currentSnapshotIndex(): number {
    return this.snapshotIndex;
  }

  /** Starts taking Readies; a cluster of one (campaignAtStart) elects itself at once. */
  start(): void {
    if (this.options.campaignAtStart === true) this.raft.campaign();
    this.afterInput();
  }

  /**
   * One tick of the node's timer: the core's tick, commit timeouts, and the leader's periodic
   * duties (due leases, a missing cluster id).
   */
  tick(): void {
    if (!this.serving) return;
    this.raft.tick();
    this.expireWaiters();
    if (this.isLeader() && this.options.clock() >= this.nextLeaderDutiesAtMs) {
      this.nextLeaderDutiesAtMs = this.options.clock() + this.options.limits.leaseExpiryIntervalMs;
      this.proposeLeaseExpiry();
      this.proposeClusterId();
    }
    this.afterInput();
  }

  /**
   * Proposes a command; `done` runs once it is applied, or with the refusal. It never runs before
   * submit returns... except for a refusal known at once (stopped, not leader, overloaded).
   */
  submit(command: Command, done: Completion): void {
    if (this.stopped) {
      done(new DriverRefusal('shutting_down', 'the node is shutting down'));
      return;
    }
    if (this.fatalError !== null) {
      done(new DriverRefusal('shutting_down', `the node failed: ${this.fatalError.message}`));
      return;
    }
    if (!this.isLeader()) {
      done(new DriverRefusal('not_leader', 'this node is not the leader', this.leaderHint()));
      return;
    }
    const { limits } = this.options;
    if (this.queue.length + this.waiters.size >= limits.maxPendingOperations) {
      done(
        new DriverRefusal('overloaded', `more than ${limits.maxPendingOperations} operations are pending`),
      );
      return;
    }
    this.queue.push({ command, deadlineMs: this.options.clock() + limits.operationTimeoutMs, done });
    this.requestPump();
  }

  /**
   * Whether this leader may answer a read from its applied state: it commits alone (nobody else may
   * lead while it is the only in-sync member), or it heard another voting member in its own term
   * within `leaseMs`. A leader whose process was stopped (SIGSTOP) or starved past the failover
   * timeout has been replaced meanwhile, maybe without knowing it yet; it must not answer from a
   * state the new leader has moved past. Writes need no such check: they are answered only once
   * the in-sync set has them.
   */
  readable(leaseMs: number): boolean {
    if (!this.isLeader()) return false;
    if (this.raft.committingAlone) return true;
    const contactAtMs = this.memberContactInTermAtMs;
    return contactAtMs !== null && this.options.clock() - contactAtMs <= leaseMs;
  }

  /**
   * A message from a peer (a request it received, or the answer to a request this node sent, with
   * when that request left). What the core makes of it comes out of the next Ready. Messages after
   * stop are dropped, as the network might have dropped them.
   */
  step(message: Message, requestSentAtMs?: number): void {
    if (!this.serving) return;
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
      // The peer layer checked the message's form, so the core refusing it is an impossible state.
      this.fail(error as Error);
      return;
    }
    const fromLeader = message.type === 'append_entries' || message.type === 'install_snapshot';
    if (fromLeader && this.raft.status().leaderId === message.from)
      this.leaderContactAtMs = this.options.clock();
    this.afterInput();
  }

  /** The transport could not reach a peer: the leader stops pipelining to it. */
  reportUnreachable(peer: NodeId): void {
    if (!this.serving) return;
    this.raft.reportUnreachable(peer);
    this.afterInput();
  }

  /**
   * The transport could not deliver a vote request because the peer's port refused the connection
   * (see RaftNode.voteRequestRefused); request is the term and kind of the request it carried.
   */
  reportVoteRefused(peer: NodeId, request: { term: number; preVote: boolean }): void {
    if (!this.serving) return;
    this.raft.voteRequestRefused(peer, request);
    this.afterInput();
  }

  /** The transport finished (or failed) streaming a snapshot to a peer. */
  reportSnapshot(peer: NodeId, report: SnapshotReport): void {
    if (!this.serving) return;
    this.raft.reportSnapshot(peer, report);
    this.afterInput();
  }

  /**
   * Starts handing leadership to a peer: the core refuses proposals meanwhile, brings the peer up
   * to date and tells it to campaign. Throws DriverRefusal not_leader when this node cannot.
   */
  transferLeadership(peer: NodeId): void {
    if (!this.isLeader())
      throw new DriverRefusal('not_leader', 'this node is not the leader', this.softState.leaderId);
    try {
      this.raft.transferLeadership(peer);
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      throw new DriverRefusal('not_leader', error.message, this.softState.leaderId);
    }
    this.afterInput();
  }

  /** This node is about to stop: its leader drops it from the in-sync set (see RaftNode.leave). */
  leave(): void {
    if (!this.serving) return;
    this.raft.leave();
    this.afterInput();
  }

  /**
   * Drains or undrains a data node (see RaftNode.setDrained): returns where the configuration entry
   * landed, or null when nothing changed. Throws DriverRefusal not_leader when this node does not
   * lead, and the core's other ConsensusErrors (a change pending, a drain refused) as they are.
   */
  setDrained(node: NodeId, drained: boolean): ProposalPosition | null {
    if (!this.isLeader())
      throw new DriverRefusal('not_leader', 'this node is not the leader', this.leaderHint());
    let position: ProposalPosition | null;
    try {
      position = this.raft.setDrained(node, drained);
    } catch (error) {
      if (error instanceof ConsensusError && error.code === 'not_leader') {
        throw new DriverRefusal('not_leader', error.message, this.leaderHint());
      }
      throw error;
    }
    this.afterInput();
    return position;
  }

  /**
   * Takes a snapshot at the applied index (or, while one is being written, at the index after it)
   * and compacts the log under it; `done` gets it (or the error). It compacts a backup's solo stretch too, which a later merge
   * then cannot offer: the operator asked for it.
   */
  takeSnapshot(done: (outcome: Snapshot | Error) => void): void {
    if (!this.serving) {
      done(new DriverRefusal('shutting_down', 'the node is shutting down'));
      return;
    }
    this.snapshotRequests.push(done);
    this.requestPump();
  }

  /**
   * Checks a snapshot received from a peer before it is stepped into the core: the header and its
   * log hash, and that the state restores to one no further than the snapshot's index. The core
   * installs what it is given, and a snapshot the state machine cannot read would stop this node
   * (and again after every restart, since the snapshot is stored first). The restored state machine
   * is kept for the install. Throws SnapshotDataError.
   */
  prepareSnapshot(data: Uint8Array, snapshotIndex: number): void {
    const decoded = decodeNodeSnapshot(data, snapshotIndex);
    let restored: S;
    try {
      restored = this.options.stateMachines.restore(decoded.ledger);
    } catch (error) {
      throw new SnapshotDataError(`is not a ledger snapshot (${(error as Error).message})`);
    }
    if (restored.appliedIndex > snapshotIndex) {
      throw new SnapshotDataError(
        `holds entries up to ${restored.appliedIndex}, beyond the snapshot index ${snapshotIndex}`,
      );
    }
    this.preparedSnapshots.set(data, restored);
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

  /**
   * A clean stop: everything queued or waiting is refused, the write in flight finishes, and a
   * commit index that skipped its own fsync is written too, so that a restart knows what was
   * committed (in pair mode a node that committed alone could otherwise take its own committed
   * entries for uncommitted ones and let its peer overwrite them). `done` runs once that is durable.
   */
  stop(done: () => void): void {
    if (this.stopped) {
      done();
      return;
    }
    this.stopped = true;
    const error = new DriverRefusal('shutting_down', 'the node is shutting down');
    this.refuseAll(error);
    this.abandonSnapshot(error);
    const hardState = this.unwrittenHardState;
    if (hardState !== null && this.fatalError === null) {
      this.unwrittenHardState = null;
      // Storage orders writes, so this one lands after any write in flight.
      this.options.storage.persist({ hardState }, () => done());
    } else if (this.writeInFlight !== null) {
      this.afterStop = done;
    } else {
      done();
    }
  }

  /**
   * A crash: the driver stops at once, answers nobody and writes nothing more; callbacks of writes
   * in flight are ignored. (The simulation's power failure; a real process just dies.)
   */
  halt(): void {
    this.stopped = true;
    this.afterStop = null;
    this.snapshotJob = null;
  }

  /** The environment acted on the core directly (raft): carry out what follows from it. */
  wake(): void {
    if (this.serving) this.afterInput();
  }

  // -----------------------------------------------------------------------------------------------
  // The Ready loop.

  private afterInput(): void {
    if (this.options.trackCommitDecisions === true) this.noteCommitDecisions();
    this.requestPump();
  }

  private requestPump(): void {
    if (this.pumpRequested || !this.serving) return;
    this.pumpRequested = true;
    this.options.scheduler.defer(() => {
      this.pumpRequested = false;
      this.pump();
    });
  }

  /** Carries out Readies until one needs an fsync (or none is left), then compacts if due. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    this.appliedThisTurn = 0;
    try {
      do {
        this.pumpAgain = false;
        this.pumpReadies();
      } while (this.pumpAgain && this.serving);
    } catch (error) {
      // A storage failure (or a bug) leaves the node unable to promise durability: stop at once.
      this.fail(error as Error);
    } finally {
      this.pumping = false;
    }
  }

  private pumpReadies(): void {
    // Bounded, so that a core or driver bug that never stops producing Readies fails loudly
    // instead of hanging.
    for (let readies = 0; this.serving && this.writeInFlight === null; readies += 1) {
      if (readies >= MAX_READIES_PER_PUMP) {
        const status = this.raft.status();
        throw new Error(
          `${readies} Readies in one pump (role ${status.role}, term ${status.term}, commit ${status.commitIndex}, last ${status.lastIndex})`,
        );
      }
      if (this.appliedThisTurn >= APPLY_ENTRIES_PER_TURN) {
        this.resumeInLaterTurn();
        return;
      }
      this.proposeQueued();
      if (!this.raft.hasReady()) {
        this.maybeCompact();
        return;
      }
      this.handleReady(this.raft.ready());
    }
  }

  /** Goes on with the Readies after the messages, calls and writes already waiting. */
  private resumeInLaterTurn(): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    this.options.scheduler.later(() => {
      this.resumeScheduled = false;
      if (this.serving) this.pump();
    });
  }

  private handleReady(ready: Ready): void {
    // The core counts a Ready's hard state as written once advanced, so a hard state whose write is
    // skipped is kept here and written with the next batch (or at stop).
    if (ready.hardState !== null) this.unwrittenHardState = ready.hardState;
    // Before anything of this Ready is written: the backup starts over as an empty node.
    if (ready.discardHistory) this.discardHistory();
    let messages = ready.messages;
    let committedEntries = ready.committedEntries;
    if (this.leadsWithDurableTerm(ready)) {
      // A leader replicates a batch while it persists it, and answers the operations committed
      // earlier without waiting for this batch's fsync. Raft allows both: the core counts the
      // leader's own entries only once advance() says they are durable, so every committed entry
      // is already durable here and on every in-sync follower (when there is one: see below). Only appends go early: answers and
      // votes still wait for the write they depend on.
      const firstNewIndex = ready.entries[0]?.index ?? Number.POSITIVE_INFINITY;
      const lastCommitted = committedEntries.at(-1);
      assert.ok(
        lastCommitted === undefined || lastCommitted.index < firstNewIndex,
        `the leader committed entry ${lastCommitted?.index} before persisting it`,
      );
      const appends = messages.filter((message) => message.type === 'append_entries');
      if (appends.length > 0) {
        this.options.transport.send(appends);
        messages = messages.filter((message) => message.type !== 'append_entries');
      }
      if (!this.serving) return;
      // Serving alone, the commit index is known nowhere else: the entries it commits are answered
      // only once this write has made it durable, or a crash could forget an acknowledged commit
      // and let the peer overwrite it (simulation seed 1505 in pair mode found this).
      if (!this.raft.committingAlone) {
        this.applyEntries(committedEntries);
        committedEntries = [];
      }
    }
    // The core says when the write may wait (Ready.mustSync): a Ready whose only change is a higher
    // commit index rides along with the next write; term, vote and entries never wait.
    if (!ready.mustSync) {
      this.finishReady({ kind: 'ready', ready, messages, committedEntries, hardState: null });
      return;
    }
    const hardState = this.unwrittenHardState;
    this.unwrittenHardState = null;
    const write: ReadyWrite = { kind: 'ready', ready, messages, committedEntries, hardState };
    this.writeInFlight = write;
    this.options.storage.persist(
      {
        ...(ready.discardHistory ? { discardHistory: true } : {}),
        hardState,
        entries: ready.entries,
        snapshot: ready.snapshot,
      },
      (error) => this.writeDone(write, error),
    );
  }

  /** The write in flight is durable (or failed): carry on where it left off. */
  private writeDone(write: WriteInFlight, error: Error | null): void {
    if (this.writeInFlight !== write) return;
    this.writeInFlight = null;
    if (error !== null) {
      this.fail(error);
      return;
    }
    if (this.stopped) {
      const afterStop = this.afterStop;
      this.afterStop = null;
      afterStop?.();
      return;
    }
    try {
      if (write.kind === 'ready') {
        if (write.hardState !== null) this.persistedHardState = write.hardState;
        this.finishReady(write);
      } else {
        this.finishCompaction(write.job, write.snapshot);
      }
    } catch (failure) {
      this.fail(failure as Error);
      return;
    }
    this.pump();
  }

  /** Once a Ready is durable: install its snapshot, send, apply, advance. */
  private finishReady(write: ReadyWrite): void {
    const { ready } = write;
    if (ready.snapshot !== null) this.installSnapshot(ready.snapshot);
    if (write.messages.length > 0) this.options.transport.send(write.messages);
    if (!this.serving) return;
    this.applyEntries(write.committedEntries);
    this.raft.advance(ready);
    // Serving alone, the leader's own fsync is what commits.
    if (this.options.trackCommitDecisions === true) this.noteCommitDecisions();
    this.observeRoleChanges(ready);
    for (const offer of ready.mergeOffers) this.proposeMerge(offer);
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

  private installSnapshot(snapshot: Snapshot): void {
    // A snapshot of our own being written describes a state this one replaces.
    this.cancelSnapshotJob('a snapshot from the leader replaced the state');
    this.snapshotLogBytes = this.appliedLogBytes;
    const decoded = decodeNodeSnapshot(snapshot.data, snapshot.metadata.index);
    this.sm = this.preparedSnapshots.get(snapshot.data) ?? this.options.stateMachines.restore(decoded.ledger);
    this.preparedSnapshots.delete(snapshot.data);
    this.snapshotIndex = snapshot.metadata.index;
    this.logHashes.restore(decoded.logHash);
    this.lastTimestampMs = Math.max(this.lastTimestampMs, this.sm.clockMs);
    this.statistics.snapshotsInstalled += 1;
    this.options.logger.info('snapshot installed', { index: snapshot.metadata.index });
    this.options.events?.snapshotInstalled?.(snapshot);
  }

  private applyEntries(entries: Entry[]): void {
    this.appliedThisTurn += entries.length;
    for (const entry of entries) {
      this.logHashes.extend(entry);
      this.appliedLogBytes += entry.data.byteLength + LOG_ENTRY_OVERHEAD_BYTES;
      let result: Result | null = null;
      if (entry.kind === 'normal') {
        result = this.sm.apply(entry);
        if (this.sm.clockMs > this.lastTimestampMs) this.lastTimestampMs = this.sm.clockMs;
      }
      this.options.events?.entryApplied?.(entry, result);
      const waiter = this.waiters.get(entry.index);
      if (waiter === undefined) continue;
      this.waiters.delete(entry.index);
      if (result !== null && waiter.term === entry.term) {
        waiter.done({
          result,
          index: entry.index,
          term: entry.term,
          committedAtMs: this.commitDecidedAtMs(entry.index),
        });
      } else {
        // Another leader's entry took this index: the operation may be retried safely.
        waiter.done(
          new DriverRefusal('leadership_lost', 'leadership changed before commit', this.leaderHint()),
        );
      }
    }
    const last = entries.at(-1);
    if (last !== undefined) this.options.events?.applied?.(last.index);
  }

  // -----------------------------------------------------------------------------------------------
  // Proposals.

  /** Group commit: everything queued goes into the log as few batches as the limit allows. */
  private proposeQueued(): void {
    if (this.queue.length === 0) return;
    if (!this.isLeader()) {
      const error = new DriverRefusal('not_leader', 'leadership moved', this.leaderHint());
      for (const operation of this.queue.splice(0)) operation.done(error);
      return;
    }
    // During a leadership transfer (an election timeout at most) the core takes no proposals:
    // the queue waits, and is refused with the new leader's name once it has taken over, so that
    // its clients go there at once; an abandoned transfer proposes it here as usual.
    if (this.raft.leadTransferee !== null) return;
    while (this.queue.length > 0) {
      const timestampMs = this.nextTimestamp();
      const { batch, data } = this.encodeBatch(
        this.queue.splice(0, this.options.limits.maxBatchEntries),
        timestampMs,
      );
      if (batch.length === 0) continue;
      let proposal: ReturnType<RaftNode['propose']>;
      try {
        proposal = this.raft.propose('normal', data);
      } catch (error) {
        // The core refuses proposals it cannot take now (not leader, a leadership transfer, too
        // many uncommitted entries); every one of them is safe to retry with the same request id.
        if (!(error instanceof ConsensusError)) throw error;
        const refusal = new DriverRefusal(
          error.code === 'not_leader' ? 'not_leader' : 'overloaded',
          error.message,
          this.softState.leaderId,
        );
        for (const operation of [...batch, ...this.queue.splice(0)]) operation.done(refusal);
        return;
      }
      assert.equal(proposal.lastIndex - proposal.firstIndex + 1, batch.length, 'one entry per operation');
      this.statistics.batches += 1;
      this.statistics.proposedOperations += batch.length;
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
    const { maxEntryBytes } = this.options.limits;
    for (const operation of operations) {
      const bytes = this.sm.encode(operation.command, timestampMs);
      if (bytes === null || bytes.byteLength > maxEntryBytes) {
        operation.done(
          new DriverRefusal('too_large', `is too large to replicate (at most ${maxEntryBytes} bytes)`),
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

  /** The leader's own commands: nobody waits for them, so their outcome is only logged. */
  private submitOwn(command: Command, what: string, onApplied?: (applied: Applied) => void): void {
    this.submit(command, (outcome) => {
      if (outcome instanceof DriverRefusal) {
        this.options.logger.debug(`${what} not committed`, { error: outcome.message });
      } else {
        onApplied?.(outcome);
      }
    });
  }

  // -----------------------------------------------------------------------------------------------
  // Leadership.

  /**
   * Carries out each role change of the Ready in order (Ready.roleChanges): a leadership that ends
   * refuses its waiters and marks when this node last saw a leader; each leadership that begins
   * restarts the read lease and the leader's duties. That includes a leadership the soft state
   * hides: a leader that stepped down and won a new term within one Ready hands out the same soft
   * state as before, and only its role changes say that it leads a new term, whose members'
   * answers must count for its read lease (issue 14: such a leader refused every read for 90 s).
   */
  private observeRoleChanges(ready: Ready): void {
    for (const change of ready.roleChanges) {
      const previous = this.softState;
      this.softState = { role: change.role, leaderId: change.leaderId };
      // The core goes from leader only to another role, but when it dropped the oldest changes of
      // an overfull Ready (see Ready.roleChanges) the next one kept may be a new leadership.
      if (previous.role === 'leader') this.stoppedLeading(change.leaderId);
      this.options.events?.roleChanged?.(previous, change);
      if (change.role === 'leader') this.becameLeader(change.term);
    }
    const softState = ready.softState;
    assert.ok(
      softState === null ||
        (softState.role === this.softState.role && softState.leaderId === this.softState.leaderId),
      'the role changes end at the soft state',
    );
  }

  private stoppedLeading(leaderId: NodeId | null): void {
    this.leaderContactAtMs = this.options.clock();
    this.leadingTerm = null;
    this.memberContactInTermAtMs = null;
    const error = new DriverRefusal(
      'leadership_lost',
      'this node stopped leading',
      leaderId ?? this.raft.recentTransferTarget,
    );
    for (const waiter of this.waiters.values()) waiter.done(error);
    this.waiters.clear();
  }

  private becameLeader(term: number): void {
    // Winning the election was hearing a member in this term: a vote, dated from when it was asked
    // for, or (pair mode) the other member's silence, which is now.
    this.leadingTerm = term;
    const vote = this.latestGrantedVote;
    this.memberContactInTermAtMs =
      vote !== null && vote.term === term ? vote.requestSentAtMs : this.options.clock();
    this.statistics.timesElected += 1;
    this.nextLeaderDutiesAtMs = this.options.clock() + this.options.limits.leaseExpiryIntervalMs;
    this.commitDecisions = [];
    this.commitDecisionsHead = 0;
    this.extendLeasesAfterFailover();
    this.proposeClusterId();
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
    const byMs = Math.min(Math.max(0, this.options.clock() - since), this.options.limits.maxExtendMs);
    if (byMs === 0) return;
    this.options.logger.info('extending leases after failover', { byMs });
    this.statistics.extendLeasesProposed += 1;
    this.submitOwn({ type: 'extend_leases', byMs }, 'lease extension');
  }

  /**
   * The leader of a ledger without a cluster id records one; retried at the lease-expiry cadence
   * until the ledger has one. A second proposal racing the first is refused by the ledger and
   * changes nothing.
   */
  private proposeClusterId(): void {
    if (!this.isLeader() || this.clusterIdProposed) return;
    const recorded = this.sm.clusterId;
    const configured = this.options.configuredClusterId;
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
    const clusterId = this.options.clusterIdToPropose;
    if (clusterId === null) return;
    this.clusterIdProposed = true;
    this.submit({ type: 'set_cluster_id', clusterId }, (outcome) => {
      this.clusterIdProposed = false;
      if (outcome instanceof DriverRefusal) {
        this.options.logger.debug('cluster id not recorded', { error: outcome.message });
      } else if (outcome.result.ok) {
        this.options.logger.info('cluster id recorded', { clusterId });
      }
    });
  }

  /** The leader proposes a tick only when some lease may have expired, to keep the log quiet. */
  private proposeLeaseExpiry(): void {
    const dueMs = this.sm.nextExpiryMs();
    if (dueMs === null || dueMs > this.options.clock()) return;
    this.statistics.leaseTicksProposed += 1;
    this.submitOwn({ type: 'tick' }, 'lease expiry tick');
  }

  private expireWaiters(): void {
    const now = this.options.clock();
    // Waiters are in proposal order, which is the order of their deadlines: stop at the first
    // still running, so that a tick costs nothing while nothing expires.
    for (const [index, waiter] of this.waiters) {
      if (waiter.deadlineMs > now) break;
      this.waiters.delete(index);
      waiter.done(
        new DriverRefusal(
          'commit_timeout',
          'the operation was not committed in time',
          this.softState.leaderId,
        ),
      );
    }
  }

  /** Stamps the commit index this leader sees now with when it first saw it. */
  private noteCommitDecisions(): void {
    if (!this.serving) return;
    const status = this.raft.status();
    if (status.role !== 'leader') return;
    const last = this.commitDecisions.at(-1);
    if (last !== undefined && last.index >= status.commitIndex) return;
    this.commitDecisions.push({ index: status.commitIndex, atMs: this.options.clock() });
    // A decision through an applied index answers no waiter any more: keep only the ones ahead, so
    // that a leader nobody submits to does not collect them for its whole term.
    const decisions = this.commitDecisions;
    while (
      this.commitDecisionsHead < decisions.length - 1 &&
      (decisions[this.commitDecisionsHead]?.index ?? 0) <= status.appliedIndex
    ) {
      this.commitDecisionsHead += 1;
    }
    if (this.commitDecisionsHead > 1024) {
      decisions.splice(0, this.commitDecisionsHead);
      this.commitDecisionsHead = 0;
    }
  }

  /** When this leader first saw `index` committed; now when not tracked. Entries come in order. */
  private commitDecidedAtMs(index: number): number {
    const decisions = this.commitDecisions;
    while (
      this.commitDecisionsHead < decisions.length &&
      (decisions[this.commitDecisionsHead]?.index ?? 0) < index
    ) {
      this.commitDecisionsHead += 1;
    }
    if (this.commitDecisionsHead > 1024) {
      decisions.splice(0, this.commitDecisionsHead);
      this.commitDecisionsHead = 0;
    }
    return decisions[this.commitDecisionsHead]?.atMs ?? this.options.clock();
  }

  // -----------------------------------------------------------------------------------------------
  // Pair mode: the merge after a split brain.

  /**
   * On a backup whose solo entries the main has merged: the node starts over empty and catches up
   * from the main (the core and storage drop the log in this same Ready).
   */
  private discardHistory(): void {
    const status = this.raft.status();
    this.options.logger.warn('the main merged our solo entries; discarding our history to follow it', {
      term: status.term,
      leaderId: status.leaderId,
    });
    this.cancelSnapshotJob('the history it describes is discarded');
    this.sm = this.options.stateMachines.empty();
    this.snapshotIndex = 0;
    this.appliedLogBytes = 0;
    this.snapshotLogBytes = 0;
    this.logHashes.restore(GENESIS_LOG_HASH);
    const error = new DriverRefusal(
      'leadership_lost',
      'this node is rejoining the main',
      this.softState.leaderId,
    );
    for (const waiter of this.waiters.values()) waiter.done(error);
    this.waiters.clear();
    this.statistics.historiesDiscarded += 1;
    this.options.events?.historyDiscarded?.();
  }

  /**
   * On the main after a split brain: the backup's offered solo entries become ledger merge
   * entries (the ledger deduplicates them by request id and records any overdraft).
   */
  private proposeMerge(offer: MergeOffer): void {
    if (!this.serving) return;
    let data: Uint8Array[];
    try {
      const built = this.sm.buildMerge(offer, this.nextTimestamp());
      for (const { index, reason } of built.dropped) {
        this.options.logger.warn('a solo entry is invalid on its own and is not merged', {
          from: offer.from,
          index,
          error: reason,
        });
      }
      for (const item of built.data) {
        if (item.byteLength > this.options.limits.maxEntryBytes)
          throw new Error(`${item.byteLength} bytes is too large`);
      }
      data = built.data;
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
      this.statistics.mergesProposed += 1;
      this.options.logger.warn("merging the backup's solo entries after a split brain", {
        from: offer.from,
        entries: offer.entries.length,
        backupIndices: `${offer.firstIndex}..${offer.throughIndex}`,
        backupTerms: offer.sourceTerms,
        mergeIndices: `${position.firstIndex}..${position.lastIndex}`,
        incomplete: offer.incomplete,
      });
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      this.statistics.mergeProposalsRefused += 1;
      this.options.logger.info('merge not proposed now; the backup offers again', { error: error.message });
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Snapshots.

  /**
   * A backup serving alone keeps its solo stretch in the log, so that after a split brain it can
   * still offer those entries to the main for merging; past maxRetainedSoloEntries it compacts
   * anyway (the memory bound wins) and says that a merge could no longer recover them.
   */
  private compactionAllowed(appliedIndex: number, mergeRetentionIndex: number | null): boolean {
    if (mergeRetentionIndex === null || appliedIndex < mergeRetentionIndex) return true;
    const { maxRetainedSoloEntries } = this.options.limits;
    if (appliedIndex - mergeRetentionIndex < maxRetainedSoloEntries) return false;
    if (!this.warnedRetentionOverflow) {
      this.warnedRetentionOverflow = true;
      this.options.logger.warn('solo stretch too long to keep for a merge; compacting it', {
        firstSoloIndex: mergeRetentionIndex,
        appliedIndex,
        maxRetainedEntries: maxRetainedSoloEntries,
      });
    }
    return true;
  }

  /** Whether the log since the latest snapshot is long enough for the next one. */
  private snapshotDue(appliedIndex: number): boolean {
    const { snapshotEveryEntries, snapshotEveryBytes } = this.options.limits;
    return (
      appliedIndex - this.snapshotIndex >= snapshotEveryEntries ||
      (snapshotEveryBytes !== undefined && this.appliedLogBytes - this.snapshotLogBytes >= snapshotEveryBytes)
    );
  }

  /**
   * Between Readies only: begins a snapshot when one is due or the operator asked, and once a
   * snapshot is written, compacts the log under it (the one write that waits for no Ready).
   */
  private maybeCompact(): void {
    const job = this.snapshotJob;
    if (job !== null) {
      if (job.snapshot !== null) this.compact(job, job.snapshot);
      return;
    }
    const { appliedIndex, mergeRetentionIndex } = this.raft.status();
    const requested = this.snapshotRequests.length > 0;
    if (!requested && !this.snapshotDue(appliedIndex)) return;
    // The operator's snapshot compacts even a solo stretch kept for a merge: the operator asked.
    const allowed = requested || this.compactionAllowed(appliedIndex, mergeRetentionIndex);
    if (!allowed && !this.holdingCompaction) this.statistics.compactionsHeldForMerge += 1;
    this.holdingCompaction = !allowed;
    if (!allowed) return;
    const logHash = this.logHashes.current;
    const captureStartedMs = this.options.clock();
    const begun = new SnapshotJob(
      this.sm.beginSnapshot(),
      this.raft.snapshotMetadataAt(appliedIndex),
      logHash?.index === appliedIndex ? logHash : null,
      this.appliedLogBytes,
      this.snapshotRequests.splice(0),
      this.options.clock(),
    );
    begun.viewMs = this.options.clock() - captureStartedMs;
    this.snapshotJob = begun;
    this.options.logger.debug('snapshot begun', { index: appliedIndex, records: begun.records });
    this.options.events?.snapshotBegun?.(appliedIndex);
    this.options.scheduler.later(() => this.writeSnapshotSlice(begun));
  }

  /** One slice of the snapshot being written; the next one is scheduled, or the compaction asked for. */
  private writeSnapshotSlice(job: SnapshotJob): void {
    if (this.snapshotJob !== job || !this.serving) return;
    const sliceRecords = this.options.limits.snapshotSliceRecords ?? DEFAULT_SNAPSHOT_SLICE_RECORDS;
    let complete: boolean;
    try {
      complete = job.step(sliceRecords, this.options.clock);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (!complete) {
      this.options.scheduler.later(() => this.writeSnapshotSlice(job));
      return;
    }
    this.requestPump();
  }

  private compact(job: SnapshotJob, snapshot: Snapshot): void {
    const { index } = job;
    // A backup may have begun serving alone since the view was taken: keep its stretch after all.
    const { mergeRetentionIndex } = this.raft.status();
    const allowed = job.requests.length > 0 || this.compactionAllowed(index, mergeRetentionIndex);
    if (index <= this.snapshotIndex || !allowed) {
      this.snapshotJob = null;
      for (const request of job.requests) request(snapshot);
      return;
    }
    job.compactionStartedAtMs = this.options.clock();
    const write: WriteInFlight = { kind: 'compaction', job, snapshot };
    this.writeInFlight = write;
    this.options.storage.compact(snapshot, (error) => this.writeDone(write, error));
  }

  private finishCompaction(job: SnapshotJob, snapshot: Snapshot): void {
    const { index } = snapshot.metadata;
    this.snapshotJob = null;
    // A snapshot received from the leader while the compaction waited may already cover it.
    if (this.raft.status().snapshotIndex < index) this.raft.compact(snapshot.metadata);
    if (index > this.snapshotIndex) {
      this.snapshotIndex = index;
      this.snapshotLogBytes = job.logBytes;
    }
    this.statistics.snapshotsTaken += 1;
    const fields = {
      index,
      bytes: snapshot.data.byteLength,
      records: job.records,
      slices: job.slices,
      longestSliceMs: job.longestSliceMs,
      viewMs: job.viewMs,
      compactionMs: this.options.clock() - (job.compactionStartedAtMs ?? this.options.clock()),
      tookMs: this.options.clock() - job.startedAtMs,
    };
    if (job.longestSliceMs > SLOW_SNAPSHOT_SLICE_MS)
      this.options.logger.warn('snapshot taken, with a slow slice', fields);
    else this.options.logger.info('snapshot taken', fields);
    this.options.events?.snapshotTaken?.(snapshot);
    for (const request of job.requests) request(snapshot);
  }

  /** Drops the snapshot being written; the operator's requests wait for the next one. */
  private cancelSnapshotJob(reason: string): void {
    const job = this.snapshotJob;
    if (job === null) return;
    this.snapshotJob = null;
    this.snapshotRequests.unshift(...job.requests);
    this.options.logger.info('snapshot abandoned', { index: job.index, reason });
  }

  /** Stop or failure: the snapshot being written is dropped and every request refused. */
  private abandonSnapshot(error: Error): void {
    const requests = [...(this.snapshotJob?.requests ?? []), ...this.snapshotRequests.splice(0)];
    this.snapshotJob = null;
    for (const request of requests) request(error);
  }

  // -----------------------------------------------------------------------------------------------
  // Failure.

  private refuseAll(error: DriverRefusal): void {
    for (const waiter of this.waiters.values()) waiter.done(error);
    this.waiters.clear();
    for (const operation of this.queue.splice(0)) operation.done(error);
  }

  private fail(error: Error): void {
    if (this.fatalError !== null) return;
    this.fatalError = error;
    this.options.logger.error('replica failed; refusing further operations', { error: error.message });
    const refusal = new DriverRefusal('shutting_down', `the node failed: ${error.message}`);
    this.refuseAll(refusal);
    this.abandonSnapshot(refusal);
    this.options.events?.failed?.(error);
  }
}
