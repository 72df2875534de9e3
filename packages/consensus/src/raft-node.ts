// The replication core: a pure, synchronous Raft state machine in the style of etcd-io/raft.
// Ticks, proposals and messages go in; a Ready comes out, which the driver carries out in order
// (persist, send, apply) before calling advance(). Nothing here reads a clock, draws a random
// number itself, or does I/O.
//
// Where Tandem differs from majority Raft: an entry commits only once it is durable on every
// member of the in-sync set (commit-rule.ts), while elections still need a majority of voters
// (election-quorum.ts). The leader counts its own log as durable only up to what its driver
// confirmed through advance().
//
// Pair mode (two data nodes, see pair-mode.ts) changes elections and lets the leader manage the
// in-sync set: a candidate whose peer stays silent wins alone if it holds every acknowledged
// entry; a refusal still stops it. The leader drops a silent follower from the in-sync set and
// takes it back once it holds the whole log, and a backup that leads hands leadership back to the
// main once the main is in sync.
import assert from 'node:assert/strict';
import { nextCommitIndex } from './commit-rule.js';
import {
  configurationsEqual,
  copyConfiguration,
  decodeConfiguration,
  encodeConfiguration,
  replicationPeers,
  validateConfiguration,
} from './configuration.js';
import { electionResult, hasActiveQuorum } from './election-quorum.js';
import {
  ConfigurationChangePendingError,
  LeadershipTransferInProgressError,
  NotLeaderError,
  ProposalBackpressureError,
} from './errors.js';
import { MergeSink, MergeSource, offerEntries } from './merge.js';
import { nextOwnedTerm, pairElectionTimeoutTicks, termOwner } from './pair-mode.js';
import { Progress } from './progress.js';
import { RaftLog } from './raft-log.js';
import { FarTermGate, isBoundedCount, MAX_INDEX, MAX_TERM, MAX_TERM_JUMP } from './term-bounds.js';
import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  Configuration,
  DivergenceStatus,
  Entry,
  EntryKind,
  HardState,
  InitialState,
  InstallSnapshotMessage,
  InstallSnapshotResponseMessage,
  MergeOffer,
  MergeOfferMessage,
  MergeOfferResponseMessage,
  Message,
  NodeId,
  ProgressStatus,
  ProposalPosition,
  RaftConfig,
  RaftStatus,
  Ready,
  ReplicationMode,
  RequestVoteMessage,
  RequestVoteResponseMessage,
  Role,
  SnapshotMetadata,
  SoftState,
  TimeoutNowMessage,
  WitnessRecordMessage,
  WitnessRecordResponseMessage,
} from './types.js';
import { sameMembers, WitnessLink } from './witness-mode.js';

const DEFAULT_MAX_UNCOMMITTED_ENTRIES = 100_000;
// Below gRPC's default 4 MiB message limit, with room for the envelope.
const DEFAULT_MAX_ENTRY_BYTES = 1024 * 1024;
const DEFAULT_MAX_BYTES_PER_MESSAGE = 2 * 1024 * 1024;
const DEFAULT_MAX_COMMITTED_ENTRIES_PER_READY = 4096;
const DEFAULT_MAX_OUTBOX_MESSAGES = 65_536;
const EMPTY_DATA = new Uint8Array(0);

interface Limits {
  maxEntriesPerMessage: number;
  maxInflightMessages: number;
  maxProposalEntries: number;
  maxUncommittedEntries: number;
  maxEntryBytes: number;
  maxBytesPerMessage: number;
  maxCommittedEntriesPerReady: number;
  maxOutboxMessages: number;
}

/** What the driver reports about a snapshot it streamed to a follower. */
/** A leader that leads again within this many election timeouts of a hand-back backs off. */
export const HAND_BACK_MEMORY_TIMEOUTS = 8;
/** The longest wait before a hand-back, in election timeouts. */
export const MAX_HAND_BACK_BACKOFF_TIMEOUTS = 8;
/**
 * A hand-back held once this node has followed the main, in touch, for this many election timeouts:
 * a failover after that (the main dying, say) says nothing about a flaky link, and is not backed off.
 */
export const HAND_BACK_HOLD_TIMEOUTS = 2;

export type SnapshotReport = 'finished' | 'failed';

type MessageBody<M extends Message> = Omit<M, 'from' | 'to' | 'term'> & { term?: number };

export class RaftNode {
  readonly id: NodeId;
  private readonly electionTimeoutTicks: number;
  private readonly heartbeatIntervalTicks: number;
  private readonly randomInt: (maxExclusive: number) => number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly limits: Limits;
  private readonly traceSink: ((line: string) => void) | null;
  private readonly mode: ReplicationMode;
  /** Pair mode: the main; null when none is configured (and always in majority mode). */
  private readonly priorityNodeId: NodeId | null;
  private readonly describeMergedEntry: ((entry: Entry) => Uint8Array) | null;
  private readonly pairVoteWaitTicks: number;
  private readonly startupGraceTicks: number;
  /** Witness mode: the witness, a voter that never leads and never gets entries; null otherwise. */
  private readonly witnessNodeId: NodeId | null;
  /** Witness mode: the leader's view of the witness (reset whenever this node wins). */
  private readonly witnessLink: WitnessLink | null;

  /** Replaced only when a backup discards its history after a merge (see merge.ts). */
  private log: RaftLog;
  /** The configuration used when neither the log nor the snapshot holds one. */
  private readonly baseConfiguration: Configuration;
  /** The latest configuration in the log (committed or not): it takes effect when appended. */
  private configuration: Configuration;

  private term: number;
  private votedFor: NodeId | null;
  private role: Role = 'follower';
  private leaderId: NodeId | null = null;
  /** The one leader this node has seen for a term; never forgotten within the term. */
  private knownLeader: { term: number; id: NodeId } | null = null;

  /** Leader only: one entry per replication peer. */
  private readonly progress = new Map<NodeId, Progress>();
  /** Candidate and pre-candidate only: the votes received, bounded by the voters. */
  private readonly votes = new Map<NodeId, boolean>();
  private electionElapsedTicks = 0;
  private heartbeatElapsedTicks = 0;
  private randomizedElectionTimeoutTicks = 0;
  private leadTransferee: NodeId | null = null;
  /** Leader only: the index of the newest configuration entry; one change may be uncommitted. */
  private pendingConfigurationIndex = 0;
  /** Leader only: the commit index moved and the peers have not been told yet. */
  private commitBroadcastDue = false;

  /** Ticks since this node was constructed: the clock for every "ticks ago" below. */
  private elapsedTicks = 0;
  /** When this node last heard from a leader (itself included while it leads). */
  private lastLeaderContactTick = 0;
  private heardFromLeaderSinceStart = false;
  /** When each voter last sent this node anything; bounded by the configuration's members. */
  private readonly lastMessageTickFrom = new Map<NodeId, number>();
  private heardFromPeerSinceStart = false;
  /** On a leader: how long it had been without a leader when it won. */
  private leaderlessTicksBeforeElection: number | null = null;
  /**
   * Pair mode: the highest commit index a leader announced since this node started. A node whose
   * log ends below it lacks acknowledged entries and must not win an election alone.
   */
  private highestKnownCommitIndex = 0;
  /** Pair mode, candidates: ticks since the (pre-)vote requests went out. */
  private voteWaitElapsedTicks = 0;
  /** Pair mode, candidates: the reason it cannot win alone was traced already. */
  private soloObstacleReported = false;
  /** Candidates: the campaign follows a timeout_now (its requests carry leadershipTransfer). */
  private transferCampaign = false;
  /** Pair mode, leader: no automatic hand-back to the main before this tick (after an abort). */
  private failbackAllowedAtTick = 0;
  /** The tick count when this node last handed leadership back to the main, or null if never. */
  private lastHandBackTick: number | null = null;
  /**
   * How long a hand-back waits after this node wins leadership again, in ticks. 0 until a hand-back
   * does not hold (this node leads again soon after handing back, as over a lossy link where the
   * main's campaigns fail); then it doubles each time, up to MAX_HAND_BACK_BACKOFF_TIMEOUTS
   * election timeouts, so that a flaky link does not turn into a string of leaderless gaps.
   */
  private handBackBackoffTicks = 0;
  /** Pair mode: since when (term and tick) this node has followed the main as leader, if it does. */
  private followingMainSince: { term: number; tick: number } | null = null;
  /** Pair mode: set when a leader's log contradicts our committed entries. */
  private divergence: DivergenceStatus | null = null;
  /** Pair mode, on a backup following a main it contradicts: its solo stretch being merged. */
  private mergeSource: MergeSource | null = null;
  /** Pair mode, on the main while it leads: how far each backup's stretch is merged. */
  private readonly mergeSink = new MergeSink();
  /** Offers waiting for the driver (Ready.mergeOffers); bounded by one batch per peer. */
  private pendingMergeOffers: MergeOffer[] = [];
  /** Set when the whole stretch is merged: the next Ready discards this node's history. */
  private discardHistoryDue = false;
  private mergesCompletedCount = 0;

  /** Where refusals of peer messages go (the driver rate-limits them); null: the trace. */
  private readonly refusalSink: ((kind: string, line: string) => void) | null;
  /** Which terms more than MAX_TERM_JUMP ahead of ours this node takes (see term-bounds.ts). */
  private readonly farTerms: FarTermGate;
  /**
   * Pair and witness modes: the leadership transfer this node started last (it sent timeout_now).
   * Only a node handing over honours the leadershipTransfer flag of a vote request.
   */
  private handOver: { to: NodeId; term: number; tick: number } | null = null;
  /** Pair and witness modes: when this node last campaigned on a timeout_now. */
  private lastTimeoutNowTick: number | null = null;
  /**
   * Pair mode: the commit indices announced by the leader of the current term. Within a term a
   * leader's commit index never goes down, so a later, lower announcement shows that an earlier,
   * higher one did not come from it; highestKnownCommitIndex then falls back to what it was before
   * that leader's announcements plus its latest one, and one forged message cannot keep this node
   * from ever winning alone.
   */
  private commitAnnouncements: { from: NodeId; term: number; before: number; latest: number } | null = null;

  private outbox: Message[] = [];
  private droppedMessageCount = 0;
  private handedOutSoftState: SoftState = { role: 'follower', leaderId: null };
  private persistedHardState: HardState;
  private outstandingReady: Ready | null = null;

  constructor(config: RaftConfig, initial: InitialState) {
    assert.ok(typeof config.id === 'string' && config.id.length > 0, 'a node id is a non-empty string');
    assertPositiveInteger(config.electionTimeoutTicks, 'electionTimeoutTicks');
    assertPositiveInteger(config.heartbeatIntervalTicks, 'heartbeatIntervalTicks');
    assert.ok(
      config.heartbeatIntervalTicks < config.electionTimeoutTicks,
      'heartbeatIntervalTicks must be below electionTimeoutTicks',
    );
    assert.equal(typeof config.randomInt, 'function', 'randomInt is required');
    this.id = config.id;
    this.electionTimeoutTicks = config.electionTimeoutTicks;
    this.farTerms = new FarTermGate('node', config.electionTimeoutTicks, (line) => this.trace(line));
    this.heartbeatIntervalTicks = config.heartbeatIntervalTicks;
    this.randomInt = config.randomInt;
    this.mode = config.mode ?? 'majority';
    assert.ok(
      this.mode === 'majority' || this.mode === 'pair' || this.mode === 'witness',
      `unknown mode ${String(config.mode)}`,
    );
    // Pair mode always pre-votes and never steps down for lack of a quorum: a leader goes on alone.
    // Witness mode always pre-votes too, and has its own check-quorum (see witnessQuorumLost).
    this.preVote = this.mode === 'majority' ? config.preVote : true;
    this.checkQuorum = this.mode === 'majority' ? (config.checkQuorum ?? false) : false;
    this.traceSink = config.trace ?? null;
    this.refusalSink = config.refusal ?? null;
    this.priorityNodeId = config.priorityNodeId ?? null;
    this.describeMergedEntry = config.describeMergedEntry ?? null;
    this.pairVoteWaitTicks = config.pairVoteWaitTicks ?? config.heartbeatIntervalTicks;
    this.startupGraceTicks = config.startupGraceTicks ?? 2 * config.electionTimeoutTicks;
    assertPositiveInteger(this.pairVoteWaitTicks, 'pairVoteWaitTicks');
    assert.ok(
      this.pairVoteWaitTicks < config.electionTimeoutTicks,
      'pairVoteWaitTicks must be below electionTimeoutTicks',
    );
    assert.ok(
      Number.isSafeInteger(this.startupGraceTicks) && this.startupGraceTicks >= 0,
      `startupGraceTicks must be a non-negative integer, not ${this.startupGraceTicks}`,
    );
    this.limits = {
      maxEntriesPerMessage: config.maxEntriesPerMessage,
      maxInflightMessages: config.maxInflightMessages,
      maxProposalEntries: config.maxProposalEntries ?? config.maxEntriesPerMessage,
      maxUncommittedEntries: config.maxUncommittedEntries ?? DEFAULT_MAX_UNCOMMITTED_ENTRIES,
      maxEntryBytes: config.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
      maxBytesPerMessage: config.maxBytesPerMessage ?? DEFAULT_MAX_BYTES_PER_MESSAGE,
      maxCommittedEntriesPerReady:
        config.maxCommittedEntriesPerReady ?? DEFAULT_MAX_COMMITTED_ENTRIES_PER_READY,
      maxOutboxMessages: config.maxOutboxMessages ?? DEFAULT_MAX_OUTBOX_MESSAGES,
    };
    for (const [name, value] of Object.entries(this.limits)) assertPositiveInteger(value, name);

    validateConfiguration(initial.configuration);
    if (initial.snapshot !== null) validateConfiguration(initial.snapshot.configuration);
    if (this.mode === 'pair') {
      assert.ok(initial.configuration.voters.length <= 2, 'pair mode has at most two voters');
      assert.ok(
        this.priorityNodeId === null || initial.configuration.voters.includes(this.priorityNodeId),
        `the priority node ${this.priorityNodeId} is not a voter`,
      );
    }
    this.witnessNodeId = this.mode === 'witness' ? (config.witnessNodeId ?? null) : null;
    this.witnessLink = this.witnessNodeId === null ? null : new WitnessLink(this.witnessNodeId);
    if (this.mode === 'witness') {
      const { voters, inSync } = initial.configuration;
      const witness = this.witnessNodeId;
      assert.ok(witness !== null, 'witness mode needs witnessNodeId');
      assert.ok(
        voters.length === 3 && voters.includes(witness),
        'witness mode has three voters: main, backup and the witness',
      );
      assert.ok(!inSync.includes(witness), 'the witness is never in the in-sync set');
      assert.notEqual(this.id, witness, 'the witness runs WitnessCore, not RaftNode');
      assert.ok(
        this.priorityNodeId === null ||
          (voters.includes(this.priorityNodeId) && this.priorityNodeId !== witness),
        `the priority node ${this.priorityNodeId} is not a data node`,
      );
    }
    this.baseConfiguration = copyConfiguration(initial.configuration);
    const hardState = initial.hardState ?? { term: 0, votedFor: null, commitIndex: 0 };
    assert.ok(
      Number.isSafeInteger(hardState.term) && hardState.term >= 0,
      `bad persisted term ${hardState.term}`,
    );
    const snapshotIndex = initial.snapshot?.index ?? 0;
    const appliedIndex = initial.appliedIndex ?? snapshotIndex;
    assert.ok(
      appliedIndex >= snapshotIndex,
      'the state machine cannot be older than the snapshot it came from',
    );
    this.log = new RaftLog(initial.snapshot, initial.entries, hardState.commitIndex, appliedIndex);
    this.term = hardState.term;
    this.votedFor = hardState.votedFor;
    this.persistedHardState = { ...hardState };
    this.log.assertWellFormed(this.term);
    this.configuration = this.log.configurationAt(this.log.lastIndex(), this.baseConfiguration);
    this.becomeFollower(this.term, null);
    this.checkInvariants();
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs.

  /** Advances logical time by one tick: elections for followers, heartbeats for the leader. */
  tick(): void {
    this.elapsedTicks += 1;
    if (this.mergeSource !== null) this.maybeOfferMerge();
    if (this.role === 'leader') {
      this.tickLeader();
    } else {
      this.forgetHandBackThatHeld();
      if (!this.proceedOnSilence()) {
        this.electionElapsedTicks += 1;
        if (this.electionElapsedTicks >= this.randomizedElectionTimeoutTicks) {
          this.electionElapsedTicks = 0;
          this.startElection('campaign');
        }
      }
    }
    this.checkInvariants();
  }

  /**
   * The driver saw that this node could not run for longer than the failover timeout (a paused
   * process, a stalled machine). A leader steps down: its peers may have elected another leader
   * meanwhile, and its own record of who answered it, counted in ticks it never took, is stale.
   * Serving on until a higher term arrives would answer workstations from a stale ledger.
   */
  stepDown(): void {
    if (this.role !== 'leader') return;
    this.trace(`stepped down at term ${this.term}: it could not run for longer than the failover timeout`);
    this.becomeFollower(this.term, null);
    this.checkInvariants();
  }

  /** Starts an election now (with a pre-vote first when enabled). A leader ignores it. */
  campaign(): void {
    this.startElection('campaign');
    this.checkInvariants();
  }

  /**
   * Appends a batch of ledger commands as consecutive entries (one call, so the driver can group
   * commit). The entries commit once durable on every in-sync member; watch committedEntries.
   */
  propose(kind: 'normal', data: Uint8Array[]): ProposalPosition {
    assert.equal(kind, 'normal', 'only normal entries are proposed; configurations use proposeConfiguration');
    assert.ok(Array.isArray(data) && data.length > 0, 'a proposal holds at least one entry');
    assert.ok(
      data.length <= this.limits.maxProposalEntries,
      `a proposal holds at most ${this.limits.maxProposalEntries} entries, not ${data.length}`,
    );
    for (const item of data) {
      assert.ok(item instanceof Uint8Array, 'entry data is a Uint8Array');
      assert.ok(
        item.byteLength <= this.limits.maxEntryBytes,
        `entry data is at most ${this.limits.maxEntryBytes} bytes, not ${item.byteLength}`,
      );
    }
    this.assertCanPropose(data.length);
    const position = this.appendAsLeader(data.map((item) => ({ kind: 'normal', data: item })));
    this.checkInvariants();
    return position;
  }

  /**
   * Pair mode, on the main: proposes a backup's offered solo entries as one entry whose data the
   * driver built (a ledger merge command). The backup learns it is merged once the entry commits.
   */
  proposeMerge(offer: MergeOffer, data: Uint8Array[]): ProposalPosition {
    if (this.role !== 'leader') {
      this.mergeSink.dropped(offer);
      throw new NotLeaderError(this.leaderId, this.term);
    }
    try {
      // An offer whose entries all cancel out (none left to re-apply) still takes one entry, so
      // that its commit tells the backup it is merged.
      assert.ok(data.length >= 1, 'a merge takes at least one entry');
      this.assertCanPropose(data.length);
    } catch (error) {
      this.mergeSink.dropped(offer);
      throw error;
    }
    for (const item of data) {
      assert.ok(item.byteLength <= this.limits.maxEntryBytes, 'a merge entry is within the entry size limit');
    }
    const position = this.appendAsLeader(data.map((item) => ({ kind: 'normal' as const, data: item })));
    this.mergeSink.proposed(offer, position.lastIndex);
    this.trace(
      `proposed the merge of ${offer.from}'s entries ${offer.firstIndex}..${offer.throughIndex} at ${position.lastIndex}`,
    );
    this.checkInvariants();
    return position;
  }

  /** Pair mode, on the main: the driver could not turn an offer into a merge entry. */
  dropMergeOffer(offer: MergeOffer): void {
    this.mergeSink.dropped(offer);
  }

  /**
   * Appends a configuration entry; it takes effect on every node as soon as that node appends it.
   * Only one configuration entry may be uncommitted at a time. The leader must stay a voter and
   * in-sync member.
   */
  proposeConfiguration(configuration: Configuration): ProposalPosition {
    validateConfiguration(configuration);
    this.assertCanPropose(1);
    assert.ok(configuration.voters.includes(this.id), 'the leader cannot remove itself from the voters');
    assert.ok(configuration.inSync.includes(this.id), 'the leader cannot remove itself from the in-sync set');
    // A removal must be recorded with the witness first; the leader manages the set itself.
    assert.notEqual(this.mode, 'witness', 'witness mode: the leader manages the in-sync set itself');
    if (this.mode === 'pair') {
      assert.ok(
        configurationsEqual(
          { voters: configuration.voters, inSync: [this.id] },
          { voters: this.configuration.voters, inSync: [this.id] },
        ),
        'pair mode changes only the in-sync set, never the voters',
      );
    }
    if (this.pendingConfigurationIndex > this.log.commitIndex) {
      throw new ConfigurationChangePendingError(this.pendingConfigurationIndex);
    }
    const position = this.appendAsLeader([
      { kind: 'configuration', data: encodeConfiguration(configuration) },
    ]);
    this.checkInvariants();
    return position;
  }

  /**
   * Hands leadership to a voter: proposals are refused meanwhile; once the transferee holds the
   * whole log it gets timeout_now and campaigns at once. Abandoned after an election timeout.
   */
  transferLeadership(transferee: NodeId): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId, this.term);
    assert.ok(this.configuration.voters.includes(transferee), `${transferee} is not a voter`);
    assert.notEqual(transferee, this.witnessNodeId, 'the witness never leads');
    if (transferee === this.id || this.leadTransferee === transferee) return;
    const progress = this.progress.get(transferee);
    assert.ok(progress !== undefined, `no progress for voter ${transferee}`);
    this.leadTransferee = transferee;
    // The transfer gets one election timeout to complete.
    this.electionElapsedTicks = 0;
    this.trace(`started transferring leadership to ${transferee} at term ${this.term}`);
    if (progress.matchIndex === this.log.lastIndex()) {
      this.sendTimeoutNow(transferee);
    } else {
      this.sendAppends(transferee, progress, false);
    }
    this.checkInvariants();
  }

  /**
   * Takes one message from a peer. A message this node cannot use (malformed, a term out of bounds,
   * a leader it must not follow) is refused: answered with a refusal where the sender waits for an
   * answer, reported through the refusal sink, and otherwise ignored. Only a message addressed to
   * another node, or sent by this node to itself, is a programmer error.
   */
  step(message: Message): void {
    assert.equal(message.to, this.id, `message for ${message.to} stepped into ${this.id}`);
    assert.notEqual(message.from, this.id, 'a node never sends a message to itself');
    if (this.configuration.voters.includes(message.from)) {
      // Any message proves the peer is alive (for the startup grace and the in-sync bookkeeping),
      // even one refused below: a node that hears its peer must not take its silence for consent.
      this.lastMessageTickFrom.set(message.from, this.elapsedTicks);
      this.heardFromPeerSinceStart = true;
    }
    const refusal = this.screen(message);
    if (refusal !== null) {
      this.refuseMessage(message, refusal.kind, refusal.reason);
      this.checkInvariants();
      return;
    }
    if (message.term > this.term) {
      if (!this.acceptHigherTerm(message)) {
        this.checkInvariants();
        return;
      }
    } else if (message.term < this.term) {
      this.answerStaleTerm(message);
      this.checkInvariants();
      return;
    }
    switch (message.type) {
      case 'request_vote':
        this.handleRequestVote(message);
        break;
      case 'request_vote_response':
        this.handleRequestVoteResponse(message);
        break;
      case 'append_entries':
        this.followLeader(message.from);
        this.handleAppendEntries(message);
        break;
      case 'install_snapshot':
        this.followLeader(message.from);
        this.handleInstallSnapshot(message);
        break;
      case 'timeout_now':
        this.handleTimeoutNow(message);
        break;
      case 'append_entries_response':
        if (message.from === this.witnessNodeId) this.handleWitnessHeartbeatResponse();
        else this.handleAppendEntriesResponse(message);
        break;
      case 'witness_record_response':
        this.handleWitnessRecordResponse(message);
        break;
      case 'witness_record':
        // Refused by screen(): a data node keeps no witness records.
        break;
      case 'install_snapshot_response':
        this.handleInstallSnapshotResponse(message);
        break;
      case 'merge_offer':
        this.handleMergeOffer(message);
        break;
      case 'merge_offer_response':
        this.handleMergeOfferResponse(message);
        break;
      default:
        assert.fail(`unknown message type ${(message as { type: string }).type}`);
    }
    this.checkInvariants();
  }

  /** The driver finished (or failed) streaming a snapshot to a follower. */
  reportSnapshot(to: NodeId, report: SnapshotReport): void {
    const progress = this.progress.get(to);
    if (this.role !== 'leader' || progress === undefined || progress.state !== 'snapshot') return;
    const nextIndex = report === 'finished' ? progress.pendingSnapshotIndex + 1 : progress.matchIndex + 1;
    progress.becomeProbe(nextIndex);
    // Wait for the follower's next answer (to a heartbeat) before sending again.
    progress.probeSent = true;
    this.trace(`snapshot to ${to} ${report}; probing from ${progress.nextIndex}`);
    this.checkInvariants();
  }

  /** The driver could not reach a follower: stop pipelining to it and probe again. */
  reportUnreachable(to: NodeId): void {
    const progress = this.progress.get(to);
    if (this.role !== 'leader' || progress === undefined || progress.state !== 'replicate') return;
    progress.becomeProbe(progress.matchIndex + 1);
    this.checkInvariants();
  }

  // ---------------------------------------------------------------------------------------------
  // Ready and advance.

  /** Whether ready() has work; always false while a Ready is handed out and not yet advanced. */
  hasReady(): boolean {
    if (this.outstandingReady !== null) return false;
    return (
      this.commitBroadcastDue ||
      this.softStateChanged() ||
      this.hardStateChanged() ||
      this.log.unstableSnapshot() !== null ||
      this.log.hasUnstableEntries() ||
      this.outbox.length > 0 ||
      this.log.hasNextCommittedEntries() ||
      this.pendingMergeOffers.length > 0 ||
      this.discardHistoryDue
    );
  }

  /**
   * Hands out what the driver must do next, to be done in this order: persist hardState, snapshot
   * and entries in one durable write; send messages (an install_snapshot message carries
   * metadata and empty data: the sending driver fills Snapshot.data from its snapshot store);
   * apply the snapshot, then committedEntries in order; then call advance() with this Ready.
   * Only one Ready may be outstanding.
   */
  ready(): Ready {
    assert.equal(this.outstandingReady, null, 'advance() the outstanding Ready before asking for another');
    const discardHistory = this.discardHistoryDue;
    if (discardHistory) this.discardHistory();
    if (this.commitBroadcastDue) this.broadcastHeartbeats();
    const softState: SoftState | null = this.softStateChanged()
      ? { role: this.role, leaderId: this.leaderId }
      : null;
    const ready: Ready = {
      softState,
      hardState: this.hardStateChanged() || discardHistory ? this.hardState() : null,
      snapshot: this.log.unstableSnapshot(),
      entries: this.log.unstableEntries(),
      messages: this.outbox,
      committedEntries: this.log.nextCommittedEntries(this.limits.maxCommittedEntriesPerReady),
      mergeOffers: this.pendingMergeOffers,
      discardHistory,
    };
    this.outbox = [];
    this.pendingMergeOffers = [];
    if (softState !== null) this.handedOutSoftState = softState;
    this.outstandingReady = ready;
    return ready;
  }

  /** The driver has carried out the Ready: its state is durable, sent and applied. */
  advance(ready: Ready): void {
    assert.ok(ready === this.outstandingReady, 'advance() takes the Ready that ready() returned last');
    this.outstandingReady = null;
    if (ready.hardState !== null) this.persistedHardState = { ...ready.hardState };
    if (ready.snapshot !== null) {
      this.log.snapshotStable(ready.snapshot);
      this.log.appliedTo(Math.max(this.log.appliedIndex, ready.snapshot.metadata.index));
    }
    this.log.stableTo(ready.entries);
    const lastCommitted = ready.committedEntries.at(-1);
    if (lastCommitted !== undefined) this.log.appliedTo(lastCommitted.index);
    // The leader's own entries count towards the commit rule only now.
    if (this.role === 'leader') this.maybeCommit();
    this.checkInvariants();
  }

  // ---------------------------------------------------------------------------------------------
  // Log access for the driver.

  /** The driver took a snapshot at an applied index: drop the entries it covers. */
  compact(snapshot: SnapshotMetadata): void {
    validateConfiguration(snapshot.configuration);
    assert.ok(
      configurationsEqual(
        snapshot.configuration,
        this.log.configurationAt(snapshot.index, this.baseConfiguration),
      ),
      `the snapshot's configuration is not the one in effect at ${snapshot.index}; use snapshotMetadataAt()`,
    );
    this.log.compact(snapshot);
    this.trace(`compacted the log up to ${snapshot.index}`);
    this.checkInvariants();
  }

  /** The metadata for a snapshot of the state machine at an applied index. */
  snapshotMetadataAt(index: number): SnapshotMetadata {
    assert.ok(index <= this.log.appliedIndex, `index ${index} is not applied yet`);
    const term = this.log.term(index);
    assert.ok(term !== undefined, `index ${index} is compacted`);
    return {
      index,
      term,
      configuration: copyConfiguration(this.log.configurationAt(index, this.baseConfiguration)),
    };
  }

  /** The entries firstIndex..lastIndex inclusive, all of which must be in memory. */
  entries(firstIndex: number, lastIndex: number): Entry[] {
    if (lastIndex < firstIndex) return [];
    return this.log.slice(firstIndex, lastIndex);
  }

  status(): RaftStatus {
    let progress: Record<NodeId, ProgressStatus> | null = null;
    if (this.role === 'leader') {
      progress = {
        [this.id]: {
          matchIndex: this.log.durableLastIndex(),
          nextIndex: this.log.lastIndex() + 1,
          state: 'replicate',
          inflightMessages: 0,
          recentActive: true,
          lastResponseTicksAgo: 0,
          lastAcknowledgementTicksAgo: 0,
          inSync: this.configuration.inSync.includes(this.id),
        },
      };
      for (const [id, peer] of this.progress) {
        progress[id] = peer.status(this.elapsedTicks, this.configuration.inSync.includes(id));
      }
    }
    return {
      id: this.id,
      role: this.role,
      term: this.term,
      votedFor: this.votedFor,
      leaderId: this.leaderId,
      commitIndex: this.log.commitIndex,
      appliedIndex: this.log.appliedIndex,
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      snapshotIndex: this.log.snapshotIndex,
      durableIndex: this.log.durableLastIndex(),
      configuration: copyConfiguration(this.configuration),
      leadTransferee: this.leadTransferee,
      progress,
      mode: this.mode,
      priorityNodeId: this.priorityNodeId,
      inSync: this.configuration.inSync.includes(this.id),
      ticksSinceLeaderContact: this.ticksSinceLeaderContact(),
      leaderlessTicksBeforeElection: this.leaderlessTicksBeforeElection,
      startupGraceRemainingTicks: this.startupGraceRemainingTicks(),
      divergence: this.divergence === null ? null : { ...this.divergence },
      mergeRetentionIndex: this.mergeRetentionIndex(),
      mergesCompleted: this.mergesCompletedCount,
      witness:
        this.role === 'leader' && this.witnessLink !== null
          ? this.witnessLink.status(this.elapsedTicks)
          : null,
    };
  }

  /**
   * Whether this node's latest in-sync set is itself alone (pair mode serving alone, or a cluster
   * of one): then no other node knows its commit index, and a driver that acknowledges clients
   * must make the commit index durable first, or a crash would forget which entries it committed.
   */
  get committingAlone(): boolean {
    const { inSync } = this.configuration;
    return inSync.length === 1 && inSync[0] === this.id && this.configuration.voters.length > 1;
  }

  /** How many outgoing messages were dropped because the driver let the outbox fill up. */
  get droppedMessages(): number {
    return this.droppedMessageCount;
  }

  // ---------------------------------------------------------------------------------------------
  // Roles.

  private becomeFollower(term: number, leader: NodeId | null): void {
    assert.ok(term >= this.term, `cannot follow at term ${term} below ${this.term}`);
    if (term > this.term) {
      this.term = term;
      this.votedFor = null;
    }
    this.role = 'follower';
    this.leaderId = null;
    if (leader !== null) this.recordLeader(leader);
    this.leaderlessTicksBeforeElection = null;
    this.resetRoleState();
    this.trace(`became follower at term ${this.term}${leader === null ? '' : ` of leader ${leader}`}`);
  }

  /**
   * campaign: a pre-vote first when enabled; election: a real vote at once (after a won pre-vote);
   * transfer: a campaign that may disturb a known leader (after timeout_now). In pair and witness
   * modes a transfer pre-votes too (with the transfer flag, which only the node handing over
   * honours), so that a timeout_now that the leader did not send moves no term.
   */
  private startElection(kind: 'campaign' | 'election' | 'transfer'): void {
    if (this.role === 'leader') {
      this.trace('is already leader; ignored the campaign');
      return;
    }
    if (!this.configuration.voters.includes(this.id)) {
      this.trace('is not a voter; ignored the campaign');
      return;
    }
    if (this.nextCampaignTerm() > MAX_TERM) {
      this.trace(`cannot campaign: term ${this.nextCampaignTerm()} is beyond the last term ${MAX_TERM}`);
      return;
    }
    // An election after a won pre-vote keeps the transfer flag of the campaign it continues.
    const transfer = kind === 'transfer' || (kind === 'election' && this.transferCampaign);
    this.leaderlessTicksBeforeElection = null;
    const preVoteFirst =
      this.preVote && (kind === 'campaign' || (kind === 'transfer' && this.mode !== 'majority'));
    if (preVoteFirst) {
      this.role = 'pre_candidate';
      this.leaderId = null;
      this.resetRoleState();
      this.transferCampaign = transfer;
      this.trace(`became pre-candidate at term ${this.term}${transfer ? ' to take over leadership' : ''}`);
      this.requestVotes(true, transfer);
    } else {
      this.term = this.nextCampaignTerm();
      this.votedFor = this.id;
      this.role = 'candidate';
      this.leaderId = null;
      this.resetRoleState();
      this.transferCampaign = transfer;
      this.trace(`became candidate at term ${this.term}`);
      this.requestVotes(false, transfer);
    }
  }

  private requestVotes(preVote: boolean, leadershipTransfer: boolean): void {
    this.votes.set(this.id, true);
    this.sendVoteRequests(
      preVote,
      leadershipTransfer,
      this.configuration.voters.filter((voter) => voter !== this.id),
    );
    this.tallyVotes();
  }

  private sendVoteRequests(preVote: boolean, leadershipTransfer: boolean, voters: NodeId[]): void {
    for (const voter of voters) {
      this.send<RequestVoteMessage>(voter, {
        type: 'request_vote',
        term: preVote ? this.nextCampaignTerm() : this.term,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        preVote,
        leadershipTransfer,
      });
    }
  }

  private tallyVotes(): void {
    const result = electionResult(this.configuration.voters, this.votes);
    if (result === 'won') {
      if (this.role === 'pre_candidate') {
        this.trace(`won the pre-vote for term ${this.nextCampaignTerm()}`);
        this.startElection('election');
      } else {
        this.becomeLeader();
      }
    } else if (result === 'lost') {
      this.trace(`lost the ${this.role === 'pre_candidate' ? 'pre-vote' : 'election'} at term ${this.term}`);
      // A transfer that the leader did not grant (a timeout_now it did not send, or one it gave up)
      // leaves this node following that leader, as before: a follower without a leader would let
      // the next message from a later term move it.
      const known = this.knownLeader;
      const backTo = this.transferCampaign && known !== null && known.term === this.term ? known.id : null;
      this.becomeFollower(this.term, backTo);
    }
  }

  private becomeLeader(): void {
    assert.equal(this.role, 'candidate', 'only a candidate becomes leader');
    assert.equal(this.votedFor, this.id, 'a leader voted for itself');
    this.leaderlessTicksBeforeElection = this.ticksSinceLeaderContact();
    this.role = 'leader';
    this.recordLeader(this.id);
    this.noteLeaderContact();
    this.resetRoleState();
    for (const peer of this.replicationTargets(this.configuration)) this.addProgress(peer);
    if (this.witnessNodeId !== null) {
      this.witnessLink?.reset(this.lastMessageTickFrom.get(this.witnessNodeId) ?? 0);
      this.sendWitnessHeartbeat();
    }
    this.trace(`became leader at term ${this.term}`);
    this.delayHandBackAfterFailedOne();
    // Whatever this node diverged from, its own log is now the one that stands.
    this.divergence = null;
    this.mergeSource = null;
    // The noop lets the leader commit entries of earlier terms, and no configuration change may
    // start before it commits.
    const position = this.appendAsLeader([{ kind: 'noop', data: EMPTY_DATA }]);
    this.pendingConfigurationIndex = position.lastIndex;
    // A leader that won on silence drops its silent peer from the in-sync set at once.
    this.managePair();
    this.syncWitness();
  }

  /**
   * A leader that handed leadership back to the main within HAND_BACK_MEMORY_TIMEOUTS election
   * timeouts and leads again: that hand-back did not hold, so the next one waits longer.
   */
  private delayHandBackAfterFailedOne(): void {
    if (this.priorityNodeId === null || this.priorityNodeId === this.id) return;
    const last = this.lastHandBackTick;
    if (last === null || this.elapsedTicks - last >= HAND_BACK_MEMORY_TIMEOUTS * this.electionTimeoutTicks) {
      this.handBackBackoffTicks = 0;
      return;
    }
    this.handBackBackoffTicks = Math.min(
      Math.max(this.electionTimeoutTicks, 2 * this.handBackBackoffTicks),
      MAX_HAND_BACK_BACKOFF_TIMEOUTS * this.electionTimeoutTicks,
    );
    this.failbackAllowedAtTick = Math.max(
      this.failbackAllowedAtTick,
      this.elapsedTicks + this.handBackBackoffTicks,
    );
    this.trace(
      `leads again soon after handing back; the next hand-back waits ${this.handBackBackoffTicks} ticks`,
    );
  }

  private resetRoleState(): void {
    this.votes.clear();
    this.progress.clear();
    this.leadTransferee = null;
    this.pendingConfigurationIndex = 0;
    this.commitBroadcastDue = false;
    this.electionElapsedTicks = 0;
    this.heartbeatElapsedTicks = 0;
    this.voteWaitElapsedTicks = 0;
    this.soloObstacleReported = false;
    this.transferCampaign = false;
    this.mergeSink.clear();
    this.pendingMergeOffers = [];
    if (this.mode !== 'majority') {
      this.randomizedElectionTimeoutTicks = this.pairElectionTimeoutTicks();
      return;
    }
    const jitterTicks = this.randomInt(this.electionTimeoutTicks);
    assert.ok(
      Number.isSafeInteger(jitterTicks) && jitterTicks >= 0 && jitterTicks < this.electionTimeoutTicks,
      `randomInt(${this.electionTimeoutTicks}) returned ${jitterTicks}`,
    );
    this.randomizedElectionTimeoutTicks = this.electionTimeoutTicks + jitterTicks;
  }

  private recordLeader(leader: NodeId): void {
    if (this.knownLeader !== null && this.knownLeader.term === this.term) {
      assert.equal(
        leader,
        this.knownLeader.id,
        `two leaders in term ${this.term}: ${this.knownLeader.id}, ${leader}`,
      );
    }
    this.knownLeader = { term: this.term, id: leader };
    this.leaderId = leader;
    if (leader === this.priorityNodeId && this.followingMainSince?.term !== this.term) {
      this.followingMainSince = { term: this.term, tick: this.elapsedTicks };
    }
  }

  /** A follower that has followed the main for HAND_BACK_HOLD_TIMEOUTS forgets its last hand-back. */
  private forgetHandBackThatHeld(): void {
    const since = this.followingMainSince;
    if (this.lastHandBackTick === null || since === null || since.term !== this.term) return;
    if (this.leaderId !== this.priorityNodeId || this.ticksSinceLeaderContact() >= this.electionTimeoutTicks)
      return;
    if (this.elapsedTicks - since.tick < HAND_BACK_HOLD_TIMEOUTS * this.electionTimeoutTicks) return;
    this.lastHandBackTick = null;
    this.handBackBackoffTicks = 0;
    this.trace(`the hand-back to ${this.priorityNodeId} held; the next one will not wait`);
  }

  /** An append or snapshot from the leader of the current term. */
  private followLeader(leader: NodeId): void {
    assert.notEqual(this.role, 'leader', `two leaders in term ${this.term}: ${this.id} and ${leader}`);
    if (
      this.role === 'pre_candidate' &&
      this.transferCampaign &&
      this.knownLeader?.term === this.term &&
      this.knownLeader.id === leader
    ) {
      // The leader handing over heartbeats until it grants the vote; the campaign goes on.
      this.noteLeaderContact();
      return;
    }
    if (this.role === 'follower') {
      this.recordLeader(leader);
    } else {
      this.becomeFollower(this.term, leader);
    }
    this.noteLeaderContact();
    this.electionElapsedTicks = 0;
  }

  private noteLeaderContact(): void {
    this.lastLeaderContactTick = this.elapsedTicks;
    if (!this.heardFromLeaderSinceStart) {
      this.heardFromLeaderSinceStart = true;
      // A backup's longer cold-start timeout ends with its first leader.
      if (this.mode !== 'majority') this.randomizedElectionTimeoutTicks = this.pairElectionTimeoutTicks();
    }
  }

  /** Deterministic: the main campaigns first on a cold start (see pair-mode.ts). */
  private pairElectionTimeoutTicks(): number {
    return pairElectionTimeoutTicks({
      failoverTimeoutTicks: this.electionTimeoutTicks,
      isPriorityNode: this.priorityNodeId === this.id,
      hasPriorityNode: this.priorityNodeId !== null,
      heardFromLeaderSinceStart: this.heardFromLeaderSinceStart,
    });
  }

  private ticksSinceLeaderContact(): number {
    return this.role === 'leader' ? 0 : this.elapsedTicks - this.lastLeaderContactTick;
  }

  private tickLeader(): void {
    this.noteLeaderContact();
    this.heartbeatElapsedTicks += 1;
    this.electionElapsedTicks += 1;
    if (this.witnessQuorumLost()) return;
    if (this.electionElapsedTicks >= this.electionTimeoutTicks) {
      this.electionElapsedTicks = 0;
      if (this.checkQuorum) {
        const active = (id: NodeId) => id === this.id || this.progress.get(id)?.recentActive === true;
        if (!hasActiveQuorum(this.configuration.voters, active)) {
          this.trace(`lost contact with a quorum; stepping down at term ${this.term}`);
          this.becomeFollower(this.term, null);
          return;
        }
        for (const progress of this.progress.values()) progress.recentActive = false;
      }
      if (this.leadTransferee !== null) {
        this.trace(`abandoned the leadership transfer to ${this.leadTransferee}`);
        this.leadTransferee = null;
        // The automatic hand-back to the main waits another failover timeout before retrying.
        this.failbackAllowedAtTick = this.elapsedTicks + this.electionTimeoutTicks;
      }
    }
    if (this.heartbeatElapsedTicks >= this.heartbeatIntervalTicks) {
      this.heartbeatElapsedTicks = 0;
      this.commitBroadcastDue = false;
      for (const [peer, progress] of this.progress) {
        if (progress.suspectLostAppends()) this.sendLossProbe(peer, progress);
        else this.sendHeartbeat(peer, progress);
        progress.matchIndexAtLastHeartbeat = progress.matchIndex;
      }
      this.sendWitnessHeartbeat();
    }
    this.managePair();
    this.syncWitness();
  }

  // ---------------------------------------------------------------------------------------------
  // Terms.

  /** Returns false when the message must be ignored. Otherwise the node is at the message's term,
   * except for pre-votes, which never change a term by themselves. */
  private acceptHigherTerm(message: Message): boolean {
    if (message.type === 'request_vote' && this.mode !== 'majority') {
      // Silence counts as consent in pair mode, so a refusal must be said out loud.
      const refusal = this.pairVoteRefusal(message);
      if (refusal !== null) {
        this.trace(
          `refused ${voteName(message.preVote)} for ${message.from} at term ${message.term} (${refusal})`,
        );
        this.answerVote(message, false);
        return false;
      }
      if (!message.preVote) this.becomeFollower(message.term, null);
      return true;
    }
    if (message.type === 'request_vote') {
      // With checkQuorum, a follower that heard from its leader within the election timeout
      // keeps it: a partitioned node rejoining must not depose a healthy leader.
      const inLease =
        this.checkQuorum && this.leaderId !== null && this.electionElapsedTicks < this.electionTimeoutTicks;
      if (inLease && !message.leadershipTransfer) {
        this.trace(
          `ignored a ${voteName(message.preVote)} request from ${message.from} at term ${message.term}`,
        );
        return false;
      }
      if (!message.preVote) this.becomeFollower(message.term, null);
      return true;
    }
    if (message.type === 'request_vote_response' && message.preVote && message.voteGranted) {
      // A granted pre-vote carries the term the pre-candidate proposed, not the voter's term.
      return true;
    }
    if (
      message.type === 'request_vote_response' &&
      message.preVote &&
      this.mode !== 'majority' &&
      this.configuration.voters.includes(this.id) &&
      message.term === this.nextCampaignTerm()
    ) {
      // A pair-mode refusal carries the term the pre-candidate proposed, so that it counts; it
      // answers our own request (perhaps a late one) and moves no term.
      return true;
    }
    const fromLeader =
      message.type === 'append_entries' ||
      message.type === 'install_snapshot' ||
      message.type === 'timeout_now';
    this.trace(`received ${message.type} from ${message.from} at higher term ${message.term}`);
    this.becomeFollower(message.term, fromLeader ? message.from : null);
    return true;
  }

  /** Requests from an older term get an answer carrying our term, so the sender steps down. */
  private answerStaleTerm(message: Message): void {
    this.trace(`refused ${message.type} from ${message.from} at stale term ${message.term}`);
    switch (message.type) {
      case 'append_entries':
        this.send<AppendEntriesResponseMessage>(message.from, {
          type: 'append_entries_response',
          success: false,
          matchIndex: 0,
          conflictIndex: 0,
          conflictTerm: 0,
        });
        break;
      case 'install_snapshot':
        this.send<InstallSnapshotResponseMessage>(message.from, {
          type: 'install_snapshot_response',
          success: false,
          matchIndex: 0,
        });
        break;
      case 'request_vote':
        this.send<RequestVoteResponseMessage>(message.from, {
          type: 'request_vote_response',
          voteGranted: false,
          preVote: message.preVote,
        });
        break;
      default:
        break;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Screening: what a peer message must be before this node acts on it. The server checks the wire
  // form of every message first; these checks hold whoever drives the core, and they are the ones
  // that need this node's state (its term, its leader, its configuration).

  /** Why this node refuses the message outright, or null when it takes it. */
  private screen(message: Message): { kind: string; reason: string } | null {
    if (message.from === this.witnessNodeId && !WITNESS_ANSWERS.has(message.type)) {
      return { kind: 'bad_sender', reason: `the witness never sends ${message.type}` };
    }
    if (message.type === 'witness_record') {
      return { kind: 'bad_sender', reason: 'a data node keeps no witness records' };
    }
    if (!isBoundedCount(message.term, MAX_TERM)) {
      return { kind: 'bad_term', reason: `term ${message.term} is not an integer in 0..${MAX_TERM}` };
    }
    const malformed = malformedReason(message);
    if (malformed !== null) return { kind: 'malformed', reason: malformed };
    const configurationProblem = this.foreignConfiguration(message);
    if (configurationProblem !== null) return { kind: 'malformed', reason: configurationProblem };
    if (message.term > this.term + MAX_TERM_JUMP) {
      const far = this.farTerms.refusal(message, this.term, this.elapsedTicks);
      if (far !== null) return { kind: 'term_jump', reason: far };
    }
    if (
      message.type === 'append_entries' ||
      message.type === 'install_snapshot' ||
      message.type === 'timeout_now'
    ) {
      const claim = this.leaderClaimRefusal(message);
      if (claim !== null) return { kind: 'leader_claim', reason: claim };
    }
    const answering = this.answeringFollowerRefusal(message) ?? this.stickyFollowerRefusal(message);
    if (answering !== null) return { kind: 'leader_claim', reason: answering };
    return null;
  }

  /**
   * Pair and witness modes, on a leader: a follower that acknowledged it in its own term within the
   * failover timeout has not left that term, except by a vote this leader sees (a hand-back goes
   * through its vote, see isHandingOverTo): it campaigns only after a failover timeout without
   * hearing this leader. So a later term in its leader messages or merge offers is a bug or a
   * forgery, and must not depose this leader. After a real cut the follower stopped acknowledging
   * long before it could lead, and a diverged one refuses instead of acknowledging, so neither is
   * held back. Answers are not screened: a leader that was paused (its ticks stood still) must still
   * step down when its follower answers from a later term.
   */
  private answeringFollowerRefusal(message: Message): string | null {
    if (this.mode === 'majority' || this.role !== 'leader' || message.term <= this.term) return null;
    if (
      message.type !== 'append_entries' &&
      message.type !== 'install_snapshot' &&
      message.type !== 'timeout_now' &&
      message.type !== 'merge_offer'
    ) {
      return null;
    }
    const progress = this.progress.get(message.from);
    if (progress === undefined) return null;
    const ticks = this.elapsedTicks - progress.lastAcknowledgementTick;
    if (ticks >= this.electionTimeoutTicks) return null;
    return `${message.from} acknowledged this leader in term ${this.term} ${ticks} ticks ago`;
  }

  /**
   * Pair and witness modes never change the voters, so a configuration that names others (in an
   * entry or a snapshot) can only come from a bug or a forgery: taking it would leave this node
   * unable to campaign or to count votes.
   */
  private foreignConfiguration(message: Message): string | null {
    if (this.mode === 'majority') return null;
    const check = (configuration: Configuration, what: string): string | null => {
      if (!sameMembers(configuration.voters, this.configuration.voters)) {
        return `${what} names voters (${configuration.voters.join(',')}), not (${this.configuration.voters.join(',')})`;
      }
      if (this.witnessNodeId !== null && configuration.inSync.includes(this.witnessNodeId)) {
        return `${what} puts the witness in the in-sync set`;
      }
      return null;
    };
    if (message.type === 'install_snapshot') {
      return check(message.snapshot.metadata.configuration, 'the snapshot');
    }
    if (message.type !== 'append_entries') return null;
    for (const entry of message.entries) {
      if (entry.kind !== 'configuration') continue;
      const problem = check(decodeConfiguration(entry.data), `entry ${entry.index}`);
      if (problem !== null) return problem;
    }
    return null;
  }

  /**
   * An append, snapshot or timeout_now says its sender leads the message's term. There is one
   * leader per term, and in pair mode it owns the term; and a timeout_now counts only from the
   * leader this node follows, in its own term (see also stickyFollowerRefusal).
   */
  private leaderClaimRefusal(
    message: AppendEntriesMessage | InstallSnapshotMessage | TimeoutNowMessage,
  ): string | null {
    const { from, term } = message;
    if (term < this.term) return null;
    const { voters } = this.configuration;
    if (this.mode === 'pair' && voters.includes(from) && termOwner(term, voters) !== from) {
      return `${from} does not own term ${term}, so it cannot lead it`;
    }
    if (term === this.term) {
      if (this.role === 'leader') return `this node leads term ${term}`;
      if (this.knownLeader !== null && this.knownLeader.term === term && this.knownLeader.id !== from) {
        return `${this.knownLeader.id} leads term ${term}`;
      }
      if (message.type === 'timeout_now' && this.mode !== 'majority' && this.leaderId !== from) {
        return `this node does not follow ${from}`;
      }
      return null;
    }
    if (this.mode === 'majority') return null;
    if (message.type === 'timeout_now')
      return `it comes from term ${term}, not this node's term ${this.term}`;
    return null;
  }

  /**
   * Pair and witness modes: a follower that heard its leader within the failover timeout does not
   * let a message move it to a later term (a real new leader got its vote, or came after a
   * failover timeout of silence). Vote requests have their own rule (pairVoteRefusal).
   */
  private stickyFollowerRefusal(message: Message): string | null {
    if (this.mode === 'majority' || message.term <= this.term || message.type === 'request_vote') return null;
    // A (late) answer to this node's own pre-vote carries the term it asked for, and moves nothing.
    if (message.type === 'request_vote_response' && message.preVote) return null;
    const ticks = this.ticksSinceLeaderContact();
    if (this.role === 'follower' && this.leaderId !== null && ticks < this.electionTimeoutTicks) {
      return `this node follows ${this.leaderId} at term ${this.term}, heard ${ticks} ticks ago`;
    }
    return null;
  }

  /** Reports a refused message and answers it where its sender waits for an answer. */
  private refuseMessage(message: Message, kind: string, reason: string): void {
    this.refuse(kind, `refused ${message.type} from ${message.from} at term ${message.term}: ${reason}`);
    // A message that is out of bounds or malformed gets no answer: the server refuses it first.
    if (kind === 'bad_term' || kind === 'malformed' || kind === 'bad_sender') return;
    switch (message.type) {
      case 'append_entries':
        this.replyToAppend(message.from, false, 0);
        break;
      case 'install_snapshot':
        this.send<InstallSnapshotResponseMessage>(message.from, {
          type: 'install_snapshot_response',
          success: false,
          matchIndex: 0,
        });
        break;
      case 'request_vote':
        this.answerVote(message, false);
        break;
      case 'merge_offer':
        this.send<MergeOfferResponseMessage>(message.from, {
          type: 'merge_offer_response',
          stretchStartIndex: message.stretchStartIndex,
          mergedThroughIndex: 0,
        });
        break;
      default:
        break;
    }
  }

  private refuse(kind: string, line: string): void {
    if (this.refusalSink === null) this.trace(line);
    else this.refusalSink(kind, `${this.id} ${line}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Votes.

  private handleRequestVote(message: RequestVoteMessage): void {
    const pairRefusal = this.mode !== 'majority' ? this.pairVoteRefusal(message) : null;
    const canVote =
      pairRefusal === null &&
      (this.votedFor === message.from ||
        (this.votedFor === null && this.leaderId === null) ||
        (message.preVote && message.term > this.term));
    const upToDate = this.log.isUpToDate(message.lastLogIndex, message.lastLogTerm);
    const granted = canVote && upToDate;
    if (granted && message.preVote) {
      this.farTerms.grantedPreVote(message.from, message.term, this.elapsedTicks);
    }
    if (granted && !message.preVote) {
      // The vote is in hardState, which the driver persists before sending this answer.
      this.votedFor = message.from;
      this.electionElapsedTicks = 0;
    }
    let reason = '';
    if (!granted) {
      reason = canVote ? ' (log behind ours)' : ` (${pairRefusal ?? 'already voted or following a leader'})`;
    }
    this.trace(
      `${granted ? 'granted' : 'rejected'} ${voteName(message.preVote)} for ${message.from} at term ${message.term}${reason}`,
    );
    this.answerVote(message, granted);
  }

  private answerVote(message: RequestVoteMessage, granted: boolean): void {
    // A grant carries the requested term. A refusal carries ours; in pair mode never less than the
    // requested one, so that a candidate at a higher term than ours counts it instead of
    // discarding it as stale (a refusal moves no one's term below the voter's own).
    let term = granted ? message.term : this.term;
    if (!granted && this.mode !== 'majority') term = Math.max(this.term, message.term);
    this.send<RequestVoteResponseMessage>(message.from, {
      type: 'request_vote_response',
      term,
      voteGranted: granted,
      preVote: message.preVote,
    });
  }

  /**
   * Pair mode: why this node refuses a candidate regardless of logs, or null. A leader keeps its
   * leadership, and a node that heard from a leader within the failover timeout sticks to it
   * (unless the leader itself asked for the election with timeout_now). The main also refuses
   * until it has itself been without a leader for its timeout, even at start, so that it wins a
   * cold start; a backup that has seen no leader since it started has nothing to stick to.
   */
  private pairVoteRefusal(message: RequestVoteMessage): string | null {
    if (message.leadershipTransfer && this.isHandingOverTo(message.from, message.term)) return null;
    if (this.role === 'leader') return 'this node leads';
    if (this.ticksSinceLeaderContact() >= this.electionTimeoutTicks) return null;
    if (!this.heardFromLeaderSinceStart && this.priorityNodeId !== this.id) return null;
    return this.heardFromLeaderSinceStart
      ? 'heard from a leader within the failover timeout'
      : 'the priority node has not been without a leader for its timeout';
  }

  /**
   * Whether this node sent the candidate timeout_now within the last election timeout, for the term
   * the candidate campaigns in (the leader's term, plus at most a skip in pair mode).
   */
  private isHandingOverTo(candidate: NodeId, term: number): boolean {
    const handOver = this.handOver;
    return (
      handOver !== null &&
      handOver.to === candidate &&
      term > handOver.term &&
      term <= handOver.term + this.configuration.voters.length &&
      this.elapsedTicks - handOver.tick <= this.electionTimeoutTicks
    );
  }

  /** The term a campaign moves to: the next one, or in pair mode the next one this node owns. */
  private nextCampaignTerm(): number {
    if (this.mode !== 'pair') return this.term + 1;
    return nextOwnedTerm(this.term, this.id, this.configuration.voters);
  }

  /**
   * Pair mode, on a tick: a pre-candidate or candidate whose peer has not answered within
   * pairVoteWaitTicks goes on as if it had agreed, if it holds every acknowledged entry as far as
   * it can tell. Returns whether it went on.
   */
  private proceedOnSilence(): boolean {
    if (this.mode !== 'pair' || (this.role !== 'pre_candidate' && this.role !== 'candidate')) return false;
    this.voteWaitElapsedTicks += 1;
    if (this.voteWaitElapsedTicks < this.pairVoteWaitTicks) return false;
    const silent = this.configuration.voters.filter((id) => id !== this.id && !this.votes.has(id));
    if (silent.length === 0) return false;
    const obstacle = this.soloElectionObstacle();
    if (obstacle !== null) {
      if (!this.soloObstacleReported) {
        this.soloObstacleReported = true;
        this.trace(`cannot win without ${silent.join(',')}: ${obstacle}`);
      }
      // Ask again, so that silence is judged on a recent request: a peer that was down when the
      // first one went out may be up by the time the obstacle clears.
      this.voteWaitElapsedTicks = 0;
      this.sendVoteRequests(this.role === 'pre_candidate', this.transferCampaign, silent);
      return false;
    }
    const waited = this.voteWaitElapsedTicks;
    this.trace(
      `heard nothing from ${silent.join(',')} for ${waited} tick${waited === 1 ? '' : 's'}; going on alone`,
    );
    if (this.role === 'pre_candidate') {
      this.startElection('election');
    } else {
      assert.ok(
        nextOwnedTerm(this.term - 1, this.id, this.configuration.voters) === this.term,
        `${this.id} would win term ${this.term} alone without owning it`,
      );
      this.becomeLeader();
    }
    return true;
  }

  /** Pair mode: why this node may not win an election on its own vote, or null if it may. */
  private soloElectionObstacle(): string | null {
    if (!this.configuration.inSync.includes(this.id)) return 'not in its own in-sync set';
    // A backup that holds nothing has nothing to serve, and winning alone would make its empty log
    // the one the main must follow; only the main may start a fresh cluster on its own.
    if (this.log.lastIndex() === 0 && this.id !== this.priorityNodeId)
      return 'an empty log (only the main starts alone)';
    if (this.log.lastIndex() < this.highestKnownCommitIndex) {
      return `its log ends at ${this.log.lastIndex()}, below the known commit index ${this.highestKnownCommitIndex}`;
    }
    const graceTicks = this.startupGraceRemainingTicks();
    if (graceTicks > 0) return `startup grace (${graceTicks} ticks left)`;
    // Silence is consent only from a peer that seems dead. A peer heard within the failover timeout
    // is alive (its answer is merely late, or it refused): wait for its explicit vote instead.
    for (const peer of this.configuration.voters) {
      const heardAtTick = peer === this.id ? undefined : this.lastMessageTickFrom.get(peer);
      if (heardAtTick !== undefined && this.elapsedTicks - heardAtTick < this.electionTimeoutTicks) {
        return `${peer} was heard ${this.elapsedTicks - heardAtTick} ticks ago`;
      }
    }
    return null;
  }

  /**
   * Every pair node waits for its peer before it may win alone, whatever its log holds: a node that
   * starts empty (a replaced disk, a fresh backup) must not elect itself past a peer that is merely
   * slow to open a long log, because its empty log would then overwrite the peer's.
   */
  private startupGraceRemainingTicks(): number {
    if (this.mode !== 'pair' || this.heardFromPeerSinceStart) return 0;
    return Math.max(0, this.startupGraceTicks - this.elapsedTicks);
  }

  private handleRequestVoteResponse(message: RequestVoteResponseMessage): void {
    // A pre-vote answer carries the term asked for when granted; a refusal carries ours in majority
    // mode and the one asked for in pair mode (see answerVote).
    const preVoteAnswerTerm = () =>
      this.mode !== 'majority' || message.voteGranted ? this.nextCampaignTerm() : this.term;
    const counts =
      (this.role === 'pre_candidate' && message.preVote && message.term === preVoteAnswerTerm()) ||
      (this.role === 'candidate' && !message.preVote && message.term === this.term);
    if (!counts) return;
    // A voter grants at most once per term, so a refusal after a grant is a late answer to an
    // older request; the grant stands.
    if (this.votes.get(message.from) !== true) this.votes.set(message.from, message.voteGranted);
    this.tallyVotes();
  }

  private handleTimeoutNow(message: TimeoutNowMessage): void {
    const { from } = message;
    if (this.role === 'leader') return;
    if (this.mode !== 'majority') {
      // A real hand-back waits a failover timeout after an abandoned one, so more than one
      // timeout_now per failover timeout is a bug or a forgery: it must not churn leadership.
      const last = this.lastTimeoutNowTick;
      if (last !== null && this.elapsedTicks - last < this.electionTimeoutTicks) {
        this.refuse(
          'timeout_now_rate',
          `refused timeout_now from ${from} at term ${message.term}: it campaigned on one ${this.elapsedTicks - last} ticks ago`,
        );
        return;
      }
      this.lastTimeoutNowTick = this.elapsedTicks;
    }
    if (this.role === 'follower') this.recordLeader(from);
    this.noteLeaderContact();
    this.trace(`received timeout_now from ${from}; campaigning at once`);
    this.startElection('transfer');
  }

  // ---------------------------------------------------------------------------------------------
  // Replication: the follower's side.

  private handleAppendEntries(message: AppendEntriesMessage): void {
    const { prevLogIndex, prevLogTerm, entries } = message;
    assert.ok(Number.isSafeInteger(prevLogIndex) && prevLogIndex >= 0, `bad prevLogIndex ${prevLogIndex}`);
    for (const entry of entries)
      assert.ok(entry.term <= message.term, 'an entry cannot be newer than its leader');
    if (this.mode === 'pair') {
      this.handlePairAppendEntries(message);
      return;
    }
    if (prevLogIndex < this.log.commitIndex) {
      // Everything up to the commit index matches every leader's log; say how far that is.
      this.replyToAppend(message.from, true, this.log.commitIndex);
      return;
    }
    this.appendFromLeader(message, prevLogIndex, prevLogTerm, entries);
  }

  /** Appends what the leader sent after a point that is at or above the commit index. */
  private appendFromLeader(
    message: AppendEntriesMessage,
    prevLogIndex: number,
    prevLogTerm: number,
    entries: Entry[],
  ): void {
    const result = this.log.maybeAppend(prevLogIndex, prevLogTerm, entries);
    if (result === null) {
      const hint = this.log.conflictHint(prevLogIndex);
      // Normal while a leader probes for the match point, but a leader stuck in a loop would fill
      // the log with these: the driver rate-limits refusals by kind.
      this.refuse(
        'append_mismatch',
        `rejected append at ${prevLogIndex}/${prevLogTerm} from ${message.from}; conflict at ${hint.conflictIndex}/${hint.conflictTerm}`,
      );
      this.send<AppendEntriesResponseMessage>(message.from, {
        type: 'append_entries_response',
        success: false,
        matchIndex: 0,
        ...hint,
      });
      return;
    }
    if (result.truncatedFrom !== null) {
      this.trace(`truncated its log from ${result.truncatedFrom} to follow ${message.from}`);
    }
    if (result.truncatedFrom !== null || result.appendedConfiguration) this.refreshConfiguration();
    this.log.commitTo(Math.min(message.leaderCommit, result.lastNewIndex));
    this.replyToAppend(message.from, true, result.lastNewIndex);
  }

  /**
   * Pair mode: after a cut, the two nodes may each have committed entries alone, so "everything up
   * to our commit index matches every leader" no longer holds. Entries at or below the commit index
   * are checked against the log instead of assumed, a contradiction is refused (and reported in
   * status().divergence) rather than truncated, and the answer never claims more than the message
   * covered.
   */
  private handlePairAppendEntries(message: AppendEntriesMessage): void {
    const { prevLogIndex, prevLogTerm, entries } = message;
    const commitIndex = this.log.commitIndex;
    this.noteAnnouncedCommit(message.from, message.leaderCommit);
    if (this.refuseDivergedLeader(message.from)) return;
    const conflictIndex = this.committedConflict(prevLogIndex, prevLogTerm, entries);
    if (conflictIndex !== null) {
      const impossible = this.impossibleDivergence(message.from, conflictIndex);
      if (impossible !== null) {
        this.refuse(
          'contradicts_committed',
          `refused append_entries from ${message.from} at term ${message.term}: ${impossible}`,
        );
        this.refuseDiverged(message.from);
        return;
      }
      this.recordDivergence(message.from, conflictIndex);
      return;
    }
    if (prevLogIndex >= commitIndex) {
      this.appendFromLeader(message, prevLogIndex, prevLogTerm, entries);
      return;
    }
    const beyondCommit = entries.filter((entry) => entry.index > commitIndex);
    if (beyondCommit.length === 0) {
      this.replyToAppend(message.from, true, prevLogIndex + entries.length);
      return;
    }
    // The entry at the commit index is in the message and matched ours: append from there.
    const commitTerm = this.log.term(commitIndex);
    assert.ok(commitTerm !== undefined, 'the commit index is never compacted away');
    this.appendFromLeader(message, commitIndex, commitTerm, beyondCommit);
  }

  /** The first index at or below the commit index where the message contradicts our log, if any. */
  private committedConflict(prevLogIndex: number, prevLogTerm: number, entries: Entry[]): number | null {
    const commitIndex = this.log.commitIndex;
    // Indices compacted into our snapshot cannot be checked; their terms are unknown here.
    if (prevLogIndex <= commitIndex) {
      const ours = this.log.term(prevLogIndex);
      if (ours !== undefined && ours !== prevLogTerm) return prevLogIndex;
    }
    for (const entry of entries) {
      if (entry.index > commitIndex) break;
      const ours = this.log.term(entry.index);
      if (ours !== undefined && ours !== entry.term) return entry.index;
    }
    return null;
  }

  /**
   * Pair mode: the leader's commit index, believed once two announcements of the same leader in the
   * same term reach it (a real leader announces it with every heartbeat).
   */
  private noteAnnouncedCommit(from: NodeId, leaderCommit: number): void {
    let announcements = this.commitAnnouncements;
    if (announcements === null || announcements.from !== from || announcements.term !== this.term) {
      announcements = { from, term: this.term, before: this.highestKnownCommitIndex, latest: leaderCommit };
      this.commitAnnouncements = announcements;
    }
    if (leaderCommit < announcements.latest) {
      this.refuse(
        'commit_went_back',
        `${from} announced commit index ${leaderCommit} after ${announcements.latest} in term ${this.term}; the higher one is not believed`,
      );
    }
    announcements.latest = leaderCommit;
    this.highestKnownCommitIndex = Math.max(announcements.before, leaderCommit);
  }

  /**
   * Pair mode: why a leader's log cannot really contradict our committed entry at index, or null
   * when it can. Both logs can hold different committed entries only after a split brain: some
   * entry from index up to our commit index must have committed while the peer was out of the
   * in-sync set. Had the peer been in the set all along, it held every one of those entries, and a
   * leader's log that contradicts them is a bug or a forgery, not a history to merge.
   */
  private impossibleDivergence(peer: NodeId, index: number): string | null {
    const commitIndex = this.log.commitIndex;
    const from = Math.max(index - 1, this.log.snapshotIndex);
    const spans = this.log.configurationSpans(from, this.baseConfiguration);
    const solo = spans.some(
      (span) => span.firstIndex <= commitIndex && !span.configuration.inSync.includes(peer),
    );
    if (solo) return null;
    return `it contradicts our committed entry ${index}, which ${peer} holds (it was in the in-sync set through ${commitIndex})`;
  }

  /** Pair mode: a leader already found to contradict our committed log gets refusals only. */
  private refuseDivergedLeader(leader: NodeId): boolean {
    if (!this.isDivergedFrom(leader)) return false;
    this.refuseDiverged(leader);
    this.maybeOfferMerge();
    return true;
  }

  private isDivergedFrom(leader: NodeId): boolean {
    return this.divergence?.leaderId === leader && this.divergence.term === this.term;
  }

  private recordDivergence(leader: NodeId, index: number): void {
    this.divergence = { index, leaderId: leader, term: this.term };
    this.trace(
      `diverged from leader ${leader} at term ${this.term}: its log contradicts our committed entry ${index}; refusing its appends`,
    );
    this.refuseDiverged(leader);
    this.startMerge(leader);
  }

  /** A refusal without a conflict index: the leader learns nothing from it and sends no more. */
  private refuseDiverged(leader: NodeId): void {
    this.send<AppendEntriesResponseMessage>(leader, {
      type: 'append_entries_response',
      success: false,
      matchIndex: 0,
      conflictIndex: 0,
      conflictTerm: 0,
    });
  }

  private replyToAppend(to: NodeId, success: boolean, matchIndex: number): void {
    this.send<AppendEntriesResponseMessage>(to, {
      type: 'append_entries_response',
      success,
      matchIndex,
      conflictIndex: 0,
      conflictTerm: 0,
    });
  }

  private handleInstallSnapshot(message: InstallSnapshotMessage): void {
    const { metadata } = message.snapshot;
    validateConfiguration(metadata.configuration);
    assert.ok(message.snapshot.data instanceof Uint8Array, 'snapshot data is bytes');
    assert.ok(
      metadata.index >= 1 && metadata.term >= 1 && metadata.term <= message.term,
      'bad snapshot metadata',
    );
    const respond = (matchIndex: number) =>
      this.send<InstallSnapshotResponseMessage>(message.from, {
        type: 'install_snapshot_response',
        success: true,
        matchIndex,
      });
    const respondRefusal = () =>
      this.send<InstallSnapshotResponseMessage>(message.from, {
        type: 'install_snapshot_response',
        success: false,
        matchIndex: 0,
      });
    if (this.mode === 'pair') {
      const ours = metadata.index <= this.log.commitIndex ? this.log.term(metadata.index) : undefined;
      const contradicts = ours !== undefined && ours !== metadata.term;
      const impossible = contradicts ? this.impossibleDivergence(message.from, metadata.index) : null;
      if (impossible !== null) {
        this.refuse(
          'contradicts_committed',
          `refused install_snapshot from ${message.from} at term ${message.term}: ${impossible}`,
        );
        respondRefusal();
        return;
      }
      this.highestKnownCommitIndex = Math.max(this.highestKnownCommitIndex, metadata.index);
      if (contradicts && !this.isDivergedFrom(message.from)) {
        this.divergence = { index: metadata.index, leaderId: message.from, term: this.term };
        this.trace(
          `diverged from leader ${message.from} at term ${this.term}: its snapshot contradicts our committed entry ${metadata.index}`,
        );
        this.startMerge(message.from);
      }
      if (this.isDivergedFrom(message.from)) {
        respondRefusal();
        return;
      }
      if (metadata.index <= this.log.commitIndex) {
        // Claim no more than the snapshot covers: our commit index may be beyond the leader's log.
        respond(metadata.index);
        return;
      }
    }
    if (metadata.index <= this.log.commitIndex) {
      respond(this.log.commitIndex);
      return;
    }
    if (this.log.matchTerm(metadata.index, metadata.term)) {
      // The log already holds the snapshot's last entry, hence everything before it.
      this.log.commitTo(metadata.index);
      this.trace(`already holds snapshot ${metadata.index}/${metadata.term}; committed up to it`);
      respond(metadata.index);
      return;
    }
    this.log.restore(message.snapshot);
    this.refreshConfiguration();
    this.trace(`restored snapshot ${metadata.index}/${metadata.term} from ${message.from}`);
    respond(metadata.index);
  }

  private refreshConfiguration(): void {
    const configuration = this.log.configurationAt(this.log.lastIndex(), this.baseConfiguration);
    if (configurationsEqual(configuration, this.configuration)) return;
    this.configuration = copyConfiguration(configuration);
    for (const id of [...this.lastMessageTickFrom.keys()]) {
      if (!configuration.voters.includes(id)) this.lastMessageTickFrom.delete(id);
    }
    this.trace(`switched to configuration ${describeConfiguration(configuration)}`);
    if (this.role === 'leader') {
      const peers = this.replicationTargets(configuration);
      for (const peer of peers) if (!this.progress.has(peer)) this.addProgress(peer);
      for (const peer of [...this.progress.keys()]) if (!peers.includes(peer)) this.progress.delete(peer);
      if (this.leadTransferee !== null && !configuration.voters.includes(this.leadTransferee)) {
        this.leadTransferee = null;
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Replication: the leader's side.

  private assertCanPropose(entryCount: number): void {
    if (this.role !== 'leader') throw new NotLeaderError(this.leaderId, this.term);
    if (this.leadTransferee !== null) throw new LeadershipTransferInProgressError(this.leadTransferee);
    const uncommitted = this.log.lastIndex() - this.log.commitIndex;
    if (uncommitted + entryCount > this.limits.maxUncommittedEntries) {
      throw new ProposalBackpressureError(uncommitted, this.limits.maxUncommittedEntries);
    }
  }

  private appendAsLeader(items: { kind: EntryKind; data: Uint8Array }[]): ProposalPosition {
    assert.equal(this.role, 'leader', 'only the leader appends new entries');
    const firstIndex = this.log.lastIndex() + 1;
    const entries = items.map((item, offset) => ({
      index: firstIndex + offset,
      term: this.term,
      kind: item.kind,
      data: item.data,
    }));
    this.log.append(entries);
    const lastConfiguration = entries.findLast((entry) => entry.kind === 'configuration');
    if (lastConfiguration !== undefined) {
      this.pendingConfigurationIndex = lastConfiguration.index;
      this.refreshConfiguration();
    }
    // A configuration change may loosen the commit rule at once.
    this.maybeCommit();
    for (const [peer, progress] of this.progress) this.sendAppends(peer, progress, false);
    return { firstIndex, lastIndex: firstIndex + entries.length - 1, term: this.term };
  }

  private addProgress(peer: NodeId): void {
    const progress = new Progress(this.log.lastIndex() + 1, this.limits.maxInflightMessages);
    // A new leader assumes its peers are alive until an election timeout proves otherwise.
    progress.recentActive = true;
    // Silence counts from the last message the peer sent (a vote, or the old leader's heartbeat).
    const lastHeardTick = this.lastMessageTickFrom.get(peer) ?? 0;
    progress.lastResponseTick = lastHeardTick;
    progress.lastAcknowledgementTick = lastHeardTick;
    this.progress.set(peer, progress);
  }

  /** Commits up to the index durable on every in-sync member, if it is of the current term. */
  private maybeCommit(): boolean {
    if (this.role !== 'leader') return false;
    const commitIndex = nextCommitIndex({
      spans: this.log.configurationSpans(this.log.commitIndex, this.baseConfiguration),
      lastIndex: this.log.lastIndex(),
      leaderId: this.id,
      currentTerm: this.term,
      commitIndex: this.log.commitIndex,
      matchIndexOf: (id) =>
        id === this.id ? this.log.durableLastIndex() : (this.progress.get(id)?.matchIndex ?? 0),
      termAt: (index) => this.log.term(index),
    });
    const moved = this.log.commitTo(commitIndex);
    // Several acknowledgements between two Readies move the commit index once per Ready.
    if (moved) {
      this.commitBroadcastDue = this.progress.size > 0;
      this.mergesCompletedCount += this.mergeSink.committed(this.log.commitIndex);
    }
    return moved;
  }

  /** Heartbeats also tell every peer the commit index (up to what each peer matches). */
  private broadcastHeartbeats(): void {
    this.commitBroadcastDue = false;
    for (const [peer, progress] of this.progress) this.sendHeartbeat(peer, progress);
  }

  /** Sends as many appends as the follower's state and window allow. */
  private sendAppends(peer: NodeId, progress: Progress, sendIfEmpty: boolean): void {
    let sendEmpty = sendIfEmpty;
    for (let round = 0; round <= this.limits.maxInflightMessages; round += 1) {
      if (!this.maybeSendAppend(peer, progress, sendEmpty)) return;
      sendEmpty = false;
    }
  }

  /** Returns whether entries were sent (so that another message might follow). */
  private maybeSendAppend(peer: NodeId, progress: Progress, sendIfEmpty: boolean): boolean {
    if (progress.isPaused()) return false;
    const lastIndex = this.log.lastIndex();
    assert.ok(progress.nextIndex <= lastIndex + 1, `nextIndex ${progress.nextIndex} beyond ${lastIndex + 1}`);
    const prevLogIndex = progress.nextIndex - 1;
    const prevLogTerm = this.log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      this.sendSnapshot(peer, progress);
      return false;
    }
    const entries =
      progress.nextIndex <= lastIndex
        ? this.log.slice(
            progress.nextIndex,
            lastIndex,
            this.limits.maxEntriesPerMessage,
            this.limits.maxBytesPerMessage,
          )
        : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send<AppendEntriesMessage>(peer, {
      type: 'append_entries',
      prevLogIndex,
      prevLogTerm,
      entries,
      leaderCommit: this.log.commitIndex,
    });
    progress.sent(prevLogIndex + entries.length, entries.length);
    return entries.length > 0;
  }

  /** A heartbeat is an empty append at the follower's match point, so it never disturbs a pipeline. */
  private sendHeartbeat(peer: NodeId, progress: Progress): void {
    let prevLogIndex = progress.matchIndex;
    let prevLogTerm = this.log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      // The match point was compacted away; index 0 matches every log.
      prevLogIndex = 0;
      prevLogTerm = 0;
    }
    this.send<AppendEntriesMessage>(peer, {
      type: 'append_entries',
      prevLogIndex,
      prevLogTerm,
      entries: [],
      leaderCommit: this.log.commitIndex,
    });
  }

  /**
   * An empty append at nextIndex - 1 (it also serves as the heartbeat). A follower that lost
   * pipelined appends lacks that index and refuses it, which turns the leader to probing; one
   * that merely has them in flight accepts it.
   */
  private sendLossProbe(peer: NodeId, progress: Progress): void {
    const prevLogIndex = progress.nextIndex - 1;
    const prevLogTerm = this.log.term(prevLogIndex);
    if (prevLogTerm === undefined) {
      progress.becomeProbe(progress.matchIndex + 1);
      this.sendAppends(peer, progress, true);
      return;
    }
    this.send<AppendEntriesMessage>(peer, {
      type: 'append_entries',
      prevLogIndex,
      prevLogTerm,
      entries: [],
      leaderCommit: this.log.commitIndex,
    });
  }

  private sendSnapshot(peer: NodeId, progress: Progress): void {
    const metadata = this.log.snapshot();
    assert.ok(metadata !== null, 'entries are only compacted under a snapshot');
    this.send<InstallSnapshotMessage>(peer, {
      type: 'install_snapshot',
      snapshot: { metadata, data: EMPTY_DATA },
    });
    progress.becomeSnapshot(metadata.index);
    this.trace(`sent snapshot ${metadata.index}/${metadata.term} to ${peer}`);
  }

  private sendTimeoutNow(peer: NodeId): void {
    this.trace(`sent timeout_now to ${peer}`);
    this.handOver = { to: peer, term: this.term, tick: this.elapsedTicks };
    this.send<TimeoutNowMessage>(peer, { type: 'timeout_now' });
  }

  private handleAppendEntriesResponse(message: AppendEntriesResponseMessage): void {
    const progress = this.progress.get(message.from);
    if (this.role !== 'leader' || progress === undefined) return;
    if (message.success && message.matchIndex > this.log.lastIndex()) {
      this.refuse(
        'bad_answer',
        `ignored ${message.from}'s answer: it matches ${message.matchIndex}, beyond this leader's last index ${this.log.lastIndex()}`,
      );
      return;
    }
    progress.recentActive = true;
    progress.answered(this.elapsedTicks, message.success);
    if (!message.success) {
      // A refusal without a conflict index answers an append of an older term (this node may have
      // led before and been elected again since the answer left): it says nothing about now.
      if (message.conflictIndex === 0) return;
      let nextIndex = message.conflictIndex;
      if (message.conflictTerm > 0) {
        const lastOfTerm = this.log.lastIndexOfTerm(message.conflictTerm, this.log.lastIndex());
        if (lastOfTerm !== undefined) nextIndex = lastOfTerm + 1;
      }
      progress.becomeProbe(Math.min(nextIndex, this.log.lastIndex() + 1));
      this.trace(`probes ${message.from} from ${progress.nextIndex} after a rejected append`);
      this.sendAppends(message.from, progress, true);
      return;
    }
    const moved = progress.acknowledge(message.matchIndex);
    if (progress.state === 'replicate') {
      progress.inflights.freeTo(message.matchIndex);
      // An answer without progress while the window is full (a lost append, or a heartbeat) frees
      // one slot, so that the next append finds out whether a gap needs probing.
      if (!moved && progress.inflights.full()) progress.inflights.freeFirst();
    } else if (progress.state === 'probe') {
      if (moved) progress.becomeReplicate();
      else progress.probeSent = false;
    } else if (progress.matchIndex >= progress.pendingSnapshotIndex) {
      progress.becomeProbe(progress.matchIndex + 1);
    }
    if (moved) this.afterMatchMoved(message.from, progress);
    // A prober that is answered without progress tries again, even with nothing new to send, so
    // that it learns the follower's match point.
    const probeAgain = progress.state === 'probe' && progress.matchIndex < this.log.lastIndex();
    this.sendAppends(message.from, progress, probeAgain);
    this.managePair();
  }

  private handleInstallSnapshotResponse(message: InstallSnapshotResponseMessage): void {
    const progress = this.progress.get(message.from);
    if (this.role !== 'leader' || progress === undefined) return;
    if (message.success && message.matchIndex > this.log.lastIndex()) {
      this.refuse(
        'bad_answer',
        `ignored ${message.from}'s answer to a snapshot: it matches beyond this leader's log`,
      );
      return;
    }
    progress.recentActive = true;
    progress.answered(this.elapsedTicks, message.success);
    // A refusal answers a snapshot of an older term (see handleAppendEntriesResponse).
    if (!message.success) return;
    const moved = progress.acknowledge(message.matchIndex);
    if (progress.state === 'snapshot') progress.becomeProbe(progress.matchIndex + 1);
    // The answer a probe waits for (reportSnapshot left the probe waiting) has come.
    else if (progress.state === 'probe') progress.probeSent = false;
    if (moved) this.afterMatchMoved(message.from, progress);
    this.sendAppends(message.from, progress, false);
    this.managePair();
  }

  // ---------------------------------------------------------------------------------------------
  // Pair mode: the leader's bookkeeping of the in-sync set and of the main's priority.

  /**
   * Runs on every leader tick and answer. At most one change per call, and never during a
   * leadership transfer:
   * 1. an in-sync follower that has acknowledged nothing for the failover timeout leaves the
   *    in-sync set (the leader then commits alone);
   * 2. a follower outside the in-sync set that holds the leader's log, or all but one message of
   *    it, comes back in;
   * 3. a backup that leads hands leadership to the main once the main is in sync and answering.
   */
  private managePair(): void {
    if (this.mode === 'majority' || this.role !== 'leader' || this.leadTransferee !== null) return;
    // Witness mode: nothing changes while the witness has a removal to record.
    if (this.witnessLink?.pending?.removal === true) return;
    const { voters, inSync } = this.configuration;
    const commitIndex = this.log.commitIndex;
    const lastConfigurationIndex = this.log.lastConfigurationIndex();
    // A member that has acknowledged nothing for the failover timeout leaves the in-sync set at
    // once, even over an uncommitted configuration entry: that entry could not commit without the
    // silent member anyway (and entries commit only with one of this term). The leader itself
    // always belongs (one that won with its peer's explicit vote while out of the set holds every
    // committed entry all the same); adding it waits for the leader's own pending change, if any.
    const silent = inSync.filter(
      (id) =>
        id !== this.id &&
        this.elapsedTicks - this.progressOf(id).lastAcknowledgementTick >= this.electionTimeoutTicks,
    );
    const ownChangePending =
      lastConfigurationIndex > commitIndex && this.log.term(lastConfigurationIndex) === this.term;
    if (silent.length > 0 || (!inSync.includes(this.id) && !ownChangePending)) {
      for (const id of silent) {
        const silentTicks = this.elapsedTicks - this.progressOf(id).lastAcknowledgementTick;
        this.trace(`removes ${id} from the in-sync set: no acknowledgement for ${silentTicks} ticks`);
      }
      if (!inSync.includes(this.id)) this.trace('adds itself to the in-sync set');
      const next = {
        voters: [...voters],
        inSync: voters.filter((id) => id === this.id || (inSync.includes(id) && !silent.includes(id))),
      };
      // Witness mode: the witness records a removal before the entry that makes it count.
      if (silent.length > 0 && this.witnessLink !== null) this.recordRemovalWithWitness(next);
      else this.appendConfigurationChange(next);
      return;
    }
    // Re-admission and hand-back wait until no change (nor the noop) is uncommitted.
    if (lastConfigurationIndex > commitIndex || this.pendingConfigurationIndex > commitIndex) return;
    const lastIndex = this.log.lastIndex();
    for (const id of voters) {
      if (id === this.id || id === this.witnessNodeId || inSync.includes(id)) continue;
      const progress = this.progressOf(id);
      const answering = this.elapsedTicks - progress.lastAcknowledgementTick < this.electionTimeoutTicks;
      const withinLimit = lastIndex - commitIndex < this.limits.maxUncommittedEntries;
      // Within one message of the end, and taking pipelined appends: under steady load a member
      // rarely holds the whole log at one instant. Readmitting it a little behind is safe: the
      // configuration entry reaches it only after every entry before it, and every later entry
      // commits only with its acknowledgement. Commits then wait at most one append for it.
      const lagEntries = lastIndex - progress.matchIndex;
      const closeBehind =
        lagEntries === 0 ||
        (progress.state === 'replicate' && lagEntries <= this.limits.maxEntriesPerMessage);
      if (closeBehind && answering && withinLimit) {
        this.trace(
          lagEntries === 0
            ? `adds ${id} back to the in-sync set: it holds the whole log (${lastIndex})`
            : `adds ${id} back to the in-sync set: it holds ${progress.matchIndex} of ${lastIndex}`,
        );
        this.appendConfigurationChange({
          voters: [...voters],
          inSync: voters.filter((member) => member === id || inSync.includes(member)),
        });
        return;
      }
    }
    const main = this.priorityNodeId;
    if (main === null || main === this.id || !inSync.includes(main)) return;
    if (this.elapsedTicks < this.failbackAllowedAtTick) return;
    const progress = this.progressOf(main);
    if (this.elapsedTicks - progress.lastAcknowledgementTick > this.heartbeatIntervalTicks) return;
    this.trace(`hands leadership back to the priority node ${main}, which is in sync`);
    this.lastHandBackTick = this.elapsedTicks;
    this.transferLeadership(main);
  }

  private progressOf(id: NodeId): Progress {
    const progress = this.progress.get(id);
    assert.ok(progress !== undefined, `no progress for ${id}`);
    return progress;
  }

  /** The leader's own configuration change: no proposal checks, the callers made theirs. */
  private appendConfigurationChange(configuration: Configuration): void {
    assert.ok(configuration.inSync.includes(this.id), 'the leader stays in the in-sync set');
    this.appendAsLeader([{ kind: 'configuration', data: encodeConfiguration(configuration) }]);
  }

  private afterMatchMoved(peer: NodeId, progress: Progress): void {
    this.maybeCommit();
    if (this.leadTransferee === peer && progress.matchIndex === this.log.lastIndex())
      this.sendTimeoutNow(peer);
  }

  // ---------------------------------------------------------------------------------------------
  // Witness mode: the leader's side of the witness (see witness-mode.ts).

  /** Every node the leader replicates to; in witness mode, never the witness. */
  private replicationTargets(configuration: Configuration): NodeId[] {
    return replicationPeers(configuration, this.id).filter((peer) => peer !== this.witnessNodeId);
  }

  /** An append without entries, carrying the commit index the witness keeps as acknowledged. */
  private sendWitnessHeartbeat(): void {
    if (this.witnessNodeId === null) return;
    this.send<AppendEntriesMessage>(this.witnessNodeId, {
      type: 'append_entries',
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      leaderCommit: this.log.commitIndex,
    });
  }

  private sendWitnessRecord(inSync: NodeId[], configurationIndex: number): void {
    assert.ok(this.witnessNodeId !== null, 'only witness mode records with a witness');
    // The witness takes a record's acknowledged index only up to the commit index this leader
    // announced in a heartbeat of its term (see witness-core.ts), so a heartbeat goes first,
    // unless this Ready already carries one with the same commit index.
    const commitIndex = this.log.commitIndex;
    const announced = this.outbox.some(
      (message) =>
        message.to === this.witnessNodeId &&
        message.type === 'append_entries' &&
        message.leaderCommit === commitIndex,
    );
    if (!announced) this.sendWitnessHeartbeat();
    this.send<WitnessRecordMessage>(this.witnessNodeId, {
      type: 'witness_record',
      inSync: [...inSync],
      acknowledgedIndex: this.log.commitIndex,
      configurationIndex,
    });
  }

  /**
   * Keeps the witness's record in step with the leader's in-sync set: sends the set when the witness
   * has not confirmed it (after winning, and after an addition), and repeats an unanswered record
   * every heartbeat interval.
   */
  private syncWitness(): void {
    const link = this.witnessLink;
    if (link === null || this.role !== 'leader') return;
    const pending = link.pending;
    if (pending !== null) {
      if (this.elapsedTicks - pending.sentAtTick >= this.heartbeatIntervalTicks) {
        pending.sentAtTick = this.elapsedTicks;
        this.sendWitnessRecord(pending.inSync, pending.configurationIndex);
      }
      return;
    }
    const { inSync } = this.configuration;
    // A leader outside its own set adds itself first (managePair); the witness hears of it then.
    if (!inSync.includes(this.id) || link.confirmed(inSync)) return;
    // A configuration taken from the snapshot has no entry of its own: the snapshot index stands in.
    const configurationIndex = link.nextRecordIndex(
      Math.max(this.log.lastConfigurationIndex(), this.log.snapshotIndex),
    );
    link.request(inSync, configurationIndex, false, this.elapsedTicks);
    this.sendWitnessRecord(inSync, configurationIndex);
  }

  /** Asks the witness to record a smaller in-sync set; the entry is appended on its success. */
  private recordRemovalWithWitness(next: Configuration): void {
    const link = this.witnessLink;
    assert.ok(link !== null, 'only witness mode records removals with a witness');
    // While a record is unanswered the witness may hold it or the confirmed one: only a confirmed
    // set with nothing pending is certain (found by the randomized test, seed 276).
    if (link.pending === null && link.confirmed(next.inSync)) {
      this.appendConfigurationChange(next);
      return;
    }
    // A removal supersedes a record of the current set that is still unanswered.
    link.pending = null;
    // The entry will be appended after every index in the log now.
    const configurationIndex = link.nextRecordIndex(this.log.lastIndex() + 1);
    this.trace(`asks the witness to record in-sync set (${next.inSync.join(',')}) first`);
    link.request(next.inSync, configurationIndex, true, this.elapsedTicks);
    this.sendWitnessRecord(next.inSync, configurationIndex);
  }

  private handleWitnessHeartbeatResponse(): void {
    if (this.role === 'leader' && this.witnessLink !== null)
      this.witnessLink.lastResponseTick = this.elapsedTicks;
  }

  private handleWitnessRecordResponse(message: WitnessRecordResponseMessage): void {
    const link = this.witnessLink;
    if (link === null || this.role !== 'leader' || message.from !== this.witnessNodeId) return;
    const answered = link.answered(message.success, message.configurationIndex, this.elapsedTicks);
    if (answered === null) {
      if (!message.success) this.trace(`the witness refused the record at ${message.configurationIndex}`);
      return;
    }
    if (!answered.removal || sameMembers(answered.inSync, this.configuration.inSync)) return;
    // The smaller set is durable on the witness: only now may the leader commit without the member.
    this.trace(`the witness recorded in-sync set (${answered.inSync.join(',')}); appending it`);
    this.appendConfigurationChange({ voters: [...this.configuration.voters], inSync: [...answered.inSync] });
  }

  /**
   * Witness mode's check-quorum: a leader that has heard from neither the other data node nor the
   * witness for the failover timeout steps down (the driver then refuses writes and reads), so that
   * it stops serving before the other two could elect a new leader without it. Returns whether it
   * stepped down.
   */
  private witnessQuorumLost(): boolean {
    const link = this.witnessLink;
    if (link === null || this.role !== 'leader') return false;
    let lastHeardTick = link.lastResponseTick;
    for (const progress of this.progress.values())
      lastHeardTick = Math.max(lastHeardTick, progress.lastResponseTick);
    const silentTicks = this.elapsedTicks - lastHeardTick;
    if (silentTicks < this.electionTimeoutTicks) return false;
    this.trace(`heard from no other voter for ${silentTicks} ticks; stepping down at term ${this.term}`);
    this.becomeFollower(this.term, null);
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Pair mode: merging after a split brain (see merge.ts).

  /** A leader's log contradicts our committed log: both nodes led alone. */
  private startMerge(leader: NodeId): void {
    if (this.mode !== 'pair' || this.priorityNodeId === null) return;
    if (this.id === this.priorityNodeId) {
      // The main's history stands whatever the backup did alone, so the main does not wait for a
      // vote (a one-way loss could withhold it while the backup serves a history without the
      // main's solo entries): it takes the next term it owns and leads at once. Nobody else can
      // lead that term: the backup wins only terms it owns, or with the main's vote.
      this.highestKnownCommitIndex = this.log.commitIndex;
      this.term = this.nextCampaignTerm();
      this.votedFor = this.id;
      this.role = 'candidate';
      this.leaderId = null;
      this.resetRoleState();
      this.trace(
        `takes leadership at term ${this.term} to end the split brain with ${leader}; its solo entries will be merged`,
      );
      this.becomeLeader();
      return;
    }
    if (leader !== this.priorityNodeId) return;
    const stretchStartIndex = this.soloStretchStartIndex();
    this.mergeSource = new MergeSource(leader, stretchStartIndex, this.log.commitIndex);
    this.trace(`offers ${leader} its solo entries ${stretchStartIndex}..${this.log.commitIndex} for merging`);
    this.maybeOfferMerge();
  }

  /**
   * The first index the peer may lack: just after the latest configuration entry that still had
   * the peer in the in-sync set. That entry committed with the peer's acknowledgement, so the peer
   * holds everything up to it; after it, this node may have committed entries alone, including
   * entries appended before the configuration entry that removed the peer (they commit with it).
   * When no such entry is left in the log, the snapshot (or the initial configuration) tells
   * whether the stretch began before the snapshot: then it starts at 1 and offers are incomplete.
   * The stretch may hold entries the peer has too; the main skips those (same index and term).
   */
  private soloStretchStartIndex(): number {
    const peer = this.configuration.voters.find((id) => id !== this.id);
    assert.ok(peer !== undefined, 'a solo stretch is measured against the peer');
    const index = this.log.lastConfigurationIndexWithInSync(peer);
    if (index !== null) return index + 1;
    const before = this.log.snapshot()?.configuration ?? this.baseConfiguration;
    return before.inSync.includes(peer) ? this.log.firstIndex() : 1;
  }

  /** On a backup with a stretch to merge: offer the next batch when one is due. */
  private maybeOfferMerge(): void {
    const source = this.mergeSource;
    if (source === null || this.discardHistoryDue) return;
    if (!this.isDivergedFrom(source.leaderId) && this.leaderId !== source.leaderId) return;
    if (source.complete) {
      this.trace(`the main merged every solo entry through ${source.throughIndex}; discarding its history`);
      this.discardHistoryDue = true;
      return;
    }
    if (!source.offerDue(this.elapsedTicks, this.heartbeatIntervalTicks)) return;
    const range = source.nextRange(this.log.firstIndex());
    if (range === null) return;
    if (range.firstIndex > source.throughIndex) {
      this.trace(
        `cannot offer entries ${source.mergedThroughIndex + 1}..${source.throughIndex}: compacted into the snapshot`,
      );
      source.answered(source.throughIndex);
      this.discardHistoryDue = true;
      return;
    }
    // Only entries the driver has applied are offered. The driver describes each one with its
    // state machine's answer (describeMergedEntry), and an entry committed but not applied yet has
    // no answer: the main would then take it as granted, although this node may still refuse it
    // when it applies it and tell the client so (a usage report over its quota counted on the main
    // while the workstation was told it was refused). The rest is offered on a later tick.
    const lastAppliedIndex = Math.min(source.throughIndex, this.log.appliedIndex);
    if (range.firstIndex > lastAppliedIndex) return;
    const logEntries = offerEntries((index) => this.log.entry(index), range.firstIndex, lastAppliedIndex);
    const describe = this.describeMergedEntry;
    const entries =
      describe === null
        ? logEntries
        : logEntries.map((entry) => (entry.kind === 'normal' ? { ...entry, data: describe(entry) } : entry));
    const last = entries.at(-1);
    assert.ok(last !== undefined, 'an offer holds at least one entry');
    source.offered(this.elapsedTicks);
    this.send<MergeOfferMessage>(source.leaderId, {
      type: 'merge_offer',
      stretchStartIndex: source.stretchStartIndex,
      entries,
      firstIndex: range.firstIndex,
      throughIndex: last.index,
      incomplete: range.incomplete,
    });
  }

  private handleMergeOffer(message: MergeOfferMessage): void {
    if (this.mode !== 'pair' || this.role !== 'leader' || this.id !== this.priorityNodeId) {
      // Only the main merges, and only while it leads; the backup offers again later.
      this.send<MergeOfferResponseMessage>(message.from, {
        type: 'merge_offer_response',
        stretchStartIndex: message.stretchStartIndex,
        mergedThroughIndex: 0,
      });
      return;
    }
    if (this.configuration.inSync.includes(message.from)) {
      // A backup in the in-sync set acknowledged every entry this node committed since it was
      // added back, and a diverged one is never added back before it discarded its history: it has
      // no solo entries to offer. Merging anyway would apply whatever the offer says.
      this.refuse(
        'merge_offer',
        `refused merge_offer from ${message.from} at term ${message.term}: ${message.from} is in the in-sync set`,
      );
      this.send<MergeOfferResponseMessage>(message.from, {
        type: 'merge_offer_response',
        stretchStartIndex: message.stretchStartIndex,
        mergedThroughIndex: 0,
      });
      return;
    }
    const { offer, mergedThroughIndex } = this.mergeSink.received(
      message,
      (entry) => this.log.term(entry.index) === entry.term,
    );
    if (offer !== null) {
      this.pendingMergeOffers.push(offer);
      this.trace(
        `received ${message.from}'s solo entries ${message.firstIndex}..${message.throughIndex} to merge${message.incomplete ? ' (some were compacted away)' : ''}`,
      );
    }
    this.send<MergeOfferResponseMessage>(message.from, {
      type: 'merge_offer_response',
      stretchStartIndex: message.stretchStartIndex,
      mergedThroughIndex,
    });
  }

  private handleMergeOfferResponse(message: MergeOfferResponseMessage): void {
    const source = this.mergeSource;
    if (source === null || message.from !== source.leaderId) return;
    if (message.stretchStartIndex !== source.stretchStartIndex) return;
    if (source.answered(message.mergedThroughIndex)) {
      this.trace(`the main ${message.from} merged our solo entries through ${source.mergedThroughIndex}`);
    }
    this.maybeOfferMerge();
  }

  /** The whole stretch is merged on the main: start over as an empty node that follows it. */
  private discardHistory(): void {
    assert.ok(this.mergeSource?.complete === true, 'history is discarded only after a complete merge');
    assert.notEqual(this.role, 'leader', 'a leader never discards its history');
    this.trace(`discarded its log up to ${this.log.lastIndex()} to catch up from the main`);
    this.log = new RaftLog(null, [], 0, 0);
    this.refreshConfiguration();
    this.divergence = null;
    this.mergeSource = null;
    this.discardHistoryDue = false;
    this.highestKnownCommitIndex = 0;
    this.mergesCompletedCount += 1;
  }

  /** See RaftStatus.mergeRetentionIndex. */
  private mergeRetentionIndex(): number | null {
    if (this.mode !== 'pair' || this.priorityNodeId === null) return null;
    if (this.mergeSource !== null) return this.mergeSource.mergedThroughIndex + 1;
    // Either side may be asked to compare its log with the other's after a split brain: the backup
    // offers its stretch, and the main checks offered entries against its own (and a follower
    // checks appends against its committed entries), so neither compacts past the last point both
    // are known to share while its peer is out of its in-sync set.
    const peer = this.configuration.voters.find((id) => id !== this.id);
    if (peer === undefined || this.configuration.inSync.includes(peer)) return null;
    return this.soloStretchStartIndex();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  private send<M extends Message>(to: NodeId, body: MessageBody<M>): void {
    const message = { ...body, from: this.id, to, term: body.term ?? this.term } as Message;
    if (this.outbox.length >= this.limits.maxOutboxMessages) {
      // Raft tolerates lost messages; an unbounded outbox would not be tolerated by the process.
      this.droppedMessageCount += 1;
      return;
    }
    this.outbox.push(message);
  }

  private hardState(): HardState {
    return { term: this.term, votedFor: this.votedFor, commitIndex: this.log.commitIndex };
  }

  private hardStateChanged(): boolean {
    const persisted = this.persistedHardState;
    return (
      persisted.term !== this.term ||
      persisted.votedFor !== this.votedFor ||
      persisted.commitIndex !== this.log.commitIndex
    );
  }

  private softStateChanged(): boolean {
    return this.handedOutSoftState.role !== this.role || this.handedOutSoftState.leaderId !== this.leaderId;
  }

  private trace(line: string): void {
    this.traceSink?.(`${this.id} ${line}`);
  }

  private checkInvariants(): void {
    this.log.assertIndices();
    assert.ok(this.log.lastTerm() <= this.term, `log term ${this.log.lastTerm()} beyond term ${this.term}`);
    assert.ok(this.persistedHardState.term <= this.term, 'the term never goes back');
    assert.ok(this.outbox.length <= this.limits.maxOutboxMessages, 'the outbox is bounded');
    assert.ok(this.votes.size <= this.configuration.voters.length + 1, 'votes are bounded by the voters');
    switch (this.role) {
      case 'leader': {
        assert.equal(this.leaderId, this.id, 'a leader knows it leads');
        assert.equal(this.votedFor, this.id, 'a leader voted for itself in its term');
        const lastIndex = this.log.lastIndex();
        for (const [peer, progress] of this.progress) {
          assert.ok(progress.matchIndex <= lastIndex, `${peer} matches beyond the leader's log`);
          assert.ok(progress.nextIndex <= lastIndex + 1, `${peer} next index beyond the leader's log`);
          assert.ok(progress.nextIndex > progress.matchIndex, `${peer} next index at or below its match`);
        }
        break;
      }
      case 'candidate':
        assert.equal(this.votedFor, this.id, 'a candidate voted for itself');
        assert.equal(this.leaderId, null, 'a candidate knows no leader');
        assert.equal(this.progress.size, 0, 'only the leader tracks progress');
        break;
      case 'pre_candidate':
        assert.equal(this.leaderId, null, 'a pre-candidate knows no leader');
        assert.equal(this.progress.size, 0, 'only the leader tracks progress');
        break;
      case 'follower':
        assert.equal(this.progress.size, 0, 'only the leader tracks progress');
        assert.notEqual(this.leaderId, this.id, 'a follower does not lead');
        break;
    }
  }
}

/** What the witness may send a data node: answers only (it never leads, replicates or campaigns). */
const WITNESS_ANSWERS: ReadonlySet<Message['type']> = new Set([
  'request_vote_response',
  'append_entries_response',
  'witness_record_response',
]);

/**
 * Why a message breaks the form every message of its type has (whatever the receiver's state), or
 * null. The server refuses all of this on the wire already; the core does not rely on it.
 */
function malformedReason(message: Message): string | null {
  const index = (value: number, name: string) =>
    isBoundedCount(value, MAX_INDEX) ? null : `${name} ${value} is not an integer in 0..${MAX_INDEX}`;
  const term = (value: number, name: string) =>
    isBoundedCount(value, message.term) ? null : `${name} ${value} is not an integer in 0..${message.term}`;
  switch (message.type) {
    case 'append_entries':
      return (
        index(message.prevLogIndex, 'prevLogIndex') ??
        term(message.prevLogTerm, 'prevLogTerm') ??
        index(message.leaderCommit, 'leaderCommit') ??
        entriesProblem(message.entries, message.prevLogIndex, message.prevLogTerm, message.term)
      );
    case 'install_snapshot': {
      const { metadata } = message.snapshot;
      if (!(message.snapshot.data instanceof Uint8Array)) return 'snapshot data is not bytes';
      if (metadata.index < 1) return 'a snapshot covers at least one entry';
      if (metadata.term < 1) return 'a snapshot has a term';
      return (
        index(metadata.index, 'snapshot index') ??
        term(metadata.term, 'snapshot term') ??
        configurationProblem(metadata.configuration)
      );
    }
    case 'request_vote':
      return index(message.lastLogIndex, 'lastLogIndex') ?? term(message.lastLogTerm, 'lastLogTerm');
    case 'merge_offer': {
      const { stretchStartIndex, firstIndex, throughIndex, entries } = message;
      const bounds =
        index(stretchStartIndex, 'stretchStartIndex') ??
        index(firstIndex, 'firstIndex') ??
        index(throughIndex, 'throughIndex');
      if (bounds !== null) return bounds;
      if (!(stretchStartIndex >= 1 && firstIndex >= stretchStartIndex && throughIndex >= firstIndex)) {
        return `offer ${firstIndex}..${throughIndex} of a stretch from ${stretchStartIndex} is out of order`;
      }
      if (entries.length !== throughIndex - firstIndex + 1) {
        return `offer ${firstIndex}..${throughIndex} holds ${entries.length} entries`;
      }
      return entriesProblem(entries, firstIndex - 1, 0, message.term);
    }
    case 'append_entries_response':
      return (
        index(message.matchIndex, 'matchIndex') ??
        index(message.conflictIndex, 'conflictIndex') ??
        index(message.conflictTerm, 'conflictTerm')
      );
    case 'install_snapshot_response':
      return index(message.matchIndex, 'matchIndex');
    case 'merge_offer_response':
      return (
        index(message.stretchStartIndex, 'stretchStartIndex') ??
        index(message.mergedThroughIndex, 'mergedThroughIndex')
      );
    case 'witness_record_response':
      return index(message.configurationIndex, 'configurationIndex');
    default:
      return null;
  }
}

/** Entries follow afterIndex one by one, with terms from afterTerm up to the sender's term. */
function entriesProblem(
  entries: Entry[],
  afterIndex: number,
  afterTerm: number,
  maxTerm: number,
): string | null {
  if (!Array.isArray(entries)) return 'entries is not a list';
  let previous = { index: afterIndex, term: afterTerm };
  for (const entry of entries) {
    if (entry.index !== previous.index + 1) return `entry ${entry.index} does not follow ${previous.index}`;
    if (
      !(Number.isSafeInteger(entry.term) && entry.term >= Math.max(1, previous.term) && entry.term <= maxTerm)
    ) {
      return `entry ${entry.index} has term ${entry.term}, outside ${Math.max(1, previous.term)}..${maxTerm}`;
    }
    if (entry.kind !== 'normal' && entry.kind !== 'noop' && entry.kind !== 'configuration') {
      return `entry ${entry.index} has kind ${String(entry.kind)}`;
    }
    if (!(entry.data instanceof Uint8Array)) return `entry ${entry.index} data is not bytes`;
    if (entry.kind === 'configuration') {
      let problem: string | null = null;
      try {
        decodeConfiguration(entry.data);
      } catch (error) {
        problem = `entry ${entry.index} is not a valid configuration (${(error as Error).message})`;
      }
      if (problem !== null) return problem;
    }
    previous = entry;
  }
  return null;
}

function configurationProblem(configuration: Configuration): string | null {
  try {
    validateConfiguration(configuration);
    return null;
  } catch (error) {
    return `the configuration is not valid (${(error as Error).message})`;
  }
}

function assertPositiveInteger(value: number, name: string): void {
  assert.ok(Number.isSafeInteger(value) && value >= 1, `${name} must be a positive integer, not ${value}`);
}

function voteName(preVote: boolean): string {
  return preVote ? 'pre-vote' : 'vote';
}

export function describeConfiguration(configuration: Configuration): string {
  return `voters=(${configuration.voters.join(',')}) in-sync=(${configuration.inSync.join(',')})`;
}
