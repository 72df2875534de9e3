// A simulated data node: the consensus core, the ledger and a MemoryStorage with manual
// durability, driven synchronously on the simulated clock the way packages/server's replica
// drives them for real:
// - one Ready at a time: persist it (one write), wait for the simulated fsync (flush() when it
//   completes), then send its messages, apply its committed entries, advance;
// - group commit: client operations that arrive while a write waits for its fsync are proposed
//   together as the next batch;
// - waiters by log index answer a client only when the entry of the waiter's term is applied;
// - the leader stamps each batch with its (skewed, monotonic) clock, proposes lease-expiry ticks
//   and, after a failover, extend_leases by the time the failover took;
// - every snapshotEveryEntries applied entries it snapshots the ledger and compacts the log, and it
//   fills install_snapshot messages with its stored snapshot.
// A crash drops the process (and every write not yet flushed); a restart loads what was durable,
// restores the ledger from the snapshot and lets the core hand the rest of the log out again.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  type Configuration,
  ConsensusError,
  type Entry,
  type HardState,
  type MergeOffer,
  type Message,
  type RaftConfig,
  RaftNode,
  type RaftStatus,
  type Ready,
  type Snapshot,
  type SoftState,
} from '@tandem/consensus';
import {
  type Command,
  decodeEntryData,
  encodeEntryData,
  Ledger,
  type LedgerOptions,
  type MergeCommand,
  type MergedEntry,
  mergedEntryFrom,
  planMerge,
  type Result,
  resolveLedgerOptions,
  validateMergedEntry,
} from '@tandem/ledger';
import { MemoryStorage, type PersistUpdate } from '@tandem/storage';
import type { SimulationChecker } from './checker.js';
import type { ClientErrorCode, ClientReply, ClientRequest } from './messages.js';
import type { SettleCallback } from './network.js';
import type { SimulationRandom } from './random.js';

/** The cluster id simulated leaders record; the operator's licence files are issued for it. */
export const SIMULATED_CLUSTER_ID = 'simulated-cluster';

/**
 * An acquire with the nonce the server's edge would draw, here derived from the request (so that a
 * run is the same for the same seed); other commands as they are.
 */
function withNonce<C extends ClientRequest['command']>(command: C, source: string): C {
  if (command.type !== 'acquire_lease') return command;
  return { ...command, nonce: createHash('sha256').update(source).digest('hex').slice(0, 16) };
}

/** Where an armed crash strikes: before the fsync of the next write, after it, or after sending. */
export type CrashPoint = 'before_fsync' | 'after_fsync' | 'after_send';

/**
 * Deliberately wrong drivers, to prove the checks can fail:
 * - acknowledge_before_durable: carries out each Ready (send, apply, answer, advance) right after
 *   the write is issued instead of after its fsync;
 * - skip_apply: the backup skips every third client command it should apply;
 * - skip_merge: the main answers every merge offer with an empty merge entry, so the core counts
 *   the backup's solo entries as merged (and the backup discards them) although none was re-applied.
 */
export type PlantedBug = 'acknowledge_before_durable' | 'skip_apply' | 'skip_merge';

export interface SimulatedNodeOptions {
  id: string;
  /** The configuration the cluster starts with (voters and in-sync set). */
  configuration: Configuration;
  tickMs: number;
  electionTimeoutTicks: number;
  heartbeatIntervalTicks: number;
  maxEntriesPerMessage: number;
  maxInflightMessages: number;
  preVote: boolean;
  checkQuorum: boolean;
  /** Extra core options (the core's pair mode), passed to RaftConfig as they are. */
  coreOptions: Partial<RaftConfig>;
  /** This node's wall clock runs this far from the simulated time. */
  clockSkewMs: number;
  /** The simulated wall-clock time at simulated time 0. */
  epochMs: number;
  fsyncMinMs: number;
  fsyncMaxMs: number;
  slowFsyncProbability: number;
  slowFsyncMaxMs: number;
  snapshotEveryEntries: number;
  /** Past this many retained solo entries a node compacts anyway (see SimulationOptions). */
  maxRetainedSoloEntries: number;
  maxBatchEntries: number;
  maxPendingOperations: number;
  operationTimeoutMs: number;
  leaseExpiryIntervalMs: number;
  ledgerOptions: Partial<LedgerOptions>;
  /**
   * Stand-ins for what the core's pair mode does itself: the leader drops silent peers from the
   * in-sync set (never below a majority of voters) and adds caught-up ones back, and hands
   * leadership to priorityNodeId when it is caught up.
   */
  manageInSync: boolean;
  priorityNodeId: string | null;
  /** How long a peer may stay silent before the leader counts it as gone. */
  failoverTimeoutMs: number;
  /**
   * Witness mode's check-quorum: a leader that has heard nothing from any other voter for this
   * long must not acknowledge a write (null: no such rule, as in pair mode, where a node serves
   * alone by design).
   */
  staleLeaderAfterMs: number | null;
  plantedBug: PlantedBug | null;
  /** Pass the core's own trace lines (role, term, vote, truncation, snapshot) to the trace. */
  traceCore: boolean;
  /** Trace every ledger command this node applies, with its result. */
  traceApplied: boolean;
}

/** What the simulation gives a node. */
export interface NodeEnvironment {
  nowMs(): number;
  sendRaft(message: Message, settle: SettleCallback | null): void;
  reply(workstationId: string, reply: ClientReply): void;
  schedule(atMs: number, action: () => void): void;
  /** The node went down by itself (an armed crash): the simulation schedules its restart. */
  crashed(nodeId: string): void;
  checker: SimulationChecker;
  trace(line: string): void;
}

export interface NodeStatistics {
  crashes: number;
  /** Crashes that lost a write issued but not yet flushed (the crash between append and fsync). */
  crashesLosingWrites: number;
  gracefulStops: number;
  restarts: number;
  writes: number;
  batches: number;
  proposedOperations: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  snapshotsSent: number;
  /** install_snapshot messages for a snapshot that a newer compaction had replaced. */
  snapshotsSuperseded: number;
  leaseTicksProposed: number;
  extendLeasesProposed: number;
  configurationChanges: number;
  leadershipTransfers: number;
  timesElected: number;
  /** Pair mode, on the main: merge entries proposed from a backup's offers. */
  mergesProposed: number;
  /** Merge offers the core refused to take (not leader any more, back-pressure). */
  mergeProposalsRefused: number;
  /** Pair mode, on a backup: histories discarded after the main merged its solo entries. */
  historiesDiscarded: number;
  /** Times a backup began holding back a due compaction to keep its solo stretch for a merge. */
  compactionsHeldForMerge: number;
}

interface ClientOrigin {
  workstationId: string;
  requestId: string;
  attempt: number;
}

interface QueuedOperation {
  command: Command;
  /** null for the leader's own commands (tick, extend_leases): nobody waits for them. */
  origin: ClientOrigin | null;
  deadlineMs: number;
}

interface Waiter {
  origin: ClientOrigin;
  term: number;
  deadlineMs: number;
  /**
   * When this node, as leader, first saw the entry committed. The answer may leave later, after the
   * commit index is durable; what check-quorum bounds is the decision, taken while still in touch.
   */
  committedAtMs?: number;
}

/** Far more Readies than one input can cause; see pump(). */
const MAX_READIES_PER_PUMP = 100_000;

type WriteInFlight = { kind: 'ready'; ready: Ready } | { kind: 'compaction'; snapshot: Snapshot };

/** Everything a crash wipes out: one run of the node's process. */
class NodeProcess {
  softState: SoftState = { role: 'follower', leaderId: null };
  persistedHardState: HardState | null;
  /** A commit-only hard state that skipped its fsync; the next write carries it. */
  unwrittenHardState: HardState | null = null;
  /** The driver's last snapshot (durable): what install_snapshot messages carry. */
  latestSnapshot: Snapshot | null;
  snapshotIndex: number;
  /** The one write waiting for its fsync; no Ready is taken meanwhile. */
  writeInFlight: WriteInFlight | null = null;
  /** Writes issued and not yet flushed (more than one only with acknowledge_before_durable). */
  unflushedWrites = 0;
  queue: QueuedOperation[] = [];
  readonly waiters = new Map<number, Waiter>();
  lastTimestampMs: number;
  readonly lastHeardFromMs = new Map<string, number>();
  /** When a message from each other voter last arrived (never set otherwise, unlike lastHeardFromMs). */
  readonly lastMessageFromMs = new Map<string, number>();
  nextLeaseTickAtMs = 0;
  lastTransferAtMs = Number.NEGATIVE_INFINITY;
  armedCrash: CrashPoint | null = null;
  armedCrashGuard: (() => boolean) | null = null;
  /** A due compaction is held back to keep the solo stretch for a merge. */
  holdingCompaction = false;
  /** Client commands applied on this node, for the skip_apply planted bug. */
  appliedClientCommands = 0;

  constructor(
    readonly raft: RaftNode,
    public ledger: Ledger,
    snapshot: Snapshot | null,
    hardState: HardState | null,
  ) {
    this.persistedHardState = hardState;
    this.latestSnapshot = snapshot;
    this.snapshotIndex = snapshot?.metadata.index ?? 0;
    this.lastTimestampMs = ledger.clockMs;
  }
}

/** Thrown to stop the whole run when a node can no longer be trusted (a refused write). */
export class SimulationHalt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationHalt';
  }
}

export class SimulatedNode {
  readonly id: string;
  private storage: MemoryStorage;
  private process: NodeProcess | null = null;
  private incarnation = 0;
  readonly statistics: NodeStatistics = {
    crashes: 0,
    crashesLosingWrites: 0,
    gracefulStops: 0,
    restarts: 0,
    writes: 0,
    batches: 0,
    proposedOperations: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    snapshotsSent: 0,
    snapshotsSuperseded: 0,
    leaseTicksProposed: 0,
    extendLeasesProposed: 0,
    configurationChanges: 0,
    leadershipTransfers: 0,
    timesElected: 0,
    mergesProposed: 0,
    mergeProposalsRefused: 0,
    historiesDiscarded: 0,
    compactionsHeldForMerge: 0,
  };

  constructor(
    private readonly options: SimulatedNodeOptions,
    private readonly random: SimulationRandom,
    private readonly environment: NodeEnvironment,
  ) {
    this.id = options.id;
    assert.ok(
      options.maxBatchEntries <= options.maxEntriesPerMessage,
      'a batch must fit in one proposal (maxProposalEntries defaults to maxEntriesPerMessage)',
    );
    this.storage = new MemoryStorage({ durability: 'manual' });
  }

  get isUp(): boolean {
    return this.process !== null;
  }

  /** Up and leading, as this node's driver sees it (its last soft state). */
  get isLeader(): boolean {
    return this.process?.softState.role === 'leader';
  }

  /** The applied ledger of the running process. */
  get ledger(): Ledger {
    assert.ok(this.process !== null, `${this.id} is down`);
    return this.process.ledger;
  }

  status(): RaftStatus {
    assert.ok(this.process !== null, `${this.id} is down`);
    return this.process.raft.status();
  }

  /** Up, no write waiting, no client operation queued or waiting. */
  get isIdle(): boolean {
    const process = this.process;
    return (
      process !== null &&
      process.writeInFlight === null &&
      process.unflushedWrites === 0 &&
      process.queue.length === 0 &&
      process.waiters.size === 0
    );
  }

  // -----------------------------------------------------------------------------------------------
  // Life cycle.

  /** Starts (or restarts) from what the storage holds durably. */
  async start(): Promise<void> {
    assert.equal(this.process, null, `${this.id} is already running`);
    const loaded = await this.storage.load();
    const ledger =
      loaded.snapshot === null
        ? new Ledger(this.options.ledgerOptions)
        : Ledger.restore(loaded.snapshot.data, this.options.ledgerOptions);
    // The backup describes each solo entry it offers for a merge with its own ledger's answer.
    let created: NodeProcess | null = null;
    const raft = new RaftNode(
      {
        id: this.id,
        electionTimeoutTicks: this.options.electionTimeoutTicks,
        heartbeatIntervalTicks: this.options.heartbeatIntervalTicks,
        randomInt: (maxExclusive) => this.random.below(maxExclusive),
        maxEntriesPerMessage: this.options.maxEntriesPerMessage,
        maxInflightMessages: this.options.maxInflightMessages,
        preVote: this.options.preVote,
        checkQuorum: this.options.checkQuorum,
        describeMergedEntry: (entry: Entry) => {
          assert.ok(created !== null, 'entries are offered only once the node runs');
          return this.describeMergedEntry(created, entry);
        },
        ...this.options.coreOptions,
        ...(this.options.traceCore
          ? { trace: (line: string) => this.environment.trace(`core ${line}`) }
          : {}),
      },
      {
        hardState: loaded.hardState,
        snapshot: loaded.snapshot?.metadata ?? null,
        entries: loaded.entries,
        configuration: this.options.configuration,
      },
    );
    this.incarnation += 1;
    if (this.incarnation > 1) this.statistics.restarts += 1;
    created = new NodeProcess(raft, ledger, loaded.snapshot, loaded.hardState);
    this.process = created;
    this.trace(
      `started (incarnation ${this.incarnation}): term ${loaded.hardState?.term ?? 0}, commit ${loaded.hardState?.commitIndex ?? 0}, ` +
        `snapshot ${loaded.snapshot?.metadata.index ?? 0}, ${loaded.entries.length} entries`,
    );
    this.afterInput(this.process);
  }

  /** A power failure: every write not yet flushed is lost with the process. */
  crash(): void {
    const process = this.process;
    assert.ok(process !== null, `${this.id} is already down`);
    const lost = this.storage.pendingWriteCount;
    this.statistics.crashes += 1;
    if (lost > 0) this.statistics.crashesLosingWrites += 1;
    this.storage = this.storage.crash();
    this.process = null;
    this.trace(`crashed${lost > 0 ? `, losing ${lost} unflushed write(s)` : ''}`);
  }

  /**
   * A clean shutdown, as the replica's stop(): writes in flight finish (close() flushes them), and
   * a commit index that skipped its own fsync is written too, so that a restart knows what was
   * committed (in pair mode a node that committed alone could otherwise take its own committed
   * entries for uncommitted ones and let its peer overwrite them).
   */
  stop(): void {
    const process = this.process;
    assert.ok(process !== null, `${this.id} is already down`);
    this.statistics.gracefulStops += 1;
    if (process.unwrittenHardState !== null) {
      // After any write in flight (a compaction), as the replica writes it once the pump is idle.
      this.write(process, { hardState: process.unwrittenHardState });
      process.unwrittenHardState = null;
    }
    const closing = this.storage.close();
    closing.then(undefined, (error: Error) =>
      this.environment.checker.fail(
        'exception',
        `${this.id}: close failed: ${error.message}`,
        this.environment.nowMs(),
      ),
    );
    // close() does its work before its first await; the handle is closed now.
    this.storage = this.storage.reopen();
    this.process = null;
    this.trace('stopped cleanly');
  }

  /**
   * The next write (or the next fsync, or the next sends) of this process crashes it, if the
   * guard (asked when the moment comes) still allows a crash then.
   */
  armCrash(point: CrashPoint, guard: () => boolean): void {
    if (this.process === null) return;
    this.process.armedCrash = point;
    this.process.armedCrashGuard = guard;
  }

  disarmCrash(): void {
    if (this.process === null) return;
    this.process.armedCrash = null;
    this.process.armedCrashGuard = null;
  }

  // -----------------------------------------------------------------------------------------------
  // Inputs.

  /** Returns false when the node is down (the message is lost). */
  receiveRaft(message: Message): boolean {
    const process = this.process;
    if (process === null) return false;
    const now = this.environment.nowMs();
    process.lastHeardFromMs.set(message.from, now);
    process.lastMessageFromMs.set(message.from, now);
    process.raft.step(message);
    this.afterInput(process);
    return true;
  }

  /** Returns false when the node is down (the request is lost). */
  receiveRequest(request: ClientRequest): boolean {
    const process = this.process;
    if (process === null) return false;
    if (process.softState.role !== 'leader') {
      this.replyError(process, request, 'not_leader', process.softState.leaderId);
      return true;
    }
    // As the server's edge does: a licence file waits until the cluster id is recorded.
    if (request.command.type === 'activate_licence' && process.ledger.clusterId === null) {
      this.replyError(process, request, 'not_leader', process.softState.leaderId);
      return true;
    }
    // As the server's edge does: a retry of an applied request is answered from the ledger.
    const previous = process.ledger.lookupRequest(request.requestId);
    if (previous !== undefined) {
      this.environment.reply(request.workstationId, {
        requestId: request.requestId,
        attempt: request.attempt,
        term: process.raft.status().term,
        nodeId: this.id,
        body: { kind: 'result', result: previous, index: process.ledger.appliedIndex },
      });
      return true;
    }
    if (process.queue.length + process.waiters.size >= this.options.maxPendingOperations) {
      this.replyError(process, request, 'overloaded', this.id);
      return true;
    }
    process.queue.push({
      command: withNonce(
        request.command,
        `${this.id}/${request.workstationId}/${request.requestId}/${request.attempt}`,
      ),
      origin: {
        workstationId: request.workstationId,
        requestId: request.requestId,
        attempt: request.attempt,
      },
      deadlineMs: this.environment.nowMs() + this.options.operationTimeoutMs,
    });
    this.pump(process);
    return true;
  }

  /** One tick of the node's timer: the core's tick, then the leader's periodic duties. */
  tick(): void {
    const process = this.process;
    if (process === null) return;
    process.raft.tick();
    this.afterInput(process);
    if (this.process !== process) return;
    this.expireWaiters(process);
    if (process.softState.role === 'leader') this.leaderDuties(process);
    this.pump(process);
  }

  // -----------------------------------------------------------------------------------------------
  // The Ready loop.

  private afterInput(process: NodeProcess): void {
    const status = process.raft.status();
    if (status.role === 'leader') {
      this.environment.checker.observeLeader(this.id, status.term, this.environment.nowMs());
      this.noteCommitDecisions(process, status.commitIndex);
    }
    this.pump(process);
  }

  /** Stamps the operations waiting up to commitIndex with when this leader saw them committed. */
  private noteCommitDecisions(process: NodeProcess, commitIndex: number): void {
    const now = this.environment.nowMs();
    for (const [index, waiter] of process.waiters) {
      if (index <= commitIndex && waiter.committedAtMs === undefined) waiter.committedAtMs = now;
    }
  }

  /** Carries out Readies until one needs an fsync (or none is left), then compacts if due. */
  private pump(process: NodeProcess): void {
    // Bounded, so that a core or driver bug that never stops producing Readies fails the run
    // instead of hanging it.
    for (let readies = 0; this.process === process && process.writeInFlight === null; readies += 1) {
      if (readies >= MAX_READIES_PER_PUMP) {
        const status = process.raft.status();
        throw new Error(
          `${this.id} produced ${readies} Readies in one pump (role ${status.role}, term ${status.term}, commit ${status.commitIndex}, last ${status.lastIndex})`,
        );
      }
      this.proposeQueued(process);
      if (!process.raft.hasReady()) {
        this.maybeCompact(process);
        return;
      }
      const ready = process.raft.ready();
      // Before anything of this Ready is written: the backup starts over as an empty node.
      if (ready.discardHistory) this.discardHistory(process);
      if (!this.mustPersist(process, ready)) {
        // The core counts this hard state as handed over and will not repeat it: keep it for the
        // next write, so that the commit index really rides along with the next batch.
        if (ready.hardState !== null) process.unwrittenHardState = ready.hardState;
        this.finishReady(process, ready);
        continue;
      }
      const hardState = ready.hardState ?? process.unwrittenHardState;
      process.unwrittenHardState = null;
      this.write(process, {
        ...(ready.discardHistory ? { discardHistory: true } : {}),
        hardState,
        entries: ready.entries,
        snapshot: ready.snapshot,
      });
      if (hardState !== null) process.persistedHardState = hardState;
      if (this.options.plantedBug === 'acknowledge_before_durable') {
        // The bug: everything below happens before the write is durable.
        this.scheduleFlushOnly(process);
        this.finishReady(process, ready);
        continue;
      }
      process.writeInFlight = { kind: 'ready', ready };
      if (this.armedCrashStrikes(process, 'before_fsync')) return;
      this.scheduleFsync(process);
      return;
    }
  }

  /**
   * As the replica: the commit index alone needs no fsync of its own (it rides with the next
   * write); entries, a snapshot, a term or a vote always do.
   */
  private mustPersist(process: NodeProcess, ready: Ready): boolean {
    // Discarding the history lowers the commit index: the storage must be told in this write, or the
    // next write's hard state would move the commit index backwards over the old log.
    if (ready.discardHistory || ready.entries.length > 0 || ready.snapshot !== null) return true;
    if (ready.hardState === null) return false;
    const persisted = process.persistedHardState;
    return (
      persisted === null ||
      persisted.term !== ready.hardState.term ||
      persisted.votedFor !== ready.hardState.votedFor ||
      // As the replica does: serving alone, the commit index is written before clients are answered.
      (process.raft.committingAlone && persisted.commitIndex !== ready.hardState.commitIndex)
    );
  }

  /** Issues one write; the storage must take it (as a pending write) or the run halts. */
  private write(process: NodeProcess, update: PersistUpdate | { compaction: Snapshot }): void {
    const before = this.storage.pendingWriteCount;
    const promise =
      'compaction' in update ? this.storage.compact(update.compaction) : this.storage.persist(update);
    const now = this.environment.nowMs();
    promise.then(undefined, (error: Error) =>
      this.environment.checker.fail(
        'exception',
        `${this.id}: storage refused a write: ${error.message}`,
        now,
      ),
    );
    if (this.storage.pendingWriteCount !== before + 1) {
      throw new SimulationHalt(`${this.id}: storage refused a write at ${now} ms`);
    }
    this.statistics.writes += 1;
    process.unflushedWrites += 1;
  }

  private fsyncDelayMs(): number {
    if (this.random.chance(this.options.slowFsyncProbability)) {
      return this.random.int(this.options.fsyncMaxMs, this.options.slowFsyncMaxMs);
    }
    return this.random.int(this.options.fsyncMinMs, this.options.fsyncMaxMs);
  }

  private scheduleFsync(process: NodeProcess): void {
    this.environment.schedule(this.environment.nowMs() + this.fsyncDelayMs(), () => this.fsyncDone(process));
  }

  private scheduleFlushOnly(process: NodeProcess): void {
    this.environment.schedule(this.environment.nowMs() + this.fsyncDelayMs(), () => {
      if (this.process !== process) return;
      this.storage.flush(1);
      process.unflushedWrites -= 1;
    });
  }

  /** The simulated fsync of the write in flight completed. */
  private fsyncDone(process: NodeProcess): void {
    if (this.process !== process) return;
    const write = process.writeInFlight;
    assert.ok(write !== null, `${this.id}: an fsync completed with no write in flight`);
    assert.ok(this.storage.pendingWriteCount >= 1, `${this.id}: nothing to flush`);
    this.storage.flush(1);
    process.unflushedWrites -= 1;
    process.writeInFlight = null;
    if (this.armedCrashStrikes(process, 'after_fsync')) return;
    if (write.kind === 'ready') {
      this.finishReady(process, write.ready);
    } else {
      this.finishCompaction(process, write.snapshot);
    }
    this.pump(process);
  }

  /** Steps 2 to 4 of a Ready, once it is durable: send, apply, advance. */
  private finishReady(process: NodeProcess, ready: Ready): void {
    if (ready.snapshot !== null) {
      // A snapshot received from the leader replaces the ledger.
      process.ledger = Ledger.restore(ready.snapshot.data, this.options.ledgerOptions);
      process.lastTimestampMs = Math.max(process.lastTimestampMs, process.ledger.clockMs);
      process.snapshotIndex = ready.snapshot.metadata.index;
      process.latestSnapshot = ready.snapshot;
      this.statistics.snapshotsInstalled += 1;
      this.environment.checker.observeSnapshotInstalled(this.id, ready.snapshot.metadata.index);
      this.trace(`installed snapshot ${ready.snapshot.metadata.index}`);
    }
    for (const message of ready.messages) this.send(process, message);
    if (this.armedCrashStrikes(process, 'after_send')) return;
    this.applyEntries(process, ready.committedEntries);
    process.raft.advance(ready);
    // Serving alone, the leader's own fsync is what commits.
    const status = process.raft.status();
    if (status.role === 'leader') this.noteCommitDecisions(process, status.commitIndex);
    if (ready.softState !== null) this.changeSoftState(process, ready.softState);
    for (const offer of ready.mergeOffers) this.proposeMerge(process, offer);
  }

  /**
   * Pair mode, on a backup whose solo entries the main has merged: an empty ledger, no snapshot,
   * and nobody waiting (the core drops the log in this same Ready; the write says so to storage).
   */
  private discardHistory(process: NodeProcess): void {
    process.ledger = new Ledger(this.options.ledgerOptions);
    process.snapshotIndex = 0;
    process.latestSnapshot = null;
    for (const waiter of process.waiters.values()) {
      this.replyError(process, waiter.origin, 'leadership_lost', process.softState.leaderId);
    }
    process.waiters.clear();
    this.statistics.historiesDiscarded += 1;
    this.environment.checker.observeHistoryDiscarded(this.id, this.environment.nowMs());
    this.trace('discards its history: the main merged its solo entries');
  }

  /**
   * Pair mode, on a backup (the core's describeMergedEntry): what it offers the main for one solo
   * entry, its command with this ledger's answer to it, so that the main re-grants only what the
   * backup granted. As the replica does.
   */
  private describeMergedEntry(process: NodeProcess, entry: Entry): Uint8Array {
    const { timestampMs, command } = decodeEntryData(entry.data);
    const merged = mergedEntryFrom(
      { index: entry.index, term: entry.term, timestampMs, command },
      process.ledger,
    );
    return encoder.encode(JSON.stringify(merged));
  }

  /**
   * Pair mode, on the main: a backup's offered solo entries (each described by the backup with its
   * ledger's answer) become ledger merge commands, as the replica builds them: planMerge splits
   * them to fit the entry size and leaves out entries invalid on their own; an offer with nothing
   * left still takes one empty merge entry, whose commit tells the backup it is merged. A refusal
   * of the core is safe: the backup offers again.
   */
  private proposeMerge(process: NodeProcess, offer: MergeOffer): void {
    if (this.process !== process) return;
    const entries = offer.entries.map((entry) => mergedEntryOf(entry));
    const plan = planMerge(offer.from, offer.sourceTerms, entries, this.options.ledgerOptions);
    for (const { entry, error } of plan.dropped) {
      this.trace(
        `leaves ${offer.from}'s solo entry ${entry.index} out of the merge: ${error.field} ${error.message}`,
      );
    }
    const empty: MergeCommand = {
      type: 'merge',
      sourceNodeId: offer.from,
      sourceTerms: [...offer.sourceTerms],
      entries: [],
    };
    const commands =
      this.options.plantedBug === 'skip_merge' || plan.commands.length === 0 ? [empty] : plan.commands;
    const timestampMs = this.nextTimestamp(process);
    const data = commands.map((command) => encodeEntryData({ timestampMs, command }));
    let position: { firstIndex: number; lastIndex: number; term: number };
    try {
      position = process.raft.proposeMerge(offer, data);
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      this.statistics.mergeProposalsRefused += 1;
      this.trace(
        `merge of ${offer.from}'s entries ${offer.firstIndex}..${offer.throughIndex} refused: ${error.code}`,
      );
      return;
    }
    this.statistics.mergesProposed += 1;
    this.trace(
      `proposes the merge of ${offer.from}'s entries ${offer.firstIndex}..${offer.throughIndex} ` +
        `(${entries.length} commands, terms ${offer.sourceTerms.join(',')}) at ${position.firstIndex}..${position.lastIndex}`,
    );
  }

  private send(process: NodeProcess, message: Message): void {
    if (message.type !== 'install_snapshot') {
      this.environment.sendRaft(message, null);
      return;
    }
    // The core sends snapshot metadata only; the driver attaches its stored snapshot.
    const stored = process.latestSnapshot;
    const wanted = message.snapshot.metadata.index;
    if (stored === null || stored.metadata.index < wanted) {
      this.environment.checker.fail(
        'exception',
        `${this.id}: the core sent snapshot ${wanted} but the driver stores ${stored?.metadata.index ?? 'none'}`,
        this.environment.nowMs(),
      );
      return;
    }
    if (stored.metadata.index > wanted) {
      // A compaction replaced that snapshot after the core queued the message (the store keeps
      // only the latest): report the stream as failed, and the core sends the newer one.
      this.statistics.snapshotsSuperseded += 1;
      const to = message.to;
      this.environment.schedule(this.environment.nowMs() + 1, () => {
        if (this.process !== process) return;
        process.raft.reportSnapshot(to, 'failed');
        this.afterInput(process);
      });
      return;
    }
    this.statistics.snapshotsSent += 1;
    const filled: Message = {
      ...message,
      snapshot: { metadata: message.snapshot.metadata, data: stored.data },
    };
    const to = message.to;
    this.environment.sendRaft(filled, (delivered, atMs) => {
      // The stream's outcome reaches the sender a moment later, as a gRPC stream's would.
      this.environment.schedule(atMs + 1, () => {
        if (this.process !== process) return;
        process.raft.reportSnapshot(to, delivered ? 'finished' : 'failed');
        this.afterInput(process);
      });
    });
  }

  private applyEntries(process: NodeProcess, entries: Entry[]): void {
    const now = this.environment.nowMs();
    for (const entry of entries) {
      let result: Result | null = null;
      let applied: Command | null = null;
      if (entry.kind === 'normal') {
        const { timestampMs, command } = decodeEntryData(entry.data);
        applied = command;
        if (!this.skipsApply(process, command)) {
          if (command.type === 'merge') this.environment.checker.observeMergeAhead(command, process.ledger);
          result = process.ledger.apply({ index: entry.index, term: entry.term, timestampMs, command });
          if (command.type === 'merge') this.environment.checker.observeMergeApplied(command, process.ledger);
          this.environment.checker.observeSeats(this.id, process.ledger, now);
          if (this.options.traceApplied) {
            this.trace(
              `applies ${entry.index}/${entry.term} ${abbreviate(JSON.stringify(command))} => ${abbreviate(JSON.stringify(result))}`,
            );
          }
        }
        process.lastTimestampMs = Math.max(process.lastTimestampMs, timestampMs);
      }
      this.environment.checker.observeApplied(this.id, entry, applied, result, now);
      const waiter = process.waiters.get(entry.index);
      if (waiter === undefined) continue;
      process.waiters.delete(entry.index);
      if (result !== null && waiter.term === entry.term) {
        this.checkNotStale(process, waiter.origin.requestId, waiter.committedAtMs ?? now);
        this.environment.reply(waiter.origin.workstationId, {
          requestId: waiter.origin.requestId,
          attempt: waiter.origin.attempt,
          term: entry.term,
          nodeId: this.id,
          body: { kind: 'result', result, index: entry.index },
        });
      } else {
        // Another leader's entry took this index: the operation may be retried safely.
        this.replyError(process, waiter.origin, 'leadership_lost', process.softState.leaderId);
      }
    }
  }

  /**
   * Witness mode: a leader cut off from every other voter past the limit must not commit what it
   * acknowledges. `committedAtMs` is when it decided the commit (see Waiter.committedAtMs).
   */
  private checkNotStale(process: NodeProcess, requestId: string, committedAtMs: number): void {
    const limitMs = this.options.staleLeaderAfterMs;
    if (limitMs === null) return;
    const latest = Math.max(Number.NEGATIVE_INFINITY, ...process.lastMessageFromMs.values());
    if (committedAtMs - latest <= limitMs) return;
    this.environment.checker.fail(
      'stale_leader',
      `${this.id} acknowledged ${requestId} ${latest === Number.NEGATIVE_INFINITY ? 'having never heard' : `${committedAtMs - latest} ms after it last heard`} from another voter`,
      committedAtMs,
    );
  }

  private skipsApply(process: NodeProcess, command: Command): boolean {
    if (this.options.plantedBug !== 'skip_apply' || !('requestId' in command)) return false;
    process.appliedClientCommands += 1;
    return this.id === 'backup' && process.appliedClientCommands % 3 === 0;
  }

  private changeSoftState(process: NodeProcess, softState: SoftState): void {
    const wasLeader = process.softState.role === 'leader';
    process.softState = softState;
    if (softState.role === 'leader' && !wasLeader) {
      this.becameLeader(process);
    } else if (softState.role !== 'leader' && wasLeader) {
      this.trace(`stopped leading (now ${softState.role}, leader ${softState.leaderId ?? 'unknown'})`);
    }
    if (softState.role !== 'leader') {
      for (const waiter of process.waiters.values()) {
        this.replyError(process, waiter.origin, 'leadership_lost', softState.leaderId);
      }
      process.waiters.clear();
    }
  }

  private becameLeader(process: NodeProcess): void {
    const now = this.environment.nowMs();
    const status = process.raft.status();
    this.statistics.timesElected += 1;
    this.trace(`leads term ${status.term}`);
    for (const voter of this.options.configuration.voters) process.lastHeardFromMs.set(voter, now);
    process.nextLeaseTickAtMs = now + this.options.leaseExpiryIntervalMs;
    // No workstation loses its seat because a server failed: extend every lease by the time this
    // node was without a leader before it won.
    // The first leader of a fresh ledger records the cluster id, as the replica does.
    if (process.ledger.clusterId === null) {
      process.queue.unshift({
        command: { type: 'set_cluster_id', clusterId: SIMULATED_CLUSTER_ID },
        origin: null,
        deadlineMs: now + this.options.operationTimeoutMs,
      });
    }
    const leaderlessTicks = status.leaderlessTicksBeforeElection ?? 0;
    const { maxExtendMs } = resolveLedgerOptions(this.options.ledgerOptions);
    const byMs = Math.min(leaderlessTicks * this.options.tickMs, maxExtendMs);
    if (byMs > 0 && process.ledger.leaseCount() > 0) {
      process.queue.unshift({
        command: { type: 'extend_leases', byMs },
        origin: null,
        deadlineMs: now + this.options.operationTimeoutMs,
      });
      this.statistics.extendLeasesProposed += 1;
    }
  }

  /** Group commit: everything queued goes into the log as few batches as the limit allows. */
  private proposeQueued(process: NodeProcess): void {
    if (process.queue.length === 0) return;
    if (process.softState.role !== 'leader') {
      for (const operation of process.queue) {
        if (operation.origin !== null) {
          this.replyError(process, operation.origin, 'not_leader', process.softState.leaderId);
        }
      }
      process.queue = [];
      return;
    }
    while (process.queue.length > 0) {
      const batch = process.queue.splice(0, this.options.maxBatchEntries);
      const timestampMs = this.nextTimestamp(process);
      let position: { firstIndex: number; lastIndex: number; term: number };
      try {
        position = process.raft.propose(
          'normal',
          batch.map((operation) => encodeEntryData({ timestampMs, command: operation.command })),
        );
      } catch (error) {
        // Refusals of the core (not leader, a transfer, backpressure) are safe to retry.
        if (!(error instanceof ConsensusError)) throw error;
        const code: ClientErrorCode = error.code === 'not_leader' ? 'not_leader' : 'overloaded';
        for (const operation of [...batch, ...process.queue]) {
          if (operation.origin !== null) {
            this.replyError(process, operation.origin, code, process.softState.leaderId);
          }
        }
        process.queue = [];
        return;
      }
      assert.equal(position.lastIndex - position.firstIndex + 1, batch.length, 'one entry per operation');
      this.statistics.batches += 1;
      this.statistics.proposedOperations += batch.length;
      batch.forEach((operation, offset) => {
        if (operation.origin === null) return;
        process.waiters.set(position.firstIndex + offset, {
          origin: operation.origin,
          term: position.term,
          deadlineMs: operation.deadlineMs,
        });
      });
    }
  }

  /** The leader's clock, skewed per node and never going backwards. */
  private nextTimestamp(process: NodeProcess): number {
    const wallClockMs = this.options.epochMs + this.environment.nowMs() + this.options.clockSkewMs;
    process.lastTimestampMs = Math.max(process.lastTimestampMs, wallClockMs);
    return process.lastTimestampMs;
  }

  // -----------------------------------------------------------------------------------------------
  // Snapshots.

  private maybeCompact(process: NodeProcess): void {
    const { appliedIndex, mergeRetentionIndex } = process.raft.status();
    if (appliedIndex - process.snapshotIndex < this.options.snapshotEveryEntries) return;
    // A backup serving alone keeps its solo stretch in the log for a merge after a split brain.
    if (
      mergeRetentionIndex !== null &&
      appliedIndex >= mergeRetentionIndex &&
      appliedIndex - mergeRetentionIndex < this.options.maxRetainedSoloEntries
    ) {
      if (!process.holdingCompaction) this.statistics.compactionsHeldForMerge += 1;
      process.holdingCompaction = true;
      return;
    }
    process.holdingCompaction = false;
    const snapshot: Snapshot = {
      metadata: process.raft.snapshotMetadataAt(appliedIndex),
      data: process.ledger.snapshot(),
    };
    this.write(process, { compaction: snapshot });
    process.writeInFlight = { kind: 'compaction', snapshot };
    if (this.armedCrashStrikes(process, 'before_fsync')) return;
    this.scheduleFsync(process);
  }

  private finishCompaction(process: NodeProcess, snapshot: Snapshot): void {
    const { index } = snapshot.metadata;
    // A snapshot received from the leader while the compaction waited may already cover it.
    if (process.raft.status().snapshotIndex < index) process.raft.compact(snapshot.metadata);
    if (index > process.snapshotIndex) {
      process.snapshotIndex = index;
      process.latestSnapshot = snapshot;
    }
    this.statistics.snapshotsTaken += 1;
  }

  // -----------------------------------------------------------------------------------------------
  // The leader's periodic duties.

  private leaderDuties(process: NodeProcess): void {
    const now = this.environment.nowMs();
    if (now >= process.nextLeaseTickAtMs) {
      process.nextLeaseTickAtMs = now + this.options.leaseExpiryIntervalMs;
      // Ticks only when some lease may expire, to keep the log quiet.
      if (process.ledger.leaseCount() > 0) {
        process.queue.push({
          command: { type: 'tick' },
          origin: null,
          deadlineMs: now + this.options.operationTimeoutMs,
        });
        this.statistics.leaseTicksProposed += 1;
      }
    }
    if (!this.options.manageInSync && this.options.priorityNodeId === null) return;
    const status = process.raft.status();
    if (status.role !== 'leader' || status.leadTransferee !== null) return;
    if (this.options.manageInSync && this.adjustInSync(process, status)) return;
    this.maybeTransferToPriority(process, status);
  }

  private isHealthy(process: NodeProcess, peer: string): boolean {
    if (peer === this.id) return true;
    const heard = process.lastHeardFromMs.get(peer);
    return heard !== undefined && this.environment.nowMs() - heard < this.options.failoverTimeoutMs;
  }

  private isCaughtUp(process: NodeProcess, status: RaftStatus, peer: string): boolean {
    if (peer === this.id) return true;
    return this.isHealthy(process, peer) && status.progress?.[peer]?.matchIndex === status.lastIndex;
  }

  /**
   * Stand-in for pair mode's in-sync rule, kept safe for majority elections: every in-sync set is a
   * majority of the voters, so every committed entry is on every election quorum.
   */
  private adjustInSync(process: NodeProcess, status: RaftStatus): boolean {
    const { voters, inSync } = status.configuration;
    const majority = Math.floor(voters.length / 2) + 1;
    let desired = voters.filter((id) =>
      inSync.includes(id) ? this.isHealthy(process, id) : this.isCaughtUp(process, status, id),
    );
    if (desired.length < majority) {
      desired = voters.filter((id) => inSync.includes(id) || this.isCaughtUp(process, status, id));
    }
    if (!desired.includes(this.id)) desired.push(this.id);
    if (desired.length === inSync.length && desired.every((id) => inSync.includes(id))) return false;
    try {
      process.raft.proposeConfiguration({ voters: [...voters], inSync: desired });
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      return false;
    }
    this.statistics.configurationChanges += 1;
    this.trace(`proposed in-sync set (${desired.join(',')}) instead of (${inSync.join(',')})`);
    this.afterInput(process);
    return true;
  }

  /** Stand-in for pair mode's priority: hand leadership to main once it holds the whole log. */
  private maybeTransferToPriority(process: NodeProcess, status: RaftStatus): void {
    const priority = this.options.priorityNodeId;
    if (priority === null || priority === this.id) return;
    const now = this.environment.nowMs();
    if (now - process.lastTransferAtMs < this.options.failoverTimeoutMs) return;
    if (!status.configuration.inSync.includes(priority) || !this.isCaughtUp(process, status, priority))
      return;
    process.lastTransferAtMs = now;
    process.raft.transferLeadership(priority);
    this.statistics.leadershipTransfers += 1;
    this.trace(`transfers leadership to ${priority}`);
    this.afterInput(process);
  }

  private expireWaiters(process: NodeProcess): void {
    const now = this.environment.nowMs();
    for (const [index, waiter] of process.waiters) {
      if (waiter.deadlineMs > now) continue;
      process.waiters.delete(index);
      this.replyError(process, waiter.origin, 'commit_timeout', process.softState.leaderId);
    }
  }

  // -----------------------------------------------------------------------------------------------
  // Helpers.

  private replyError(
    process: NodeProcess,
    origin: ClientOrigin,
    code: ClientErrorCode,
    leaderId: string | null,
  ): void {
    this.environment.reply(origin.workstationId, {
      requestId: origin.requestId,
      attempt: origin.attempt,
      term: process.raft.status().term,
      nodeId: this.id,
      body: { kind: 'error', code, leaderId },
    });
  }

  /** Crashes the process if a crash is armed for this point and its guard allows it now. */
  private armedCrashStrikes(process: NodeProcess, point: CrashPoint): boolean {
    if (process.armedCrash !== point) return false;
    const guard = process.armedCrashGuard;
    process.armedCrash = null;
    process.armedCrashGuard = null;
    if (guard !== null && !guard()) {
      this.trace(`armed crash (${point}) called off: the peer could not take over safely`);
      return false;
    }
    this.trace(`armed crash (${point}) strikes`);
    this.crash();
    this.environment.crashed(this.id);
    return true;
  }

  private trace(line: string): void {
    this.environment.trace(`${this.id} ${line}`);
  }
}

function abbreviate(text: string): string {
  return text.length <= 240 ? text : `${text.slice(0, 237)}...`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An offered solo entry as describeMergedEntry wrote it; throws on anything else. */
function mergedEntryOf(entry: Entry): MergedEntry {
  const parsed: unknown = JSON.parse(decoder.decode(entry.data));
  const error = validateMergedEntry(parsed);
  if (error !== null) throw new Error(`offered entry ${entry.index}: ${error.field} ${error.message}`);
  const merged = parsed as MergedEntry;
  if (merged.index !== entry.index || merged.term !== entry.term) {
    throw new Error(`offered entry ${entry.index}/${entry.term} describes ${merged.index}/${merged.term}`);
  }
  return merged;
}
