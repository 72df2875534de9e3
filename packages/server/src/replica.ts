// The replica is the server's adapter over the shared driver (@tandem/driver): the driver carries
// out what the consensus core decides, in the order "persist, then send, then apply, then
// advance", with group commit; the replica gives it LevelDB storage, the gRPC transport, the wall
// clock and Node's timers, and turns its refusals into the server's operational errors.
// The simulation (packages/testkit) runs the same driver on a virtual clock.

import assert from 'node:assert/strict';
import type {
  Configuration,
  HardState,
  Message,
  NodeId,
  RaftConfig,
  RaftStatus,
  RoleChange,
  Snapshot,
  SnapshotMetadata,
  SnapshotReport,
  SoftState,
} from '@tandem/consensus';
import { ConsensusError, DrainRefusedError } from '@tandem/consensus';
import {
  Driver,
  type Applied as DriverApplied,
  DriverRefusal,
  type DriverStatistics,
  type DriverStorage,
  type LogHash,
  SnapshotDataError,
} from '@tandem/driver';
import type { Command, LedgerStateMachine, Result } from '@tandem/ledger';
import { ENTRY_DATA_MAX_BYTES, type Ledger, ledgerStateMachines, resolveLedgerOptions } from '@tandem/ledger';
import type { KeyValueArea, NodeStorage, PersistUpdate } from '@tandem/storage';
import { clusterIdToPropose, ledgerOptionsOf } from './cluster-id.js';
import type { TandemConfig } from './config.js';
import { mainNodeId, witnessOf } from './config.js';
import type { CrashPoints, CrashSubject } from './crash-points.js';
import { InvalidArgumentError, OperationalError, PreconditionError } from './errors.js';
import type { Logger } from './logger.js';
import { peerMessageLimits } from './peer-messages.js';
import { coreRefusalSink, RefusalLog } from './refusal-log.js';
import { ReportIndex } from './report-index.js';
import { SnapshotStallMonitor } from './snapshot-stall-monitor.js';
import { StallLog } from './stall-log.js';
import { startTickTimer } from './tick-timer.js';
import type { LedgerView } from './usage-history.js';

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

/** A backup keeps at most this many solo entries uncompacted for a later merge. */
export const MAX_RETAINED_SOLO_ENTRIES = 500_000;

export interface ReplicaOptions {
  config: TandemConfig;
  storage: NodeStorage;
  logger: Logger;
  /** Wall-clock time in ms; only the leader's proposals read it, and it is made monotonic there. */
  clock: () => number;
  transport?: Transport;
  /** Injected randomness for election jitter. */
  randomInt?: (maxExclusive: number) => number;
  /** Test-only failpoints (case 12 of the partition matrix, test/netns/README.md); absent in production. */
  crashPoints?: CrashPoints;
  /** Where refused peer messages are logged (rate-limited); one is made when absent. */
  refusals?: RefusalLog;
  /** Told of every change of the core's role, after it is logged (the metrics count hand-backs). */
  roleChanged?: (previous: SoftState, change: RoleChange) => void;
  /** Where the usage-report index lives (report-index.ts); absent: no reports. */
  reportArea?: KeyValueArea;
  /**
   * Records a snapshot writes per event-loop turn (the driver's default when absent); the
   * snapshot benchmark sets it very high to measure a snapshot written in one go, as before.
   */
  snapshotSliceRecords?: number;
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
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly appliedListeners = new Set<(index: number) => void>();
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly options: ReplicaOptions,
    private readonly driver: Driver<LedgerStateMachine>,
    /** The usage-report index this replica feeds; null without a report area. */
    readonly reports: ReportIndex | null,
    private readonly stalls: SnapshotStallMonitor,
  ) {}

  /** The driver's counts (batches, elections, merges, snapshots); read-only, for the metrics. */
  get statistics(): Readonly<DriverStatistics> {
    return this.driver.statistics;
  }

  /** The applied ledger; read-only use only (queries and pre-checks). */
  get ledger(): Ledger {
    return this.driver.stateMachine.ledger;
  }

  static async open(options: ReplicaOptions): Promise<Replica> {
    const { config, storage, logger } = options;
    const loaded = await storage.load();
    const reports =
      options.reportArea === undefined
        ? null
        : await ReportIndex.open(options.reportArea, {
            retentionDays: config.reports.retentionDays,
            onReset: (reason) =>
              logger.warn('the usage-report index could not be read; it starts over', { reason }),
            onError: (error) =>
              logger.error('the usage-report index failed to write; reports stop', { error: error.message }),
          });
    const refusals = options.refusals ?? new RefusalLog({ logger, clock: options.clock });
    const maxEntryBytes =
      config.cluster.mode === 'single'
        ? ENTRY_DATA_MAX_BYTES
        : Math.min(ENTRY_DATA_MAX_BYTES, peerMessageLimits(config).maxEntryBytes);
    let replica: Replica | null = null;
    const stalls = new SnapshotStallMonitor(logger);
    const driver = new Driver({
      raft: {
        ...raftConfig(
          config,
          options.randomInt ?? ((maxExclusive) => Math.floor(Math.random() * maxExclusive)),
        ),
        // The core's account of each notable change (role, term, vote, in-sync set, hand-back,
        // truncation, snapshot), so that an operator can read from the log why the cluster moved.
        trace: (line) => logger.info('consensus', { event: line }),
        // Refused peer messages, and rejected appends, at most one line a second per kind.
        refusal: coreRefusalSink(refusals),
      },
      initial: {
        hardState: loaded.hardState,
        snapshot:
          loaded.snapshot === null
            ? null
            : adoptClusterConfiguration(loaded.snapshot.metadata, config, logger),
        entries: loaded.entries,
        configuration: initialConfiguration(config),
      },
      snapshotData: loaded.snapshot?.data ?? null,
      stateMachines: ledgerStateMachines(ledgerOptionsOf(config)),
      // The report index writes what it folded before the log under a snapshot is deleted, so a
      // restart never finds entries the index has not written already compacted away.
      storage: durableStorage(storage, loaded.hardState, options.crashPoints, () =>
        reports === null ? Promise.resolve() : reports.flush().catch(() => undefined),
      ),
      transport: options.transport ?? NO_PEERS,
      clock: options.clock,
      scheduler: { defer: (action) => setImmediate(action), later: (action) => setImmediate(action) },
      logger,
      limits: {
        maxBatchEntries: config.limits.maxBatchEntries,
        maxPendingOperations: config.limits.maxPendingOperations,
        operationTimeoutMs: config.limits.operationTimeoutMs,
        maxEntryBytes,
        snapshotEveryEntries:
          config.snapshot.everyEntries === 0 ? Number.POSITIVE_INFINITY : config.snapshot.everyEntries,
        snapshotEveryBytes: config.snapshot.everyBytes,
        ...(options.snapshotSliceRecords === undefined
          ? {}
          : { snapshotSliceRecords: options.snapshotSliceRecords }),
        maxRetainedSoloEntries: MAX_RETAINED_SOLO_ENTRIES,
        leaseExpiryIntervalMs: config.timing.leaseExpiryIntervalMs,
        maxExtendMs: resolveLedgerOptions(ledgerOptionsOf(config)).maxExtendMs,
      },
      clusterIdToPropose: clusterIdToPropose(config),
      configuredClusterId: config.cluster.id,
      campaignAtStart: config.cluster.mode === 'single',
      events: {
        // Every change the core reports, even one its soft state hides (a leader that stepped
        // down and won a new term within one Ready).
        roleChanged: (previous, change) => {
          logger.info('role changed', {
            role: change.role,
            leaderId: change.leaderId,
            term: change.term,
            previousRole: previous.role,
          });
          options.roleChanged?.(previous, change);
        },
        // The usage-report index folds what each ledger entry did (report-index.ts).
        entryApplied: (entry, result) => {
          const ledger = replica?.ledger;
          if (reports === null || result === null || ledger === undefined) return;
          reports.entryApplied(entry.index, ledger.clockMs, ledger.appliedEvents());
        },
        snapshotBegun: (index) => stalls.begun(index),
        snapshotTaken: (snapshot) => stalls.taken(snapshot.metadata.index),
        snapshotInstalled: () => {
          if (replica !== null) noteRestored(reports, replica.ledger, logger);
        },
        historyDiscarded: () => reports?.historyDiscarded(),
        applied: (index) => {
          for (const listener of replica?.appliedListeners ?? []) listener(index);
        },
        failed: (error) => {
          process.exitCode = 1;
          replica?.onFatal?.(error);
        },
      },
    });
    replica = new Replica(options, driver, reports, stalls);
    // Entries compacted into a snapshot the index never folded (a new index, a lost write).
    noteRestored(reports, replica.ledger, logger);
    logger.info('replica opened', {
      snapshotIndex: loaded.snapshot?.metadata.index ?? 0,
      entries: loaded.entries.length,
      term: loaded.hardState?.term ?? 0,
      commitIndex: loaded.hardState?.commitIndex ?? 0,
    });
    return replica;
  }

  /**
   * Starts the core's clock (tick-timer.ts: the ticks the wall clock says are due, after the
   * messages that waited). A cluster of one elects itself at once.
   */
  start(): void {
    const { tickIntervalMs, heartbeatIntervalMs } = this.options.config.timing;
    const stalls = new StallLog(this.options.logger);
    this.timers.push(
      startTickTimer({
        tickIntervalMs,
        heartbeatIntervalMs,
        tick: () => this.driver.tick(),
        stalled: (stalledMs) => stalls.note(stalledMs),
      }),
    );
    this.driver.start();
  }

  /** Proposes a client command and resolves once it is committed and applied. */
  submit(command: Command): Promise<Applied> {
    if (this.driver.serving) this.assertLeader();
    return new Promise<Applied>((resolve, reject) => {
      this.driver.submit(command, (outcome) => {
        if (outcome instanceof DriverRefusal) {
          reject(operationalError(outcome));
        } else {
          resolve(appliedOf(outcome));
        }
      });
    });
  }

  /**
   * While this node campaigns on a timeout_now (the leader handed leadership to it), waits until it
   * leads or the campaign ends, at most a failover timeout: a client request that arrives then is
   * served here in a moment rather than refused without a leader to name.
   */
  async awaitTakeOver(): Promise<void> {
    if (!this.driver.takingOver) return;
    const deadline = this.options.clock() + this.options.config.timing.failoverTimeoutMs;
    while (this.driver.takingOver && this.options.clock() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /** Throws not_leader, with the leader's id when known, unless this node leads. */
  assertLeader(): void {
    if (!this.driver.isLeader()) {
      throw new OperationalError('not_leader', 'this node is not the leader', true, this.driver.leaderHint());
    }
  }

  /**
   * Throws not_leader unless this node leads and may answer a read from its applied state (see
   * Driver.readable): within half the failover timeout of hearing another voting member.
   */
  assertReadable(): void {
    this.assertLeader();
    if (this.options.config.cluster.mode === 'single') return;
    if (!this.driver.readable(this.options.config.timing.failoverTimeoutMs / 2)) {
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
    while (!this.isLeader() && this.options.clock() < deadline && this.driver.serving) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  isLeader(): boolean {
    return this.driver.isLeader();
  }

  status(): ReplicaStatus {
    const raftStatus = this.driver.status();
    return {
      id: this.options.config.node.id,
      role: raftStatus.role,
      leaderId: raftStatus.leaderId,
      term: raftStatus.term,
      commitIndex: raftStatus.commitIndex,
      appliedIndex: raftStatus.appliedIndex,
      lastIndex: raftStatus.lastIndex,
      snapshotIndex: this.driver.currentSnapshotIndex,
      configuration: raftStatus.configuration,
      progress: raftStatus.progress,
    };
  }

  /** Whether the replica takes messages and operations (not stopped, not failed). */
  get serving(): boolean {
    return this.driver.serving;
  }

  /**
   * The transport's entry point: a message from a peer (a request it received, or the answer to a
   * request this node sent, with when that request left).
   */
  step(message: Message, requestSentAtMs?: number): void {
    if (!this.serving) return;
    assert.equal(message.to, this.options.config.node.id, `a message for ${message.to} reached this node`);
    this.driver.step(message, requestSentAtMs);
  }

  /** The transport could not reach a peer: the leader stops pipelining to it. */
  reportUnreachable(peer: NodeId): void {
    this.driver.reportUnreachable(peer);
  }

  /** A vote request met a refused connection: pair mode goes on without that answer. */
  reportVoteRefused(peer: NodeId, request: { term: number; preVote: boolean }): void {
    this.driver.reportVoteRefused(peer, request);
  }

  /** The transport finished (or failed) streaming a snapshot to a peer. */
  reportSnapshot(peer: NodeId, report: SnapshotReport): void {
    this.driver.reportSnapshot(peer, report);
  }

  /**
   * Starts handing leadership to a peer: the core refuses proposals meanwhile, brings the peer up to
   * date and tells it to campaign. The caller watches status() for the outcome.
   */
  transferLeadership(peer: NodeId): void {
    try {
      this.driver.transferLeadership(peer);
    } catch (error) {
      if (!(error instanceof DriverRefusal)) throw error;
      throw operationalError(error);
    }
  }

  /**
   * Drains or undrains a data node (a configuration entry, see RaftNode.setDrained) and resolves once
   * this node has applied the change, with the configuration then in effect. A change of the in-sync
   * set still in flight is waited out, up to timeoutMs. Throws not_leader on a follower (with the
   * leader's id), and PreconditionError drain_refused when no other data node could lead.
   */
  async setDrained(node: NodeId, drained: boolean, timeoutMs: number): Promise<Configuration> {
    const deadlineMs = Date.now() + timeoutMs;
    for (;;) {
      let position: ReturnType<Driver<LedgerStateMachine>['setDrained']>;
      try {
        position = this.driver.setDrained(node, drained);
      } catch (error) {
        if (error instanceof DriverRefusal) throw operationalError(error);
        if (error instanceof DrainRefusedError)
          throw new PreconditionError('drain_refused', 'node_id', error.message);
        if (!(error instanceof ConsensusError)) throw error;
        if (!error.retryable || Date.now() >= deadlineMs) {
          throw new OperationalError(
            'overloaded',
            `cannot change the drained nodes now: ${error.message}`,
            true,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (position !== null)
        await this.waitForApplied(position.lastIndex, Math.max(0, deadlineMs - Date.now()));
      const configuration = this.driver.status().configuration;
      if ((configuration.drained ?? []).includes(node) !== drained) {
        throw new OperationalError(
          'commit_timeout',
          `the change was not committed within ${timeoutMs} ms; ask again`,
          true,
          this.driver.leaderHint(),
        );
      }
      if (position !== null && this.driver.status().appliedIndex < position.lastIndex) {
        throw new OperationalError(
          'commit_timeout',
          `the change was not committed within ${timeoutMs} ms`,
          true,
        );
      }
      return configuration;
    }
  }

  /** This node is about to stop: its leader drops it from the in-sync set (see RaftNode.leave). */
  leave(): void {
    this.driver.leave();
  }

  /**
   * The peer a leader that is about to stop could hand leadership to, or why there is none: a data
   * node in the in-sync set that acknowledged an append within a heartbeat interval (or two ticks)
   * and holds all but a batch of the log, so that it can take over at once. A drained peer counts:
   * leading for a while beats a failover gap, and it hands leadership off again once it can.
   */
  handOverTarget(): { peer: NodeId } | { reason: string } {
    const status = this.driver.status();
    if (status.role !== 'leader') return { reason: 'this node does not lead' };
    const { config } = this.options;
    const tickMs = config.timing.tickIntervalMs;
    const recentTicks = Math.max(2, Math.ceil(config.timing.heartbeatIntervalMs / tickMs));
    const peers = status.configuration.inSync.filter((id) => id !== status.id);
    if (peers.length === 0) return { reason: 'no peer is in the in-sync set' };
    for (const peer of peers) {
      const progress = status.progress?.[peer];
      if (progress === undefined) continue;
      const caughtUp = status.lastIndex - progress.matchIndex <= config.limits.maxBatchEntries;
      if (caughtUp && progress.lastAcknowledgementTicksAgo <= recentTicks) return { peer };
    }
    return { reason: `${peers.join(', ')} has not acknowledged the whole log recently` };
  }

  /** Resolves once this node has applied `index` (or after timeoutMs, whichever is first). */
  waitForApplied(index: number, timeoutMs: number): Promise<void> {
    if (this.driver.status().appliedIndex >= index) return Promise.resolve();
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

  /** Takes a snapshot of the ledger at the applied index and compacts the log under it. */
  takeSnapshot(): Promise<Snapshot> {
    return new Promise((resolve, reject) => {
      this.driver.takeSnapshot((outcome) => {
        if (outcome instanceof DriverRefusal) reject(operationalError(outcome));
        else if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      });
    });
  }

  stop(): Promise<void> {
    if (this.stopping === null) {
      for (const timer of this.timers) clearInterval(timer);
      this.stalls.stop();
      const stopped = new Promise<void>((resolve) => this.driver.stop(resolve));
      // The index writes what it folded before the storage closes.
      this.stopping = stopped.then(() => this.reports?.close().catch(() => undefined));
    }
    return this.stopping;
  }

  /** Called when the replica can no longer serve (the server exits). */
  onFatal: ((error: Error) => void) | null = null;

  /**
   * Checks a snapshot received from a peer before it is stepped into the core (see
   * Driver.prepareSnapshot). Throws InvalidArgumentError naming the field.
   */
  prepareSnapshot(data: Uint8Array, snapshotIndex: number): void {
    try {
      this.driver.prepareSnapshot(data, snapshotIndex);
    } catch (error) {
      if (error instanceof SnapshotDataError) throw new InvalidArgumentError(error.field, error.message);
      throw error;
    }
  }

  /**
   * The log hash chain through index when this node has applied it and still remembers it, or
   * else through its applied index; null when unknown (see @tandem/driver's log-hash.ts).
   */
  logHash(index?: number): LogHash | null {
    return this.driver.logHash(index);
  }
}

/** Tells the report index where the ledger now stands; a skipped stretch is logged. */
function noteRestored(reports: ReportIndex | null, ledger: Ledger, logger: Logger): void {
  if (reports === null) return;
  const view: LedgerView = {
    appliedIndex: ledger.appliedIndex,
    clockMs: ledger.clockMs,
    leases: ledger.listLeases(),
  };
  const gap = reports.ledgerRestored(view);
  if (gap !== null) {
    logger.warn('the usage-report index missed entries compacted into a snapshot; reports say so', {
      fromMs: gap.fromMs,
      toMs: gap.toMs,
      appliedIndex: ledger.appliedIndex,
    });
  }
}

function appliedOf(outcome: DriverApplied): Applied {
  return { result: outcome.result, index: outcome.index, term: outcome.term };
}

/** The driver's refusals as the server's errors (too_large is the request's own fault). */
function operationalError(refusal: DriverRefusal): Error {
  if (refusal.code === 'too_large') return new InvalidArgumentError('request', refusal.message);
  return new OperationalError(refusal.code, refusal.message, refusal.retryable, refusal.leaderId);
}

/**
 * LevelDB storage as the driver uses it, with the test-only crash points around each write: with
 * the write in flight, and once it is durable, before anything depending on it is sent.
 * beforeCompaction runs (and is waited for) before each compaction's write is issued.
 */
function durableStorage(
  storage: NodeStorage,
  loaded: HardState | null,
  crashPoints: CrashPoints | undefined,
  beforeCompaction: () => Promise<void>,
): DriverStorage {
  let persisted = loaded;
  return {
    persist(update, done) {
      const written = storage.persist(update);
      const subjects = crashPoints === undefined ? null : crashSubjects(update, persisted);
      if (subjects !== null) crashPoints?.reached('persist_in_flight', subjects);
      written.then(
        () => {
          if (update.hardState !== null && update.hardState !== undefined) persisted = update.hardState;
          if (subjects !== null) crashPoints?.reached('after_persist', subjects);
          done(null);
        },
        (error: Error) => done(error),
      );
    },
    compact(snapshot, done) {
      beforeCompaction()
        .then(() => {
          const written = storage.compact(snapshot);
          crashPoints?.reached('persist_in_flight', SNAPSHOT_SUBJECTS);
          return written;
        })
        .then(
          () => {
            crashPoints?.reached('after_persist', SNAPSHOT_SUBJECTS);
            done(null);
          },
          (error: Error) => done(error),
        );
    },
  };
}

/** The compaction's subject, for the crash points. */
const SNAPSHOT_SUBJECTS: ReadonlySet<CrashSubject> = new Set(['snapshot']);

/** What a write carries, for the crash points: log entries, and a new term and vote. */
function crashSubjects(update: PersistUpdate, persisted: HardState | null): Set<CrashSubject> {
  const subjects = new Set<CrashSubject>();
  if ((update.entries?.length ?? 0) > 0) subjects.add('entries');
  const hardState = update.hardState ?? null;
  if (
    hardState !== null &&
    hardState.votedFor !== null &&
    (persisted === null || persisted.term !== hardState.term || persisted.votedFor !== hardState.votedFor)
  ) {
    subjects.add('vote');
  }
  return subjects;
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

function raftConfig(
  config: TandemConfig,
  randomInt: (maxExclusive: number) => number,
): Omit<RaftConfig, 'describeMergedEntry'> {
  const ticksPer = (milliseconds: number) =>
    Math.max(1, Math.round(milliseconds / config.timing.tickIntervalMs));
  const raft: Omit<RaftConfig, 'describeMergedEntry'> = {
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
    startupGraceTicks: Math.round(config.timing.startupGraceMs / config.timing.tickIntervalMs),
  };
}
