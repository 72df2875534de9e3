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
// This file holds the node itself: its inputs, its roles and terms, the Ready and its status. The
// work of each part is in the file named after it: campaigns and votes (election.ts), both sides of
// replication (replication.ts), the leader's work (leader.ts), the screening of peer messages
// (screening.ts). What pair and witness modes add, the node consults the same way: the election
// rules (pair-mode.ts), the in-sync set the leader keeps (in-sync.ts), the hand-back to the main
// (hand-back.ts), the leader's side of the witness (witness-mode.ts), and the merge after a split
// brain (merge.ts).
import assert from 'node:assert/strict';
import { configurationsEqual, copyConfiguration, validateConfiguration } from './configuration.js';
import { Election, type ElectionHost } from './election.js';
import { HandBack } from './hand-back.js';
import { type LeaderHost, Leadership } from './leader.js';
import { type MergeHost, SplitBrainMerge } from './merge.js';
import { PairElectionRules } from './pair-mode.js';
import { checkInitialConfiguration, type Limits, nodeSettings } from './raft-config.js';
import { RaftLog } from './raft-log.js';
import { ReadyTracker } from './ready.js';
import { Replication, type ReplicationHost } from './replication.js';
import { type Receiver, screen } from './screening.js';
import { FarTermGate } from './term-bounds.js';
import type {
  AppendEntriesResponseMessage,
  Configuration,
  Entry,
  HardState,
  InitialState,
  InstallSnapshotResponseMessage,
  MergeOffer,
  Message,
  MessageBody,
  NodeId,
  ProgressStatus,
  ProposalPosition,
  RaftConfig,
  RaftStatus,
  Ready,
  ReplicationMode,
  RequestVoteResponseMessage,
  Role,
  SnapshotMetadata,
  SoftState,
  TimeoutNowMessage,
} from './types.js';
import { WitnessLeader, type WitnessLeaderHost } from './witness-mode.js';

/** What the driver reports about a snapshot it streamed to a follower. */
export type SnapshotReport = 'finished' | 'failed';

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
  /** Pair and witness modes (see managesInSyncSet in in-sync.ts). */
  private readonly managesInSyncSet: boolean;
  /** Pair mode: the main; null when none is configured (and always in majority mode). */
  private readonly priorityNodeId: NodeId | null;
  /** Witness mode: the witness, a voter that never leads and never gets entries; null otherwise. */
  private readonly witnessNodeId: NodeId | null;
  /** Pair and witness modes: the election rules this node consults; null in majority mode. */
  private readonly pairRules: PairElectionRules | null;
  /** When a backup that leads hands leadership back to the main. */
  private readonly handBack: HandBack;
  /** Witness mode: the leader's side of the witness (used only while this node leads). */
  private readonly witness: WitnessLeader | null;
  /** Pair mode: ending a split brain (both sides of it; idle in other modes). */
  private readonly merge: SplitBrainMerge;
  /** Both sides of log replication; the leader's progress per follower. */
  private readonly replication: Replication;
  /** Campaigns and votes. */
  private readonly election: Election;
  /** The leader's work. */
  private readonly leadership: Leadership;

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

  /** Followers and candidates: ticks into the current election timeout (the leader's: leader.ts). */
  private electionElapsedTicks = 0;
  private randomizedElectionTimeoutTicks = 0;

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

  /** Where refusals of peer messages go (the driver rate-limits them); null: the trace. */
  private readonly refusalSink: ((kind: string, line: string) => void) | null;
  /** Which terms more than MAX_TERM_JUMP ahead of ours this node takes (see term-bounds.ts). */
  private readonly farTerms: FarTermGate;
  /** Set by leave(): this node's answers to appends ask the leader to drop it from the in-sync set. */
  private leavingRequested = false;
  /** Pair and witness modes: when this node last campaigned on a timeout_now. */
  private lastTimeoutNowTick: number | null = null;

  private outbox: Message[] = [];
  private droppedMessageCount = 0;
  /** What this node handed its driver in Readies. */
  private readonly readies: ReadyTracker;

  constructor(config: RaftConfig, initial: InitialState) {
    const settings = nodeSettings(config);
    this.id = settings.id;
    this.electionTimeoutTicks = settings.electionTimeoutTicks;
    this.heartbeatIntervalTicks = settings.heartbeatIntervalTicks;
    this.randomInt = settings.randomInt;
    this.mode = settings.mode;
    this.managesInSyncSet = settings.managesInSyncSet;
    this.preVote = settings.preVote;
    this.checkQuorum = settings.checkQuorum;
    this.priorityNodeId = settings.priorityNodeId;
    this.witnessNodeId = settings.witnessNodeId;
    this.limits = settings.limits;
    this.traceSink = config.trace ?? null;
    this.refusalSink = config.refusal ?? null;
    this.farTerms = new FarTermGate('node', settings.electionTimeoutTicks, (line) => this.trace(line));
    this.pairRules = this.managesInSyncSet
      ? new PairElectionRules({
          id: this.id,
          silenceIsConsent: this.mode === 'pair',
          priorityNodeId: this.priorityNodeId,
          failoverTimeoutTicks: this.electionTimeoutTicks,
          voteWaitTicks: settings.pairVoteWaitTicks,
          startupGraceTicks: settings.startupGraceTicks,
          trace: (line) => this.trace(line),
          refuse: (kind, line) => this.refuse(kind, line),
        })
      : null;
    this.handBack = new HandBack(
      this.id,
      this.priorityNodeId,
      this.electionTimeoutTicks,
      this.heartbeatIntervalTicks,
      (line) => this.trace(line),
    );
    checkInitialConfiguration(settings, initial);
    this.baseConfiguration = copyConfiguration(initial.configuration);
    const host = this.moduleHost(config);
    this.witness = this.witnessNodeId === null ? null : new WitnessLeader(this.witnessNodeId, host);
    this.merge = new SplitBrainMerge(host);
    this.election = new Election(host);
    this.replication = new Replication(
      host,
      this.mode === 'pair' && this.pairRules !== null ? { rules: this.pairRules, merge: this.merge } : null,
    );
    this.leadership = new Leadership(host, {
      replication: this.replication,
      handBack: this.handBack,
      merge: this.merge,
      witness: this.witness,
    });
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
    this.readies = new ReadyTracker(initial.hardState);
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
    this.merge.tick();
    if (this.role === 'leader') {
      this.noteLeaderContact();
      this.leadership.tick();
    } else {
      this.handBack.forgetIfHeld(
        { term: this.term, leaderId: this.leaderId, ticksSinceLeaderContact: this.ticksSinceLeaderContact() },
        this.elapsedTicks,
      );
      if (!this.election.proceedOnSilence()) {
        this.electionElapsedTicks += 1;
        if (this.electionElapsedTicks >= this.randomizedElectionTimeoutTicks) {
          this.electionElapsedTicks = 0;
          this.election.start('campaign');
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
    this.election.start('campaign');
    this.checkInvariants();
  }

  /**
   * Appends a batch of ledger commands as consecutive entries (one call, so the driver can group
   * commit). The entries commit once durable on every in-sync member; watch committedEntries.
   */
  propose(kind: 'normal', data: Uint8Array[]): ProposalPosition {
    const position = this.leadership.propose(kind, data);
    this.checkInvariants();
    return position;
  }

  /**
   * Pair mode, on the main: proposes a backup's offered solo entries as one entry whose data the
   * driver built (a ledger merge command). The backup learns it is merged once the entry commits.
   */
  proposeMerge(offer: MergeOffer, data: Uint8Array[]): ProposalPosition {
    const position = this.leadership.proposeMerge(offer, data);
    this.checkInvariants();
    return position;
  }

  /** Pair mode, on the main: the driver could not turn an offer into a merge entry. */
  dropMergeOffer(offer: MergeOffer): void {
    this.merge.offerDropped(offer);
  }

  /**
   * Appends a configuration entry; it takes effect on every node as soon as that node appends it.
   * Only one configuration entry may be uncommitted at a time. The leader must stay a voter and
   * in-sync member.
   */
  proposeConfiguration(configuration: Configuration): ProposalPosition {
    const position = this.leadership.proposeConfiguration(configuration);
    this.checkInvariants();
    return position;
  }

  /**
   * Pair and witness modes: this node is about to stop (a SIGTERM). From now on its answers to
   * appends say so, and the leader drops it from the in-sync set at once (in witness mode after the
   * witness recorded it), so that the leader goes on alone without first waiting out a failover
   * timeout of silence. The driver stops the node once its configuration no longer lists it in
   * sync. A leader hands leadership over first (transferLeadership); it cannot leave while it leads.
   */
  leave(): void {
    if (!this.leavingRequested) this.trace('is leaving: it asks the leader to drop it from the in-sync set');
    this.leavingRequested = true;
  }

  /**
   * Campaigning on a timeout_now: the leader handed leadership to this node, which will lead within
   * a round of votes unless something goes wrong. The server holds client requests meanwhile
   * instead of refusing them.
   */
  get takingOver(): boolean {
    return (this.role === 'pre_candidate' || this.role === 'candidate') && this.election.transferring;
  }

  /** On a leader, the voter it is handing leadership to (proposals are refused meanwhile), or null. */
  get leadTransferee(): NodeId | null {
    return this.role === 'leader' ? this.leadership.transferee : null;
  }

  /**
   * The voter this node told to campaign (timeout_now) within the last election timeout, or null:
   * after it stepped down for that transfer, the likeliest leader until the new one makes itself known.
   */
  get recentTransferTarget(): NodeId | null {
    return this.leadership.recentTransferTarget();
  }

  /**
   * Pair and witness modes: drains a data node (it stops leading when another data node can, and
   * is not handed leadership back) or undrains it, by a configuration entry, so that every node
   * knows it and it outlives restarts. Draining the leader itself hands leadership off once the
   * entry commits (hand-back.ts). Returns where the entry landed, or null when nothing changed.
   * Throws NotLeaderError, ConfigurationChangePendingError, or DrainRefusedError when no other data
   * node could lead (see Leadership.setDrained).
   */
  setDrained(node: NodeId, drained: boolean): ProposalPosition | null {
    const position = this.leadership.setDrained(node, drained);
    this.checkInvariants();
    return position;
  }

  /**
   * Hands leadership to a voter: proposals are refused meanwhile; once the transferee holds the
   * whole log it gets timeout_now and campaigns at once. Abandoned after an election timeout.
   */
  transferLeadership(transferee: NodeId): void {
    this.leadership.transfer(transferee);
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
    const refusal = screen(message, this.asReceiver());
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
        this.election.voteRequested(message);
        break;
      case 'request_vote_response':
        this.election.voteAnswered(message);
        break;
      case 'append_entries':
        this.followLeader(message.from);
        this.replication.appendReceived(message);
        break;
      case 'install_snapshot':
        this.followLeader(message.from);
        this.replication.snapshotReceived(message);
        break;
      case 'timeout_now':
        this.handleTimeoutNow(message);
        break;
      case 'append_entries_response':
        if (message.from !== this.witnessNodeId) this.leadership.appendAnswered(message);
        else if (this.role === 'leader') this.witness?.heartbeatAnswered();
        break;
      case 'witness_record_response':
        if (this.role === 'leader' && message.from === this.witnessNodeId)
          this.witness?.recordAnswered(message);
        break;
      case 'witness_record':
        // Refused by screen(): a data node keeps no witness records.
        break;
      case 'install_snapshot_response':
        this.leadership.snapshotAnswered(message);
        break;
      case 'merge_offer':
        this.merge.offerReceived(message);
        break;
      case 'merge_offer_response':
        this.merge.offerAnswered(message);
        break;
      default:
        assert.fail(`unknown message type ${(message as { type: string }).type}`);
    }
    this.checkInvariants();
  }

  /** The driver finished (or failed) streaming a snapshot to a follower. */
  reportSnapshot(to: NodeId, report: SnapshotReport): void {
    if (this.role !== 'leader') return;
    this.replication.snapshotReported(to, report === 'finished');
    this.checkInvariants();
  }

  /**
   * The driver could not deliver this node's vote request (of this term; preVote: a pre-vote
   * request) to a voter because its port refused the connection: nothing listens there, so no answer
   * will come. Pair mode goes on without waiting for it (Election.refused). A refusal is the
   * transport's report of one connection attempt, never a message from the voter.
   */
  voteRequestRefused(voter: NodeId, request: { term: number; preVote: boolean }): void {
    this.election.refused(voter, request.term, request.preVote);
    this.checkInvariants();
  }

  /** The driver could not reach a follower: stop pipelining to it and probe again. */
  reportUnreachable(to: NodeId): void {
    if (this.role !== 'leader') return;
    this.replication.unreachable(to);
    this.checkInvariants();
  }

  // ---------------------------------------------------------------------------------------------
  // Ready and advance.

  /** Whether ready() has work; always false while a Ready is handed out and not yet advanced. */
  hasReady(): boolean {
    if (this.readies.isOutstanding) return false;
    return (
      this.leadership.commitToBroadcast ||
      this.readies.softStateChanged(this.role, this.leaderId) ||
      this.readies.pendingRoleChanges > 0 ||
      this.readies.hardStateChanged(this.hardState()) ||
      this.log.unstableSnapshot() !== null ||
      this.log.hasUnstableEntries() ||
      this.outbox.length > 0 ||
      this.log.hasNextCommittedEntries() ||
      this.merge.hasReadyWork
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
    assert.ok(!this.readies.isOutstanding, 'advance() the outstanding Ready before asking for another');
    const discardHistory = this.merge.discardHistoryDue;
    if (discardHistory) this.discardHistory();
    this.leadership.broadcastCommitIfDue();
    const softState: SoftState | null = this.readies.softStateChanged(this.role, this.leaderId)
      ? { role: this.role, leaderId: this.leaderId }
      : null;
    const contents: Omit<Ready, 'mustSync'> = {
      softState,
      roleChanges: this.readies.takeRoleChanges(),
      hardState: this.readies.hardStateChanged(this.hardState()) || discardHistory ? this.hardState() : null,
      snapshot: this.log.unstableSnapshot(),
      entries: this.log.unstableEntries(),
      messages: this.outbox,
      committedEntries: this.log.nextCommittedEntries(this.limits.maxCommittedEntriesPerReady),
      mergeOffers: this.merge.takeOffers(),
      discardHistory,
    };
    const ready: Ready = { ...contents, mustSync: this.readies.mustSync(contents, this.committingAlone) };
    this.outbox = [];
    this.readies.handOut(ready);
    return ready;
  }

  /** The driver has carried out the Ready: its state is durable, sent and applied. */
  advance(ready: Ready): void {
    this.readies.advanced(ready);
    if (ready.snapshot !== null) {
      this.log.snapshotStable(ready.snapshot);
      this.log.appliedTo(Math.max(this.log.appliedIndex, ready.snapshot.metadata.index));
    }
    this.log.stableTo(ready.entries);
    const lastCommitted = ready.committedEntries.at(-1);
    if (lastCommitted !== undefined) this.log.appliedTo(lastCommitted.index);
    // The leader's own entries count towards the commit rule only now.
    if (this.role === 'leader') this.leadership.commit();
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
      Object.assign(progress, this.replication.status(this.configuration.inSync));
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
      leadTransferee: this.leadership.transferee,
      progress,
      mode: this.mode,
      priorityNodeId: this.priorityNodeId,
      inSync: this.configuration.inSync.includes(this.id),
      ticksSinceLeaderContact: this.ticksSinceLeaderContact(),
      leaderlessTicksBeforeElection: this.leaderlessTicksBeforeElection,
      startupGraceRemainingTicks: this.startupGraceRemainingTicks(),
      divergence: this.merge.divergenceStatus(),
      mergeRetentionIndex: this.merge.retentionIndex(),
      mergesCompleted: this.merge.mergesCompleted,
      witness: this.role === 'leader' && this.witness !== null ? this.witness.status() : null,
    };
  }

  private startupGraceRemainingTicks(): number {
    return this.pairRules?.startupGraceRemainingTicks(this.heardFromPeerSinceStart, this.elapsedTicks) ?? 0;
  }

  /**
   * Whether this node's latest in-sync set is itself alone while it has a peer (pair mode serving
   * alone): then no other node knows its commit index, and a driver that acknowledges clients must
   * make the commit index durable first (Ready.mustSync says so), or a crash would forget which
   * entries it committed. Not a cluster of one: it commits its whole log again once it leads after
   * a restart.
   */
  get committingAlone(): boolean {
    const { inSync } = this.configuration;
    return inSync.length === 1 && inSync[0] === this.id && this.configuration.voters.length > 1;
  }

  /** Role changes dropped from Readies past MAX_ROLE_CHANGES_PER_READY (see Ready.roleChanges). */
  get droppedRoleChanges(): number {
    return this.readies.droppedRoleChanges;
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
    this.noteRole();
    this.trace(`became follower at term ${this.term}${leader === null ? '' : ` of leader ${leader}`}`);
  }

  /** A campaign (election.ts) begins with a pre-vote: the term does not move yet. */
  private becomePreCandidate(): void {
    this.leaderlessTicksBeforeElection = null;
    this.role = 'pre_candidate';
    this.leaderId = null;
    this.resetRoleState();
    this.noteRole();
  }

  /** A campaign (election.ts) takes its term, with this node's own vote. */
  private becomeCandidate(term: number): void {
    this.leaderlessTicksBeforeElection = null;
    this.term = term;
    this.votedFor = this.id;
    this.role = 'candidate';
    this.leaderId = null;
    this.resetRoleState();
    this.noteRole();
  }

  private becomeLeader(): void {
    assert.equal(this.role, 'candidate', 'only a candidate becomes leader');
    assert.equal(this.votedFor, this.id, 'a leader voted for itself');
    this.leaderlessTicksBeforeElection = this.ticksSinceLeaderContact();
    const byTransfer = this.election.transferring;
    this.role = 'leader';
    this.recordLeader(this.id);
    this.noteLeaderContact();
    this.resetRoleState();
    this.leadership.won(byTransfer);
  }

  private resetRoleState(): void {
    this.election.reset();
    this.leadership.reset();
    this.electionElapsedTicks = 0;
    this.pairRules?.resetCandidacy();
    this.merge.roleChanged();
    if (this.pairRules !== null) {
      // Deterministic: the main campaigns first on a cold start (see pair-mode.ts).
      this.randomizedElectionTimeoutTicks = this.pairRules.electionTimeoutTicks(
        this.heardFromLeaderSinceStart,
      );
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
    this.noteRole();
    this.handBack.leaderSeen(leader, this.term, this.elapsedTicks);
  }

  /** Every change of role, term or leader goes into the next Ready (Ready.roleChanges). */
  private noteRole(): void {
    this.readies.noteRole(this.role, this.term, this.leaderId);
  }

  /** An append or snapshot from the leader of the current term. */
  private followLeader(leader: NodeId): void {
    assert.notEqual(this.role, 'leader', `two leaders in term ${this.term}: ${this.id} and ${leader}`);
    if (
      this.role === 'pre_candidate' &&
      this.election.transferring &&
      this.knownLeader?.term === this.term &&
      this.knownLeader.id === leader
    ) {
      // The leader transferring leadership heartbeats until it grants the vote; the campaign goes on.
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
      if (this.pairRules !== null) {
        this.randomizedElectionTimeoutTicks = this.pairRules.electionTimeoutTicks(
          this.heardFromLeaderSinceStart,
        );
      }
    }
  }

  private ticksSinceLeaderContact(): number {
    return this.role === 'leader' ? 0 : this.elapsedTicks - this.lastLeaderContactTick;
  }

  // ---------------------------------------------------------------------------------------------
  // Terms.

  /** Returns false when the message must be ignored. Otherwise the node is at the message's term,
   * except for pre-votes, which never change a term by themselves. */
  private acceptHigherTerm(message: Message): boolean {
    const vote = this.election.laterTerm(message);
    if (vote !== null) return vote;
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
  // Screening (screening.ts): what a peer message must be before this node acts on it.

  /** What screening reads of this node. */
  private asReceiver(): Receiver {
    return {
      managesInSyncSet: this.managesInSyncSet,
      witnessId: this.witnessNodeId,
      term: this.term,
      role: this.role,
      leaderId: this.leaderId,
      knownLeader: this.knownLeader,
      configuration: this.configuration,
      nowTick: this.elapsedTicks,
      failoverTimeoutTicks: this.electionTimeoutTicks,
      ticksSinceLeaderContact: this.ticksSinceLeaderContact(),
      lastAcknowledgementTick: (id) => this.replication.progress.get(id)?.lastAcknowledgementTick,
      mayLead: (voter, term) => this.pairRules?.mayLead(voter, term, this.configuration.voters) ?? true,
      farTerms: this.farTerms,
    };
  }

  /** Reports a refused message and answers it where its sender waits for an answer. */
  private refuseMessage(message: Message, kind: string, reason: string): void {
    this.refuse(kind, `refused ${message.type} from ${message.from} at term ${message.term}: ${reason}`);
    // A message that is out of bounds or malformed gets no answer: the server refuses it first.
    if (kind === 'bad_term' || kind === 'malformed' || kind === 'bad_sender') return;
    switch (message.type) {
      case 'append_entries':
        this.replication.replyToAppend(message.from, false, 0);
        break;
      case 'install_snapshot':
        this.send<InstallSnapshotResponseMessage>(message.from, {
          type: 'install_snapshot_response',
          success: false,
          matchIndex: 0,
        });
        break;
      case 'request_vote':
        this.election.answerVote(message, false);
        break;
      case 'merge_offer':
        this.merge.answerOffer(message, 0);
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
  // Leadership transfer, the transferee's side (the leader's is in leader.ts).

  private handleTimeoutNow(message: TimeoutNowMessage): void {
    const { from } = message;
    if (this.role === 'leader') return;
    if (this.leavingRequested) {
      // About to stop: taking leadership now would only hand the cluster a leader that is going.
      this.refuse(
        'timeout_now_leaving',
        `refused timeout_now from ${from} at term ${message.term}: this node is leaving`,
      );
      return;
    }
    if (this.managesInSyncSet) {
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
    this.election.start('transfer');
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration.

  /** The configuration in effect is the latest in the log: after an append, a truncation, a snapshot. */
  private refreshConfiguration(): void {
    const configuration = this.log.configurationAt(this.log.lastIndex(), this.baseConfiguration);
    if (configurationsEqual(configuration, this.configuration)) return;
    this.configuration = copyConfiguration(configuration);
    for (const id of [...this.lastMessageTickFrom.keys()]) {
      if (!configuration.voters.includes(id)) this.lastMessageTickFrom.delete(id);
    }
    this.trace(`switched to configuration ${describeConfiguration(configuration)}`);
    if (this.role === 'leader') this.leadership.configurationChanged(configuration);
  }

  // ---------------------------------------------------------------------------------------------
  // The parts.

  /**
   * What the parts (election, replication, leader, merge, witness leader) read and do on this node:
   * one object for all of them, NodeView and what each part adds.
   */
  private moduleHost(
    config: RaftConfig,
  ): MergeHost & WitnessLeaderHost & ReplicationHost & ElectionHost & LeaderHost {
    return {
      id: this.id,
      mode: this.mode,
      witnessNodeId: this.witnessNodeId,
      limits: this.limits,
      preVote: this.preVote,
      checkQuorum: this.checkQuorum,
      managesInSyncSet: this.managesInSyncSet,
      electionTimeoutTicks: this.electionTimeoutTicks,
      pairRules: this.pairRules,
      farTerms: this.farTerms,
      mainId: this.mode === 'pair' ? this.priorityNodeId : null,
      heartbeatIntervalTicks: this.heartbeatIntervalTicks,
      failoverTimeoutTicks: this.electionTimeoutTicks,
      describeMergedEntry: config.describeMergedEntry ?? null,
      baseConfiguration: this.baseConfiguration,
      nowTick: () => this.elapsedTicks,
      term: () => this.term,
      votedFor: () => this.votedFor,
      role: () => this.role,
      leaderId: () => this.leaderId,
      knownLeader: () => this.knownLeader,
      electionElapsedTicks: () => this.electionElapsedTicks,
      ticksSinceLeaderContact: () => this.ticksSinceLeaderContact(),
      heardFromLeaderSinceStart: () => this.heardFromLeaderSinceStart,
      heardFromPeerSinceStart: () => this.heardFromPeerSinceStart,
      lastMessageTickFrom: () => this.lastMessageTickFrom,
      isTransferringTo: (candidate, term) => this.leadership.isTransferringTo(candidate, term),
      log: () => this.log,
      configuration: () => this.configuration,
      outbox: () => this.outbox,
      send: <M extends Message>(to: NodeId, body: MessageBody<M>) => this.send<M>(to, body),
      appendConfigurationChange: (configuration) => this.leadership.appendConfigurationChange(configuration),
      refreshConfiguration: () => this.refreshConfiguration(),
      leadToEndSplitBrain: (backup) => this.leadToEndSplitBrain(backup),
      becomePreCandidate: () => this.becomePreCandidate(),
      becomeCandidate: (term) => this.becomeCandidate(term),
      becomeLeader: () => this.becomeLeader(),
      becomeFollower: (term, leader) => this.becomeFollower(term, leader),
      voteFor: (candidate) => {
        this.votedFor = candidate;
        this.electionElapsedTicks = 0;
      },
      trace: (line) => this.trace(line),
      refuse: (kind, line) => this.refuse(kind, line),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Split brain (merge.ts): the two changes of this node's own state that it asks for.

  /**
   * The main found that the backup, which leads, contradicts its committed log: it takes the next
   * term it owns and leads at once, without a vote (see SplitBrainMerge).
   */
  private leadToEndSplitBrain(backup: NodeId): void {
    this.pairRules?.resetKnownCommitIndex(this.log.commitIndex);
    this.becomeCandidate(this.election.campaignTerm());
    this.trace(
      `takes leadership at term ${this.term} to end the split brain with ${backup}; its solo entries will be merged`,
    );
    this.becomeLeader();
  }

  /** The whole stretch is merged on the main: start over as an empty node that follows it. */
  private discardHistory(): void {
    assert.notEqual(this.role, 'leader', 'a leader never discards its history');
    this.trace(`discarded its log up to ${this.log.lastIndex()} to catch up from the main`);
    this.log = new RaftLog(null, [], 0, 0);
    this.refreshConfiguration();
    this.merge.historyDiscarded();
    this.pairRules?.resetKnownCommitIndex(0);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers.

  private send<M extends Message>(to: NodeId, body: MessageBody<M>): void {
    const message = { ...body, from: this.id, to, term: body.term ?? this.term } as Message;
    if (this.leavingRequested && message.type === 'append_entries_response') message.leaving = true;
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

  private trace(line: string): void {
    this.traceSink?.(`${this.id} ${line}`);
  }

  private checkInvariants(): void {
    this.log.assertIndices();
    assert.ok(this.log.lastTerm() <= this.term, `log term ${this.log.lastTerm()} beyond term ${this.term}`);
    assert.ok(this.readies.handedOutTerm <= this.term, 'the term never goes back');
    assert.ok(this.outbox.length <= this.limits.maxOutboxMessages, 'the outbox is bounded');
    const noted = this.readies.currentRole;
    assert.ok(
      noted.role === this.role && noted.term === this.term && noted.leaderId === this.leaderId,
      `role change not noted: ${this.role}/${this.term}/${this.leaderId} after ${noted.role}/${noted.term}/${noted.leaderId}`,
    );
    assert.ok(
      this.election.votesReceived <= this.configuration.voters.length + 1,
      'votes are bounded by the voters',
    );
    switch (this.role) {
      case 'leader': {
        assert.equal(this.leaderId, this.id, 'a leader knows it leads');
        assert.equal(this.votedFor, this.id, 'a leader voted for itself in its term');
        const lastIndex = this.log.lastIndex();
        for (const [peer, progress] of this.replication.progress) {
          assert.ok(progress.matchIndex <= lastIndex, `${peer} matches beyond the leader's log`);
          assert.ok(progress.nextIndex <= lastIndex + 1, `${peer} next index beyond the leader's log`);
          assert.ok(progress.nextIndex > progress.matchIndex, `${peer} next index at or below its match`);
        }
        break;
      }
      case 'candidate':
        assert.equal(this.votedFor, this.id, 'a candidate voted for itself');
        assert.equal(this.leaderId, null, 'a candidate knows no leader');
        assert.equal(this.replication.progress.size, 0, 'only the leader tracks progress');
        break;
      case 'pre_candidate':
        assert.equal(this.leaderId, null, 'a pre-candidate knows no leader');
        assert.equal(this.replication.progress.size, 0, 'only the leader tracks progress');
        break;
      case 'follower':
        assert.equal(this.replication.progress.size, 0, 'only the leader tracks progress');
        assert.notEqual(this.leaderId, this.id, 'a follower does not lead');
        break;
    }
  }
}

export function describeConfiguration(configuration: Configuration): string {
  const drained = configuration.drained ?? [];
  const described = `voters=(${configuration.voters.join(',')}) in-sync=(${configuration.inSync.join(',')})`;
  return drained.length === 0 ? described : `${described} drained=(${drained.join(',')})`;
}
