// A simulated data node: the production driver (@tandem/driver) with the ledger, on a
// MemoryStorage whose writes become durable only at a simulated fsync, an in-memory network and
// the simulated clock. Everything the server's Replica does with the core's Readies happens here
// the same way, because it is the same code; this file only adapts the environment:
// - storage: a write is issued at once and its fsync completes after a random delay (slow
//   sometimes); a power failure loses every write not yet flushed;
// - transport: messages go to the simulated network; install_snapshot messages get the latest
//   snapshot this node stored;
// - clock: the simulated time, skewed per node; the scheduler runs the driver's pump at once;
// - the edge: a retried request is answered from the ledger, activations wait for the cluster id,
//   acquires get a nonce derived from the request;
// - checks: every applied entry, leader and commit decision is reported to the checker; planted
//   bugs and armed crashes are injected through the environment, never inside the driver.
// A crash drops the process; a restart loads what was durable and starts a new driver over it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type {
  Configuration,
  Entry,
  Message,
  RaftConfig,
  RaftNode,
  RaftStatus,
  Snapshot,
} from '@tandem/consensus';
import { ConsensusError } from '@tandem/consensus';
import {
  type Applied,
  Driver,
  DriverRefusal,
  type DriverStatistics,
  type DriverStorage,
  emptyDriverStatistics,
} from '@tandem/driver';
import {
  type Command,
  type CommittedEntry,
  decodeEntryData,
  Ledger,
  type LedgerOptions,
  LedgerStateMachine,
  type MergeEntries,
  type OfferedEntries,
  type Result,
  resolveLedgerOptions,
} from '@tandem/ledger';
import { leaseIntentFor } from '@tandem/server';
import { MemoryStorage, type PersistUpdate } from '@tandem/storage';
import type { SimulationChecker } from './checker.js';
import type { ClientErrorCode, ClientReply, ClientRequest } from './messages.js';
import type { SettleCallback } from './network.js';
import { isAnswer, PendingAnswers } from './pending-answers.js';
import type { SimulationRandom } from './random.js';
import type { SimulatedTickTimer } from './tick-timer.js';

/** The cluster id simulated leaders record; the operator's licence files are issued for it. */
export const SIMULATED_CLUSTER_ID = 'simulated-cluster';
/**
 * Simulated time between two slices of a snapshot: long enough that a snapshot being written
 * (5 to 60 slices here) meets installs, discarded histories, crashes and stops.
 */
const SNAPSHOT_SLICE_DELAY_MS = 20;

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
 *   the backup's solo entries as merged (and the backup discards them) although none was re-applied;
 * - miss_leadership_restart: the driver hears of role changes only when a Ready's soft state
 *   changed (the server before issue 14), so a leader that follows and leads again within one
 *   Ready (a main ending a split brain) keeps the read lease of its old term and serves no reads.
 */
export type PlantedBug =
  | 'acknowledge_before_durable'
  | 'skip_apply'
  | 'skip_merge'
  | 'miss_leadership_restart';

/** Every planted bug, for the command line and the tests. */
export const PLANTED_BUGS: readonly PlantedBug[] = [
  'acknowledge_before_durable',
  'skip_apply',
  'skip_merge',
  'miss_leadership_restart',
];

export interface SimulatedNodeOptions {
  id: string;
  /** The configuration the cluster starts with (voters and in-sync set). */
  configuration: Configuration;
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
  /** requestSentAtMs: see RaftPayload (messages.ts). */
  sendRaft(message: Message, settle: SettleCallback | null, requestSentAtMs?: number): void;
  reply(workstationId: string, reply: ClientReply): void;
  schedule(atMs: number, action: () => void): void;
  /** The node went down by itself (an armed crash): the simulation schedules its restart. */
  crashed(nodeId: string): void;
  checker: SimulationChecker;
  /** The node's tick timer (late firings, the server's TickPacer). */
  tickTimer: SimulatedTickTimer;
  trace(line: string): void;
}

export interface NodeStatistics extends DriverStatistics {
  crashes: number;
  /** Crashes that lost a write issued but not yet flushed (the crash between append and fsync). */
  crashesLosingWrites: number;
  gracefulStops: number;
  restarts: number;
  writes: number;
  snapshotsSent: number;
  /** install_snapshot messages for a snapshot that a newer compaction had replaced. */
  snapshotsSuperseded: number;
  /** Vote requests refused at the connection (the recipient's process was down). */
  voteRequestsRefused: number;
  configurationChanges: number;
  leadershipTransfers: number;
}

interface ClientOrigin {
  workstationId: string;
  requestId: string;
  attempt: number;
}

/** Requests of one kind from one peer that wait for this node's answer, at most (as the server's). */
const MAX_PENDING_ANSWERS_PER_KIND = 1_000;
/** How long a request waits for its answer before it is forgotten (the server's RPC gives up). */
const ANSWER_WAIT_MS = 1_000;

/** Thrown to stop the whole run when a node can no longer be trusted (a refused write). */
export class SimulationHalt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SimulationHalt';
  }
}

/**
 * The ledger as the simulated node applies it: every apply is reported to the checker, and the
 * planted bugs skip_apply and skip_merge live here, outside the driver.
 */
class SimulatedStateMachine extends LedgerStateMachine {
  /** The last entry skipped by skip_apply (the checker records it as not applied). */
  skippedIndex = 0;
  private appliedClientCommands = 0;

  constructor(
    ledger: Ledger,
    private readonly node: SimulatedNode,
  ) {
    super(ledger);
  }

  override apply(entry: CommittedEntry): Result {
    const { command } = decodeEntryData(entry.data);
    if (this.skips(command)) {
      this.skippedIndex = entry.index;
      return { ok: false, reason: 'invalid_command', message: 'skipped (planted bug skip_apply)' };
    }
    return this.node.observedApply(this, entry, command, () => super.apply(entry));
  }

  override buildMerge(offer: OfferedEntries, timestampMs: number): MergeEntries {
    const built = super.buildMerge(offer, timestampMs);
    if (this.node.plantedBug !== 'skip_merge') return built;
    const empty = {
      type: 'merge',
      sourceNodeId: offer.from,
      sourceTerms: [...offer.sourceTerms],
      entries: [],
    };
    const data = this.encode(empty as Command, timestampMs);
    assert.ok(data !== null, 'an empty merge fits');
    return { data: [data], dropped: [] };
  }

  private skips(command: Command): boolean {
    if (this.node.plantedBug !== 'skip_apply' || !('requestId' in command)) return false;
    this.appliedClientCommands += 1;
    return this.node.id === 'backup' && this.appliedClientCommands % 3 === 0;
  }
}

/** Armed crashes, and the bookkeeping a crash wipes out: one run of the node's process. */
class NodeProcess {
  readonly lastHeardFromMs = new Map<string, number>();
  /** When a message from each other voter last arrived (never set otherwise, unlike lastHeardFromMs). */
  readonly lastMessageFromMs = new Map<string, number>();
  lastTransferAtMs = Number.NEGATIVE_INFINITY;
  armedCrash: CrashPoint | null = null;
  armedCrashGuard: (() => boolean) | null = null;
  /** Writes issued and not yet flushed. */
  unflushedWrites = 0;
  /** The driver's last snapshot (durable): what install_snapshot messages carry. */
  latestSnapshot: Snapshot | null;
  /** Set by stop(): the last write goes straight to storage, which close() flushes. */
  stopping = false;
  /** Requests from peers waiting for this process's answer, with when they left (see pending-answers.ts). */
  readonly pendingAnswers = new PendingAnswers(MAX_PENDING_ANSWERS_PER_KIND, ANSWER_WAIT_MS);
  driver!: Driver<SimulatedStateMachine>;

  constructor(
    readonly storage: MemoryStorage,
    snapshot: Snapshot | null,
  ) {
    this.latestSnapshot = snapshot;
  }
}

export class SimulatedNode {
  readonly id: string;
  private storage: MemoryStorage;
  private process: NodeProcess | null = null;
  private incarnation = 0;
  readonly statistics: NodeStatistics = {
    ...emptyDriverStatistics(),
    crashes: 0,
    crashesLosingWrites: 0,
    gracefulStops: 0,
    restarts: 0,
    writes: 0,
    snapshotsSent: 0,
    snapshotsSuperseded: 0,
    voteRequestsRefused: 0,
    configurationChanges: 0,
    leadershipTransfers: 0,
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

  get plantedBug(): PlantedBug | null {
    return this.options.plantedBug;
  }

  get isUp(): boolean {
    return this.process !== null;
  }

  /** Up and leading, as this node's driver sees it (its last soft state). */
  get isLeader(): boolean {
    return this.process?.driver.isLeader() === true;
  }

  /** The applied ledger of the running process. */
  get ledger(): Ledger {
    assert.ok(this.process !== null, `${this.id} is down`);
    return this.process.driver.stateMachine.ledger;
  }

  status(): RaftStatus {
    assert.ok(this.process !== null, `${this.id} is down`);
    return this.process.driver.status();
  }

  /** Up, no write waiting, no client operation queued or waiting. */
  get isIdle(): boolean {
    const process = this.process;
    return process !== null && process.unflushedWrites === 0 && process.driver.isIdle;
  }

  // -----------------------------------------------------------------------------------------------
  // Life cycle.

  /** Starts (or restarts) from what the storage holds durably. */
  async start(): Promise<void> {
    assert.equal(this.process, null, `${this.id} is already running`);
    const loaded = await this.storage.load();
    const process = new NodeProcess(this.storage, loaded.snapshot);
    const options = this.options;
    const ledgerOptions = resolveLedgerOptions(options.ledgerOptions);
    process.driver = new Driver<SimulatedStateMachine>({
      raft: {
        id: this.id,
        electionTimeoutTicks: options.electionTimeoutTicks,
        heartbeatIntervalTicks: options.heartbeatIntervalTicks,
        randomInt: (maxExclusive) => this.random.below(maxExclusive),
        maxEntriesPerMessage: options.maxEntriesPerMessage,
        maxInflightMessages: options.maxInflightMessages,
        preVote: options.preVote,
        checkQuorum: options.checkQuorum,
        ...options.coreOptions,
        ...(options.traceCore ? { trace: (line: string) => this.environment.trace(`core ${line}`) } : {}),
      },
      initial: {
        hardState: loaded.hardState,
        snapshot: loaded.snapshot?.metadata ?? null,
        entries: loaded.entries,
        configuration: options.configuration,
      },
      snapshotData: loaded.snapshot?.data ?? null,
      stateMachines: {
        empty: () => new SimulatedStateMachine(new Ledger(options.ledgerOptions), this),
        restore: (data) => new SimulatedStateMachine(Ledger.restore(data, options.ledgerOptions), this),
      },
      storage: this.driverStorage(process),
      transport: { send: (messages) => this.send(process, messages) },
      clock: () => this.clockMs(),
      scheduler: {
        defer: (action) => action(),
        // A snapshot's slices are events of their own, so that messages, writes and operations
        // come between them, as other callbacks do between setImmediate turns in the server.
        later: (action) =>
          this.environment.schedule(this.environment.nowMs() + SNAPSHOT_SLICE_DELAY_MS, () => {
            if (this.process !== process) return;
            action();
            this.afterInput(process);
          }),
      },
      logger: {
        debug: () => {},
        info: (message, fields) => this.trace(describe(message, fields)),
        warn: (message, fields) => this.trace(describe(message, fields)),
        error: (message, fields) => this.trace(describe(message, fields)),
      },
      limits: {
        maxBatchEntries: options.maxBatchEntries,
        maxPendingOperations: options.maxPendingOperations,
        operationTimeoutMs: options.operationTimeoutMs,
        maxEntryBytes: Number.POSITIVE_INFINITY,
        snapshotEveryEntries: options.snapshotEveryEntries,
        // A few slices per snapshot even for the small ledgers of a run.
        snapshotSliceRecords: Math.max(1, Math.floor(options.snapshotEveryEntries / 4)),
        maxRetainedSoloEntries: options.maxRetainedSoloEntries,
        leaseExpiryIntervalMs: options.leaseExpiryIntervalMs,
        maxExtendMs: ledgerOptions.maxExtendMs,
      },
      clusterIdToPropose: SIMULATED_CLUSTER_ID,
      configuredClusterId: null,
      statistics: this.statistics,
      trackCommitDecisions: true,
      events: {
        roleChanged: (previous, change) => {
          if (previous.role === 'leader') {
            this.trace(
              `stopped leading (now ${change.role} at term ${change.term}, leader ${change.leaderId ?? 'unknown'})`,
            );
          }
          if (change.role === 'leader') {
            const now = this.environment.nowMs();
            for (const voter of options.configuration.voters) process.lastHeardFromMs.set(voter, now);
            this.trace(`leads term ${change.term}`);
          }
        },
        entryApplied: (entry, result) => this.observeApplied(process, entry, result),
        snapshotTaken: (snapshot) => {
          if (snapshot.metadata.index > (process.latestSnapshot?.metadata.index ?? 0)) {
            process.latestSnapshot = snapshot;
          }
        },
        snapshotInstalled: (snapshot) => {
          process.latestSnapshot = snapshot;
          this.environment.checker.observeSnapshotInstalled(this.id, snapshot.metadata.index);
        },
        historyDiscarded: () => {
          process.latestSnapshot = null;
          this.environment.checker.observeHistoryDiscarded(this.id, this.environment.nowMs());
        },
        failed: (error) =>
          this.environment.checker.fail(
            'exception',
            `${this.id}: ${error.stack ?? error.message}`,
            this.environment.nowMs(),
          ),
      },
    });
    if (options.plantedBug === 'miss_leadership_restart') hideRoleChanges(process.driver.raft);
    this.incarnation += 1;
    if (this.incarnation > 1) this.statistics.restarts += 1;
    this.process = process;
    this.environment.tickTimer.restart(this.environment.nowMs());
    this.trace(
      `started (incarnation ${this.incarnation}): term ${loaded.hardState?.term ?? 0}, commit ${loaded.hardState?.commitIndex ?? 0}, ` +
        `snapshot ${loaded.snapshot?.metadata.index ?? 0}, ${loaded.entries.length} entries`,
    );
    process.driver.start();
    this.afterInput(process);
  }

  /** A power failure: every write not yet flushed is lost with the process. */
  crash(): void {
    const process = this.process;
    assert.ok(process !== null, `${this.id} is already down`);
    const lost = this.storage.pendingWriteCount;
    this.statistics.crashes += 1;
    if (lost > 0) this.statistics.crashesLosingWrites += 1;
    process.driver.halt();
    this.storage = this.storage.crash();
    this.process = null;
    this.trace(`crashed${lost > 0 ? `, losing ${lost} unflushed write(s)` : ''}`);
  }

  /**
   * A clean shutdown, as the replica's stop(): the driver refuses what waits and writes a commit
   * index that skipped its own fsync; close() then flushes every write issued.
   */
  stop(): void {
    const process = this.process;
    assert.ok(process !== null, `${this.id} is already down`);
    this.statistics.gracefulStops += 1;
    process.stopping = true;
    process.driver.stop(() => {});
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

  /**
   * Returns false when the node is down (the message is lost). requestSentAtMs: see RaftPayload;
   * an answer's goes to the driver, a request's waits for this node's answer.
   */
  receiveRaft(message: Message, requestSentAtMs?: number): boolean {
    const process = this.process;
    if (process === null) return false;
    const now = this.environment.nowMs();
    process.lastHeardFromMs.set(message.from, now);
    process.lastMessageFromMs.set(message.from, now);
    if (isAnswer(message)) {
      process.driver.step(message, requestSentAtMs);
    } else {
      if (requestSentAtMs !== undefined) process.pendingAnswers.received(message, requestSentAtMs, now);
      process.driver.step(message);
    }
    this.afterInput(process);
    return true;
  }

  /**
   * Whether this node answers a read now, as the server's Replica.assertReadable decides: it leads,
   * and it heard another voting member in its term within half the failover timeout (its read
   * lease, Driver.readable), or it commits alone.
   */
  servesReads(): boolean {
    const driver = this.process?.driver;
    return driver?.isLeader() === true && driver.readable(this.options.failoverTimeoutMs / 2);
  }

  /**
   * A write at this node, as the edge proposes a workstation's (a lease-expiry tick: a command that
   * needs no licence); `done` gets the outcome, or nothing when the process goes down first.
   */
  probeWrite(done: (outcome: Applied | DriverRefusal) => void): void {
    const process = this.process;
    if (process === null) {
      done(new DriverRefusal('shutting_down', `${this.id} is down`));
      return;
    }
    process.driver.submit({ type: 'tick' }, (outcome) => {
      if (this.process === process) done(outcome);
    });
    this.afterInput(process);
  }

  /** As tandemd on SIGTERM: the node asks its leader to drop it from the in-sync set (RaftNode.leave). */
  leave(): void {
    const process = this.process;
    if (process === null) return;
    process.driver.leave();
    this.afterInput(process);
  }

  /**
   * An operator's drain or undrain at this node, as DrainNode's handler asks the driver: the
   * outcome in words ('proposed', 'unchanged', or the refusal's code), for the run's log.
   */
  setDrained(node: string, drained: boolean): string {
    const process = this.process;
    if (process === null) return 'down';
    let outcome: string;
    try {
      outcome = process.driver.setDrained(node, drained) === null ? 'unchanged' : 'proposed';
    } catch (error) {
      if (error instanceof DriverRefusal || error instanceof ConsensusError) return error.code;
      throw error;
    }
    this.afterInput(process);
    return outcome;
  }

  /** Returns false when the node is down (the request is lost). As the server's edge, then the driver. */
  receiveRequest(request: ClientRequest): boolean {
    const process = this.process;
    if (process === null) return false;
    const driver = process.driver;
    if (!driver.isLeader()) {
      this.replyError(process, request, 'not_leader', driver.leaderId);
      return true;
    }
    // As the server's edge does: a licence file waits until the cluster id is recorded.
    if (request.command.type === 'activate_licence' && driver.stateMachine.clusterId === null) {
      this.replyError(process, request, 'not_leader', driver.leaderId);
      return true;
    }
    // As the server's edge does: a retry of an applied request is answered from the ledger.
    const previous = driver.stateMachine.ledger.lookupRequest(request.requestId);
    if (previous !== undefined) {
      this.environment.reply(request.workstationId, {
        requestId: request.requestId,
        attempt: request.attempt,
        term: driver.status().term,
        nodeId: this.id,
        body: { kind: 'result', result: previous, index: driver.stateMachine.appliedIndex },
      });
      return true;
    }
    const origin: ClientOrigin = {
      workstationId: request.workstationId,
      requestId: request.requestId,
      attempt: request.attempt,
    };
    const command = withNonce(
      this.leaseIntentFor(process, request) ?? request.command,
      `${this.id}/${request.workstationId}/${request.requestId}/${request.attempt}`,
    );
    driver.submit(command, (outcome) => this.answer(process, origin, outcome));
    this.afterInput(process);
    return true;
  }

  /**
   * The server edge's own decision (operations.ts leaseIntentFor): pair mode, a release or renewal
   * of a lease this leader does not know and did not end, while some voter is out of its in-sync
   * set, is proposed as a lease_intent with the workstation's identity; null otherwise.
   */
  private leaseIntentFor(process: NodeProcess, request: ClientRequest): ClientRequest['command'] | null {
    const command = request.command;
    if (command.type !== 'renew_lease' && command.type !== 'release_lease') return null;
    const { voters, inSync } = process.driver.status().configuration;
    return leaseIntentFor(
      command,
      process.driver.stateMachine.ledger,
      request.workstationId,
      this.options.coreOptions.mode === 'pair',
      voters.some((member) => !inSync.includes(member)),
    );
  }

  /** One tick of the node's timer: the driver's tick, then the majority stand-ins' duties. */
  tick(): void {
    const process = this.process;
    if (process === null) return;
    const due = this.environment.tickTimer.fire(this.environment.nowMs());
    if (due === 0) return;
    for (let tick = 0; tick < due; tick += 1) {
      process.driver.tick();
      if (this.process !== process) return;
    }
    this.afterInput(process);
    if (process.driver.isLeader()) this.standInDuties(process);
  }

  // -----------------------------------------------------------------------------------------------
  // The environment of the driver.

  private afterInput(process: NodeProcess): void {
    if (this.process !== process) return;
    const status = process.driver.status();
    if (status.role === 'leader')
      this.environment.checker.observeLeader(this.id, status.term, this.environment.nowMs());
  }

  /** A client operation ended: answer the workstation (nobody, once the process is gone). */
  private answer(process: NodeProcess, origin: ClientOrigin, outcome: Applied | DriverRefusal): void {
    if (this.process !== process) return;
    if (outcome instanceof DriverRefusal) {
      if (outcome.code === 'shutting_down') return;
      const code: ClientErrorCode = outcome.code === 'too_large' ? 'overloaded' : outcome.code;
      this.replyError(process, origin, code, outcome.leaderId);
      return;
    }
    this.checkNotStale(process, origin.requestId, outcome.committedAtMs);
    this.environment.reply(origin.workstationId, {
      requestId: origin.requestId,
      attempt: origin.attempt,
      term: outcome.term,
      nodeId: this.id,
      body: { kind: 'result', result: outcome.result, index: outcome.index },
    });
  }

  /**
   * Storage for the driver: each write is issued at once and flushed by a simulated fsync later.
   * Armed crashes strike before or after the fsync; acknowledge_before_durable says a write is
   * durable as soon as it is issued.
   */
  private driverStorage(process: NodeProcess): DriverStorage {
    const issue = (update: PersistUpdate | { compaction: Snapshot }, done: (error: Error | null) => void) => {
      this.write(process, update);
      if (process.stopping) return;
      if (this.options.plantedBug === 'acknowledge_before_durable' && !('compaction' in update)) {
        // The bug: everything that depends on this write happens before it is durable.
        this.scheduleFsync(process, () => {});
        done(null);
        return;
      }
      if (this.armedCrashStrikes(process, 'before_fsync')) return;
      this.scheduleFsync(process, () => {
        if (this.armedCrashStrikes(process, 'after_fsync')) return;
        done(null);
      });
    };
    return {
      persist: (update, done) => issue(update, done),
      compact: (snapshot, done) => issue({ compaction: snapshot }, done),
    };
  }

  /** Issues one write; the storage must take it (as a pending write) or the run halts. */
  private write(process: NodeProcess, update: PersistUpdate | { compaction: Snapshot }): void {
    const storage = process.storage;
    const before = storage.pendingWriteCount;
    const promise = 'compaction' in update ? storage.compact(update.compaction) : storage.persist(update);
    const now = this.environment.nowMs();
    promise.then(undefined, (error: Error) =>
      this.environment.checker.fail(
        'exception',
        `${this.id}: storage refused a write: ${error.message}`,
        now,
      ),
    );
    if (storage.pendingWriteCount !== before + 1) {
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

  /** The simulated fsync of the oldest write issued completes after a random delay. */
  private scheduleFsync(process: NodeProcess, then: () => void): void {
    this.environment.schedule(this.environment.nowMs() + this.fsyncDelayMs(), () => {
      if (this.process !== process) return;
      assert.ok(process.storage.pendingWriteCount >= 1, `${this.id}: nothing to flush`);
      process.storage.flush(1);
      process.unflushedWrites -= 1;
      then();
      this.afterInput(process);
    });
  }

  private send(process: NodeProcess, messages: Message[]): void {
    for (const message of messages) this.sendOne(process, message);
    this.armedCrashStrikes(process, 'after_send');
  }

  private sendOne(process: NodeProcess, message: Message): void {
    const now = this.environment.nowMs();
    // An answer carries its request's send time back; a request carries its own (by this clock).
    const requestSentAtMs = isAnswer(message)
      ? process.pendingAnswers.answering(message, now)
      : this.clockMs();
    if (message.type === 'request_vote') {
      // A vote request to a node whose process is down is refused at the connection, as the
      // server's transport sees it (refusedAtConnection): the refusal comes back a moment later.
      const to = message.to;
      const request = { term: message.term, preVote: message.preVote };
      this.environment.sendRaft(
        message,
        (_delivered, atMs, refused) => {
          if (refused !== true) return;
          this.statistics.voteRequestsRefused += 1;
          this.environment.schedule(atMs + 1, () => {
            if (this.process !== process) return;
            process.driver.reportVoteRefused(to, request);
            this.afterInput(process);
          });
        },
        requestSentAtMs,
      );
      return;
    }
    if (message.type !== 'install_snapshot') {
      this.environment.sendRaft(message, null, requestSentAtMs);
      return;
    }
    // The core sends snapshot metadata only; the transport attaches the stored snapshot.
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
    const to = message.to;
    if (stored.metadata.index > wanted) {
      // A compaction replaced that snapshot after the core queued the message (the store keeps
      // only the latest): report the stream as failed, and the core sends the newer one.
      this.statistics.snapshotsSuperseded += 1;
      this.environment.schedule(this.environment.nowMs() + 1, () => {
        if (this.process !== process) return;
        process.driver.reportSnapshot(to, 'failed');
        this.afterInput(process);
      });
      return;
    }
    this.statistics.snapshotsSent += 1;
    const filled: Message = {
      ...message,
      snapshot: { metadata: message.snapshot.metadata, data: stored.data },
    };
    this.environment.sendRaft(
      filled,
      (delivered, atMs) => {
        // The stream's outcome reaches the sender a moment later, as a gRPC stream's would.
        this.environment.schedule(atMs + 1, () => {
          if (this.process !== process) return;
          process.driver.reportSnapshot(to, delivered ? 'finished' : 'failed');
          this.afterInput(process);
        });
      },
      requestSentAtMs,
    );
  }

  // -----------------------------------------------------------------------------------------------
  // Checks.

  /** The state machine's apply, with what the checker watches around it. */
  observedApply(
    machine: SimulatedStateMachine,
    entry: CommittedEntry,
    command: Command,
    apply: () => Result,
  ): Result {
    const checker = this.environment.checker;
    if (command.type === 'merge') checker.observeMergeAhead(command, machine.ledger);
    const result = apply();
    if (command.type === 'merge') checker.observeMergeApplied(command, machine.ledger);
    checker.observeSeats(this.id, machine.ledger, this.environment.nowMs());
    if (this.options.traceApplied) {
      this.trace(
        `applies ${entry.index}/${entry.term} ${abbreviate(JSON.stringify(command))} => ${abbreviate(JSON.stringify(result))}`,
      );
    }
    return result;
  }

  private observeApplied(process: NodeProcess, entry: Entry, result: Result | null): void {
    const command = entry.kind === 'normal' ? decodeEntryData(entry.data).command : null;
    const skipped = process.driver.stateMachine.skippedIndex === entry.index;
    this.environment.checker.observeApplied(
      this.id,
      entry,
      command,
      skipped ? null : result,
      this.environment.nowMs(),
    );
  }

  /**
   * Witness mode: a leader cut off from every other voter past the limit must not commit what it
   * acknowledges. `committedAtMs` is when it decided the commit (see Applied.committedAtMs).
   */
  private checkNotStale(process: NodeProcess, requestId: string, committedAtMs: number): void {
    const limitMs = this.options.staleLeaderAfterMs;
    if (limitMs === null) return;
    // The driver's clock is skewed; the checker's times are not.
    const decidedAtMs = committedAtMs - this.options.epochMs - this.options.clockSkewMs;
    const latest = Math.max(Number.NEGATIVE_INFINITY, ...process.lastMessageFromMs.values());
    if (decidedAtMs - latest <= limitMs) return;
    this.environment.checker.fail(
      'stale_leader',
      `${this.id} acknowledged ${requestId} ${latest === Number.NEGATIVE_INFINITY ? 'having never heard' : `${decidedAtMs - latest} ms after it last heard`} from another voter`,
      decidedAtMs,
    );
  }

  // -----------------------------------------------------------------------------------------------
  // The three-voter majority stand-ins (the core's pair and witness modes do this themselves).

  private standInDuties(process: NodeProcess): void {
    if (!this.options.manageInSync && this.options.priorityNodeId === null) return;
    const status = process.driver.status();
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
      process.driver.raft.proposeConfiguration({ voters: [...voters], inSync: desired });
    } catch (error) {
      if (!(error instanceof ConsensusError)) throw error;
      return false;
    }
    this.statistics.configurationChanges += 1;
    this.trace(`proposed in-sync set (${desired.join(',')}) instead of (${inSync.join(',')})`);
    process.driver.wake();
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
    process.driver.raft.transferLeadership(priority);
    this.statistics.leadershipTransfers += 1;
    this.trace(`transfers leadership to ${priority}`);
    process.driver.wake();
    this.afterInput(process);
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
      term: process.driver.status().term,
      nodeId: this.id,
      body: { kind: 'error', code, leaderId },
    });
  }

  /** Crashes the process if a crash is armed for this point and its guard allows it now. */
  private armedCrashStrikes(process: NodeProcess, point: CrashPoint): boolean {
    if (this.process !== process || process.armedCrash !== point) return false;
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

  /** This node's wall clock: the simulated time, skewed (what its driver reads). */
  private clockMs(): number {
    return this.options.epochMs + this.environment.nowMs() + this.options.clockSkewMs;
  }

  private trace(line: string): void {
    this.environment.trace(`${this.id} ${line}`);
  }
}

/**
 * The planted bug miss_leadership_restart, between the core and the driver (the driver itself is
 * the production one): each Ready keeps only the role change its soft state shows, and none when
 * the soft state did not change.
 */
function hideRoleChanges(raft: RaftNode): void {
  const ready = raft.ready.bind(raft);
  raft.ready = () => {
    const handedOut = ready();
    const last = handedOut.roleChanges.at(-1);
    handedOut.roleChanges = handedOut.softState === null || last === undefined ? [] : [last];
    return handedOut;
  };
}

function describe(message: string, fields?: Record<string, unknown>): string {
  return fields === undefined ? message : `${message} ${JSON.stringify(fields)}`;
}

function abbreviate(text: string): string {
  return text.length <= 240 ? text : `${text.slice(0, 237)}...`;
}
