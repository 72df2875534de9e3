// The consensus core's vocabulary. The core is pure: it takes ticks, proposals and messages, and
// hands back a Ready that the driver (packages/driver, which tandemd and the simulation both run)
// carries out: persist, then send, then apply.

export type NodeId = string;

/**
 * normal: a ledger command (opaque bytes to the core).
 * noop: appended by a new leader so that it can commit entries of earlier terms.
 * configuration: a change of voters or of the in-sync set (data is an encoded Configuration).
 */
export type EntryKind = 'normal' | 'noop' | 'configuration';

export interface Entry {
  /** Starts at 1; contiguous within a log. */
  readonly index: number;
  /** The leader's term when it appended the entry. */
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array;
}

/** What must be durable before any message that depends on it is sent. */
export interface HardState {
  term: number;
  votedFor: NodeId | null;
  commitIndex: number;
}

/**
 * voters: the nodes whose votes count in an election.
 * inSync: the data nodes that hold every acknowledged entry; an entry commits only once it is
 * durable on every member. Invariant: inSync is a non-empty subset of voters and contains the
 * leader.
 * drained: pair and witness modes, the data nodes an operator took out of leadership for planned
 * maintenance (`tandemctl cluster drain`): a leader hands leadership off them to a data node that is
 * not drained, and a backup does not hand it back to a drained main. A drained node still follows,
 * votes, and takes over on failover when no other node can. Absent means none; never every voter.
 */
export interface Configuration {
  voters: NodeId[];
  inSync: NodeId[];
  drained?: NodeId[];
}

export interface SnapshotMetadata {
  /** The last log index the snapshot covers. */
  index: number;
  term: number;
  configuration: Configuration;
}

export interface Snapshot {
  metadata: SnapshotMetadata;
  /** The application's (ledger's) serialized state at metadata.index. */
  data: Uint8Array;
}

export type Role = 'leader' | 'follower' | 'candidate' | 'pre_candidate';

interface MessageBase {
  from: NodeId;
  to: NodeId;
  term: number;
}

export interface AppendEntriesMessage extends MessageBase {
  type: 'append_entries';
  prevLogIndex: number;
  prevLogTerm: number;
  entries: Entry[];
  leaderCommit: number;
}

export interface AppendEntriesResponseMessage extends MessageBase {
  type: 'append_entries_response';
  success: boolean;
  /** On success: the highest index known to match the leader's log. */
  matchIndex: number;
  /** On failure: where the follower's log diverges, so the leader can skip back quickly. */
  conflictIndex: number;
  conflictTerm: number;
  /**
   * Set by a node about to stop (RaftNode.leave): the leader drops it from the in-sync set at once
   * rather than after a failover timeout of silence, so that its stop costs no write gap.
   */
  leaving?: boolean;
}

export interface RequestVoteMessage extends MessageBase {
  type: 'request_vote';
  lastLogIndex: number;
  lastLogTerm: number;
  preVote: boolean;
  leadershipTransfer: boolean;
}

export interface RequestVoteResponseMessage extends MessageBase {
  type: 'request_vote_response';
  voteGranted: boolean;
  preVote: boolean;
}

export interface InstallSnapshotMessage extends MessageBase {
  type: 'install_snapshot';
  snapshot: Snapshot;
}

export interface InstallSnapshotResponseMessage extends MessageBase {
  type: 'install_snapshot_response';
  success: boolean;
  matchIndex: number;
}

export interface TimeoutNowMessage extends MessageBase {
  type: 'timeout_now';
}

/**
 * Pair mode, after a split brain: the backup offers the main the entries it committed alone, in
 * log order (see merge.ts). Sent by a backup that follows a main whose log contradicts its own.
 */
export interface MergeOfferMessage extends MessageBase {
  type: 'merge_offer';
  /** The first index of the backup's latest solo stretch (the same in every offer of a merge). */
  stretchStartIndex: number;
  /** The entries firstIndex..throughIndex of the backup's committed log (every kind). */
  entries: Entry[];
  firstIndex: number;
  throughIndex: number;
  /**
   * The stretch began before the backup's snapshot, so some of its entries are compacted away and
   * lost to the merge (the driver's retention rule normally prevents it; see mergeRetentionIndex).
   */
  incomplete: boolean;
}

/** The main's answer: how far the backup's stretch is merged and committed on the main. */
export interface MergeOfferResponseMessage extends MessageBase {
  type: 'merge_offer_response';
  stretchStartIndex: number;
  /** Every entry of the stretch up to here is in a committed merge entry (0: none yet). */
  mergedThroughIndex: number;
}

/**
 * Witness mode: the leader asks the witness to record the in-sync set (before it removes a data
 * node from it, or after it added one back) and the highest commit index it knows.
 */
export interface WitnessRecordMessage extends MessageBase {
  type: 'witness_record';
  inSync: NodeId[];
  /** The leader's commit index: the witness refuses candidates whose log ends below it. */
  acknowledgedIndex: number;
  /**
   * Orders one leader's records, which may arrive out of order: the index of the configuration
   * entry the record describes (for a removal, the leader's last index + 1 when it asked, since
   * the entry is appended only afterwards). Within a term the witness keeps the highest.
   */
  configurationIndex: number;
}

/** The witness's answer; success means the set is durably recorded. */
export interface WitnessRecordResponseMessage extends MessageBase {
  type: 'witness_record_response';
  success: boolean;
  /** The configurationIndex of the record answered. */
  configurationIndex: number;
}

export type Message =
  | WitnessRecordMessage
  | WitnessRecordResponseMessage
  | MergeOfferMessage
  | MergeOfferResponseMessage
  | AppendEntriesMessage
  | AppendEntriesResponseMessage
  | RequestVoteMessage
  | RequestVoteResponseMessage
  | InstallSnapshotMessage
  | InstallSnapshotResponseMessage
  | TimeoutNowMessage;

/** A message as a node writes it: the node fills in from, to and (unless given) its own term. */
export type MessageBody<M extends Message> = Omit<M, 'from' | 'to' | 'term'> & { term?: number };

export interface SoftState {
  role: Role;
  leaderId: NodeId | null;
}

/** One step of a node's role: the role it took, in which term, and the leader it knew then. */
export interface RoleChange {
  role: Role;
  term: number;
  leaderId: NodeId | null;
}

/**
 * Everything the driver must do, in this order:
 * 1. persist hardState, snapshot and entries in one durable write (entries whose index is at or
 *    below the stored last index replace the stored suffix from that index); see mustSync for
 *    when that write may be left out;
 * 2. send messages;
 * 3. apply committedEntries to the state machine, in order (a received snapshot first);
 * 4. call advance(ready).
 */
export interface Ready {
  /** The role and leader now, when they differ from the last Ready's; null otherwise. */
  softState: SoftState | null;
  /**
   * Every change of (role, term, leader) the node went through since the last Ready, oldest
   * first, as etcd reports each becomeX: the last one is the node's state now. softState says only
   * where the node ended up; a leader that stepped down and won a new term within one input hands
   * out the same soft state as before, and only these changes tell that its leadership began anew
   * (the driver restarts its leadership bookkeeping on each change to leader). A term change alone
   * counts (a follower that learns of a higher term without a leader). Bounded: at most
   * MAX_ROLE_CHANGES_PER_READY (ready.ts); past that the oldest are dropped and counted
   * (RaftNode.droppedRoleChanges). What is dropped is never the start of the current leadership:
   * a leader's role changes only when it stops leading.
   */
  roleChanges: RoleChange[];
  hardState: HardState | null;
  snapshot: Snapshot | null;
  entries: Entry[];
  messages: Message[];
  committedEntries: Entry[];
  /**
   * Pair mode, on the main as leader: solo entries a backup offered after a split brain. The
   * driver turns each into one ledger merge command and proposes it with proposeMerge().
   */
  mergeOffers: MergeOffer[];
  /**
   * Pair mode, on a backup whose solo entries the main has merged: before anything else in this
   * Ready, delete every stored entry and snapshot and replace the state machine by an empty one.
   * hardState is then set (commitIndex 0) and the node catches up from the main like a new node.
   */
  discardHistory: boolean;
  /**
   * Whether step 1 must be a durable write before the driver sends messages or answers clients (as
   * etcd's MustSync). True when this Ready has entries, a snapshot or discardHistory, or a hardState
   * whose term or vote differs from the hard state written last (the latest handed out by a Ready
   * with mustSync, or the one the node was built from); and when the node commits alone
   * (committingAlone) and hardState's commit index differs from the one written last: serving
   * alone, the commit index is known nowhere else, so it is written before clients are answered.
   * False otherwise, in particular when only the commit index moved while a peer is in sync: the
   * driver may skip the write, but must keep that hardState and write it with the next Ready that
   * has mustSync (or at shutdown), because the core does not hand it out again. So whenever mustSync
   * is true, the driver writes this Ready's hardState, or if it has none the one it kept, if any.
   */
  mustSync: boolean;
}

/** A batch of a backup's solo entries, waiting on the main for the driver to propose it. */
export interface MergeOffer {
  from: NodeId;
  stretchStartIndex: number;
  firstIndex: number;
  throughIndex: number;
  /** Only the entries the ledger needs (kind 'normal'), in log order. */
  entries: Entry[];
  /** The backup's terms these entries were written in. */
  sourceTerms: number[];
  incomplete: boolean;
}

/** The per-follower replication state the leader keeps (see progress.ts). */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

/**
 * majority: elections need a majority of voters (three voters; later the witness mode).
 * pair: two data nodes, main and backup; a node that loses its peer for the failover timeout
 * serves alone (see pair-mode.ts and README.md).
 * witness: main, backup and a witness (witness-core.ts) vote and a leader needs two votes; the
 * witness holds no log, and the leader records every removal from the in-sync set with it first
 * (see witness-mode.ts and README.md).
 */
export type ReplicationMode = 'majority' | 'pair' | 'witness';

export interface RaftConfig {
  id: NodeId;
  /** A follower campaigns after a randomized timeout in [electionTimeoutTicks, 2 * electionTimeoutTicks). */
  electionTimeoutTicks: number;
  /** The leader sends a heartbeat to every peer this often; must be below electionTimeoutTicks. */
  heartbeatIntervalTicks: number;
  /** Injected randomness for election jitter: an integer in [0, maxExclusive). */
  randomInt: (maxExclusive: number) => number;
  /** At most this many entries in one append_entries message (always at least one if any is due). */
  maxEntriesPerMessage: number;
  /** At most this many unacknowledged append_entries messages per follower in replicate state. */
  maxInflightMessages: number;
  /** Campaign first with a pre-vote that does not bump the term unless it would win. */
  preVote: boolean;
  /** A leader that has not heard from a majority of voters for an election timeout steps down. */
  checkQuorum?: boolean;
  /** At most this many entries in one propose() call; defaults to maxEntriesPerMessage. */
  maxProposalEntries?: number;
  /** Proposals are refused (retryably) while this many entries are uncommitted; default 100000. */
  maxUncommittedEntries?: number;
  /** The largest entry data accepted by propose(); default 1 MiB. */
  maxEntryBytes?: number;
  /** Entries in one append_entries stop at this many data bytes (but at least one); default 2 MiB. */
  maxBytesPerMessage?: number;
  /** At most this many committed entries in one Ready; default 4096. */
  maxCommittedEntriesPerReady?: number;
  /** Messages beyond this many between two Readies are dropped (Raft tolerates loss); default 65536. */
  maxOutboxMessages?: number;
  /** Receives one line for each notable state change (role, term, vote, truncation, snapshot). */
  trace?: (line: string) => void;
  /**
   * Receives one line for each peer message this node refuses or cannot use (a term out of bounds,
   * a malformed message, a leader it cannot follow, a rejected append), with a kind that names the
   * reason, so that the driver can rate-limit them; absent means the trace gets them.
   */
  refusal?: (kind: string, line: string) => void;
  /**
   * 'majority' (the default) or 'pair'. In pair mode electionTimeoutTicks is the failover timeout
   * and is not randomized (randomInt is not used), pre-vote is always on, checkQuorum is ignored
   * (a leader goes on alone), and the leader manages the in-sync set itself.
   */
  mode?: ReplicationMode;
  /** Pair mode: the main. It wins a cold start and gets leadership back once caught up (the hand-back). */
  priorityNodeId?: NodeId;
  /**
   * Pair mode, on a backup: replaces the data of each 'normal' entry it offers for a merge (see
   * merge.ts), so that the driver can add what only it knows, such as the state machine's answer
   * to the entry. Must be pure and deterministic; absent means the entry's own data. The core
   * offers (and so describes) only entries the driver has applied (advance() returned for them),
   * so that the state machine's answer to each is known.
   */
  describeMergedEntry?: (entry: Entry) => Uint8Array;
  /**
   * Pair mode: how long a candidate waits for its peer's answer before it takes silence as consent
   * (only if it is in its own in-sync set); default heartbeatIntervalTicks.
   */
  pairVoteWaitTicks?: number;
  /**
   * Pair mode: a node does not win an election alone until this many ticks have passed since it
   * started or it has heard from its peer; default 2 * electionTimeoutTicks.
   */
  startupGraceTicks?: number;
  /**
   * Witness mode (required there): the voter that is the witness. It gets heartbeats and in-sync
   * records, never entries, and never leads.
   */
  witnessNodeId?: NodeId;
}

/** Witness mode, on a leader: what it knows of the witness. */
export interface WitnessLinkStatus {
  id: NodeId;
  /** Ticks since the witness last answered this leader (or voted for it). */
  lastResponseTicksAgo: number;
  /** The in-sync set the witness confirmed to this leader; null until it did in this term. */
  confirmedInSync: NodeId[] | null;
  /** The record sent and not yet answered, if any. */
  pendingInSync: NodeId[] | null;
  /** The pending record removes a member (the configuration entry waits for it). */
  pendingRemoval: boolean;
}

export interface InitialState {
  /** null when nothing was ever persisted. */
  hardState: HardState | null;
  snapshot: SnapshotMetadata | null;
  /** Everything after the snapshot, from storage, contiguous. */
  entries: Entry[];
  /** Used when no configuration entry and no snapshot is present. */
  configuration: Configuration;
  /**
   * The index up to which the driver's state machine already holds the effect of the log (for a
   * state machine restored from a snapshot, the snapshot's index). Defaults to the snapshot index,
   * so committed entries after the snapshot are handed out again in committedEntries.
   */
  appliedIndex?: number;
}

export interface ProgressStatus {
  matchIndex: number;
  nextIndex: number;
  state: ProgressState;
  inflightMessages: number;
  recentActive: boolean;
  /** Ticks since this member last answered the leader (0 for the leader itself). */
  lastResponseTicksAgo: number;
  /** Ticks since this member last acknowledged an append or snapshot (0 for the leader itself). */
  lastAcknowledgementTicksAgo: number;
  /** Whether the member is in the in-sync set of the leader's latest configuration. */
  inSync: boolean;
}

/**
 * Pair mode: a leader sent entries that contradict this node's committed log (both nodes served
 * alone during a cut). The node refuses that leader's appends instead of truncating committed
 * entries; the merge (merge.ts) then brings the backup's solo entries to the main.
 */
export interface DivergenceStatus {
  /** The first committed index where the leader's log differs. */
  index: number;
  leaderId: NodeId;
  term: number;
}

export interface RaftStatus {
  id: NodeId;
  role: Role;
  term: number;
  votedFor: NodeId | null;
  leaderId: NodeId | null;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  lastTerm: number;
  snapshotIndex: number;
  /** The highest index the driver has confirmed durable on this node (through advance()). */
  durableIndex: number;
  configuration: Configuration;
  /** Set on a leader that is handing leadership to this node. */
  leadTransferee: NodeId | null;
  /** Per-member progress (this node included) when leader; null otherwise. */
  progress: Record<NodeId, ProgressStatus> | null;
  mode: ReplicationMode;
  /** Pair mode: the priority node (main), if configured. */
  priorityNodeId: NodeId | null;
  /** Whether this node is in the in-sync set of its latest configuration. */
  inSync: boolean;
  /**
   * Ticks since this node last heard from a leader (counted from start when it never did since);
   * 0 on a leader.
   */
  ticksSinceLeaderContact: number;
  /**
   * On a leader: how many ticks it had been without contact with a leader when it won (after a
   * failover, the driver extends leases by this much). null on other roles.
   */
  leaderlessTicksBeforeElection: number | null;
  /** Pair mode: ticks left before this node may win an election alone after a start (0: none). */
  startupGraceRemainingTicks: number;
  /** Pair mode: set when a leader's log contradicts this node's committed log. */
  divergence: DivergenceStatus | null;
  /**
   * Pair mode, on a backup outside its peer's in-sync set: the first index of its solo stretch.
   * The driver must not compact the log at or beyond it, so that a merge can still offer those
   * entries after a split brain. null when nothing needs keeping.
   */
  mergeRetentionIndex: number | null;
  /** Pair mode: merges this node took part in since it started (as main: entries merged in). */
  mergesCompleted: number;
  /** Witness mode, on a leader: its view of the witness; null otherwise. */
  witness: WitnessLinkStatus | null;
}

/** What propose() returns: where the batch landed in the log. */
export interface ProposalPosition {
  firstIndex: number;
  lastIndex: number;
  term: number;
}
