// The witness: the third voter of witness mode. It holds no log and no ledger, only what it needs
// to break ties safely: its term and vote, the in-sync set the latest leader recorded with it, and
// the highest commit index a leader told it (the acknowledged index). Like the rest of the core it
// is pure: a message goes in, and out come the state to persist and the answers to send, in that
// order (the driver makes the state durable before any answer leaves).
//
// Why it is safe: every member of the recorded in-sync set holds every committed entry, because a
// leader records a removal with the witness before it appends the configuration entry that lets it
// commit without the removed node, and records an addition only after the added node held its
// whole log. So a candidate that wins with the witness's vote holds every committed entry. The
// acknowledged index is a second check against a data node that lost its disk but is still in the
// set: its log would end below it.
import assert from 'node:assert/strict';
import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  Message,
  NodeId,
  RequestVoteMessage,
  RequestVoteResponseMessage,
  WitnessRecordMessage,
  WitnessRecordResponseMessage,
} from './types.js';

/** Everything the witness persists; written whole, with sync, before an answer that depends on it. */
export interface WitnessState {
  term: number;
  votedFor: NodeId | null;
  /** The in-sync set the latest leader recorded: the only data nodes this witness votes for. */
  inSync: NodeId[];
  /** The highest commit index a leader told this witness; a candidate's log must reach it. */
  acknowledgedIndex: number;
  /** The term of the latest record; a newer term's record always replaces it. */
  recordTerm: number;
  /** Orders the records of one leader (see WitnessRecordMessage.configurationIndex). */
  recordConfigurationIndex: number;
}

export interface WitnessConfig {
  id: NodeId;
  /** The data nodes (main and backup): the only nodes it hears from, and the only candidates. */
  dataNodeIds: NodeId[];
  /** The data nodes' failover timeout (their election timeout). */
  failoverTimeoutTicks: number;
  /** The leader's heartbeat interval; must be below failoverTimeoutTicks. */
  heartbeatIntervalTicks: number;
  /** Receives one line per notable change (term, vote, record, refusal). */
  trace?: (line: string) => void;
}

/** What the driver must do after a step: persist `persist` (if not null), then send `messages`. */
export interface WitnessStep {
  persist: WitnessState | null;
  messages: Message[];
}

export interface WitnessStatus {
  id: NodeId;
  term: number;
  votedFor: NodeId | null;
  /** The leader of the current term, once it was heard from. */
  leaderId: NodeId | null;
  inSync: NodeId[];
  acknowledgedIndex: number;
  recordTerm: number;
  recordConfigurationIndex: number;
  /** Ticks since a leader was last heard (counted from start when none was heard since). */
  ticksSinceLeaderContact: number;
  /** Ticks during which vote requests are still refused to protect the leader heard last (0: none). */
  leaderLeaseRemainingTicks: number;
}

/** At most this many data nodes; witness mode has two. */
const MAX_DATA_NODES = 2;

/** The state of a witness that never persisted anything: every data node in sync, nothing acknowledged. */
export function initialWitnessState(dataNodeIds: readonly NodeId[]): WitnessState {
  return {
    term: 0,
    votedFor: null,
    inSync: [...dataNodeIds].sort(),
    acknowledgedIndex: 0,
    recordTerm: 0,
    recordConfigurationIndex: 0,
  };
}

export function copyWitnessState(state: WitnessState): WitnessState {
  return { ...state, inSync: [...state.inSync] };
}

export class WitnessCore {
  readonly id: NodeId;
  private readonly dataNodeIds: readonly NodeId[];
  /**
   * A vote request is refused while a leader was heard within this many ticks, so that a data node
   * cut from the leader does not depose it through the witness. It is one heartbeat shorter than
   * the failover timeout: a candidate campaigns a failover timeout after its own last heartbeat,
   * and by then the witness's lease on a dead leader has run out.
   */
  private readonly leaderLeaseTicks: number;
  private readonly traceSink: ((line: string) => void) | null;
  private state: WitnessState;
  private leaderId: NodeId | null = null;
  private elapsedTicks = 0;
  /** Counted from start: after a restart the witness cannot tell whether a leader is alive. */
  private lastLeaderContactTick = 0;

  constructor(config: WitnessConfig, stored: WitnessState | null) {
    assert.ok(typeof config.id === 'string' && config.id.length > 0, 'a witness id is a non-empty string');
    assert.ok(
      config.dataNodeIds.length >= 1 && config.dataNodeIds.length <= MAX_DATA_NODES,
      `a witness serves one or two data nodes, not ${config.dataNodeIds.length}`,
    );
    assert.equal(new Set(config.dataNodeIds).size, config.dataNodeIds.length, 'duplicate data node');
    assert.ok(!config.dataNodeIds.includes(config.id), 'the witness is not a data node');
    assertCount(config.failoverTimeoutTicks, 'failoverTimeoutTicks', 1);
    assertCount(config.heartbeatIntervalTicks, 'heartbeatIntervalTicks', 1);
    assert.ok(
      config.heartbeatIntervalTicks < config.failoverTimeoutTicks,
      'heartbeatIntervalTicks must be below failoverTimeoutTicks',
    );
    this.id = config.id;
    this.dataNodeIds = [...config.dataNodeIds].sort();
    this.leaderLeaseTicks = config.failoverTimeoutTicks - config.heartbeatIntervalTicks;
    this.traceSink = config.trace ?? null;
    this.state = copyWitnessState(stored ?? initialWitnessState(this.dataNodeIds));
    this.assertState(this.state);
  }

  /** Advances logical time by one tick (only the leader lease depends on it). */
  tick(): void {
    this.elapsedTicks += 1;
  }

  /** Handles one message from a data node; the driver persists `persist` before sending `messages`. */
  step(message: Message): WitnessStep {
    assert.equal(message.to, this.id, `message for ${message.to} stepped into the witness ${this.id}`);
    assert.ok(this.dataNodeIds.includes(message.from), `${message.from} is not a data node of this witness`);
    assert.ok(Number.isSafeInteger(message.term) && message.term >= 0, `bad message term ${message.term}`);
    const before = copyWitnessState(this.state);
    const messages: Message[] = [];
    // Pre-votes never move a term; every other message from a newer term does.
    const preVote = message.type === 'request_vote' && message.preVote;
    if (message.term > this.state.term && !preVote) {
      this.trace(`moved to term ${message.term} (${message.type} from ${message.from})`);
      this.state.term = message.term;
      this.state.votedFor = null;
      this.leaderId = null;
    }
    switch (message.type) {
      case 'request_vote':
        messages.push(this.handleRequestVote(message));
        break;
      case 'append_entries':
        messages.push(this.handleHeartbeat(message));
        break;
      case 'witness_record':
        messages.push(this.handleRecord(message));
        break;
      default:
        // A data node never sends anything else to the witness (and the server admits nothing else).
        assert.fail(`a witness does not handle ${message.type}`);
    }
    this.assertState(this.state);
    const changed = !statesEqual(before, this.state);
    return { persist: changed ? copyWitnessState(this.state) : null, messages };
  }

  /** A copy of the state to persist (the same as the last persist handed out). */
  persistentState(): WitnessState {
    return copyWitnessState(this.state);
  }

  status(): WitnessStatus {
    return {
      id: this.id,
      term: this.state.term,
      votedFor: this.state.votedFor,
      leaderId: this.leaderId,
      inSync: [...this.state.inSync],
      acknowledgedIndex: this.state.acknowledgedIndex,
      recordTerm: this.state.recordTerm,
      recordConfigurationIndex: this.state.recordConfigurationIndex,
      ticksSinceLeaderContact: this.ticksSinceLeaderContact(),
      leaderLeaseRemainingTicks: Math.max(0, this.leaderLeaseTicks - this.ticksSinceLeaderContact()),
    };
  }

  // ---------------------------------------------------------------------------------------------

  private handleRequestVote(message: RequestVoteMessage): RequestVoteResponseMessage {
    const refusal = this.voteRefusal(message);
    const granted = refusal === null;
    if (granted && !message.preVote) this.state.votedFor = message.from;
    this.trace(
      `${granted ? 'granted' : 'refused'} ${message.preVote ? 'pre-vote' : 'vote'} for ${message.from} ` +
        `at term ${message.term}${refusal === null ? '' : ` (${refusal})`}`,
    );
    // A grant carries the term asked for; a refusal never less than it, so that the candidate counts
    // it (the data nodes' witness mode follows pair mode's convention here).
    return {
      type: 'request_vote_response',
      from: this.id,
      to: message.from,
      term: granted ? message.term : Math.max(this.state.term, message.term),
      voteGranted: granted,
      preVote: message.preVote,
    };
  }

  /** Why the witness refuses this candidate, or null when it grants. */
  private voteRefusal(message: RequestVoteMessage): string | null {
    assertCount(message.lastLogIndex, 'lastLogIndex', 0);
    const { term, votedFor, inSync, acknowledgedIndex } = this.state;
    if (message.term < term) return `stale term; this witness is at ${term}`;
    if (!inSync.includes(message.from)) {
      return `${message.from} is not in the recorded in-sync set (${inSync.join(',')})`;
    }
    if (message.lastLogIndex < acknowledgedIndex) {
      return `its log ends at ${message.lastLogIndex}, below the acknowledged index ${acknowledgedIndex}`;
    }
    const leaseTicks = this.leaderLeaseTicks - this.ticksSinceLeaderContact();
    // A transfer is the leader's own wish, and a leader that asks for votes has given up leading.
    if (!message.leadershipTransfer && leaseTicks > 0 && this.leaderId !== message.from) {
      const ticks = this.ticksSinceLeaderContact();
      return this.leaderId === null
        ? `started or heard a leader ${ticks} ticks ago`
        : `heard from leader ${this.leaderId} ${ticks} ticks ago`;
    }
    if (message.preVote) {
      if (message.term > term) return null;
      return votedFor === message.from || (votedFor === null && this.leaderId === null)
        ? null
        : `already ${votedFor === null ? `follows ${this.leaderId}` : `voted for ${votedFor}`} in term ${term}`;
    }
    if (votedFor !== null && votedFor !== message.from)
      return `already voted for ${votedFor} in term ${term}`;
    return null;
  }

  /** A heartbeat from a leader: an append_entries without entries, carrying its commit index. */
  private handleHeartbeat(message: AppendEntriesMessage): AppendEntriesResponseMessage {
    assert.equal(message.entries.length, 0, 'a witness never receives entries');
    assertCount(message.leaderCommit, 'leaderCommit', 0);
    const success = message.term === this.state.term;
    if (success) {
      this.followLeader(message.from);
      this.acknowledge(message.leaderCommit);
    } else {
      this.trace(`refused a heartbeat from ${message.from} at stale term ${message.term}`);
    }
    return {
      type: 'append_entries_response',
      from: this.id,
      to: message.from,
      term: this.state.term,
      success,
      matchIndex: 0,
      conflictIndex: 0,
      conflictTerm: 0,
    };
  }

  private handleRecord(message: WitnessRecordMessage): WitnessRecordResponseMessage {
    assertCount(message.acknowledgedIndex, 'acknowledgedIndex', 0);
    assertCount(message.configurationIndex, 'configurationIndex', 0);
    assert.ok(message.inSync.length > 0, 'a recorded in-sync set is never empty');
    assert.equal(new Set(message.inSync).size, message.inSync.length, 'duplicate in-sync member');
    for (const id of message.inSync) assert.ok(this.dataNodeIds.includes(id), `${id} is not a data node`);
    assert.ok(message.inSync.includes(message.from), 'a leader is always in the in-sync set it records');
    const respond = (success: boolean): WitnessRecordResponseMessage => ({
      type: 'witness_record_response',
      from: this.id,
      to: message.from,
      term: this.state.term,
      success,
      configurationIndex: message.configurationIndex,
    });
    if (message.term < this.state.term) {
      this.trace(`refused the record of ${message.from} at stale term ${message.term}`);
      return respond(false);
    }
    this.followLeader(message.from);
    this.acknowledge(message.acknowledgedIndex);
    const { recordTerm, recordConfigurationIndex } = this.state;
    // Records of one leader may arrive out of order; an older one must not undo a newer one.
    if (message.term === recordTerm && message.configurationIndex < recordConfigurationIndex) {
      this.trace(
        `refused an outdated record from ${message.from} (configuration index ${message.configurationIndex} < ${recordConfigurationIndex})`,
      );
      return respond(false);
    }
    const inSync = [...message.inSync].sort();
    if (inSync.join(',') !== this.state.inSync.join(',')) {
      this.trace(`recorded in-sync set (${inSync.join(',')}) from ${message.from} at term ${message.term}`);
    }
    this.state.inSync = inSync;
    this.state.recordTerm = message.term;
    this.state.recordConfigurationIndex = message.configurationIndex;
    return respond(true);
  }

  private followLeader(leader: NodeId): void {
    if (this.leaderId !== null) {
      assert.equal(
        leader,
        this.leaderId,
        `two leaders in term ${this.state.term}: ${this.leaderId}, ${leader}`,
      );
    } else {
      this.trace(`follows leader ${leader} at term ${this.state.term}`);
    }
    this.leaderId = leader;
    this.lastLeaderContactTick = this.elapsedTicks;
  }

  private acknowledge(commitIndex: number): void {
    if (commitIndex > this.state.acknowledgedIndex) this.state.acknowledgedIndex = commitIndex;
  }

  private ticksSinceLeaderContact(): number {
    return this.elapsedTicks - this.lastLeaderContactTick;
  }

  private assertState(state: WitnessState): void {
    assertCount(state.term, 'term', 0);
    assertCount(state.acknowledgedIndex, 'acknowledgedIndex', 0);
    assertCount(state.recordTerm, 'recordTerm', 0);
    assertCount(state.recordConfigurationIndex, 'recordConfigurationIndex', 0);
    assert.ok(state.recordTerm <= state.term, 'a record is never newer than the term');
    assert.ok(state.votedFor === null || this.dataNodeIds.includes(state.votedFor), 'votes go to data nodes');
    assert.ok(state.inSync.length > 0, 'the recorded in-sync set is never empty');
    for (const id of state.inSync) assert.ok(this.dataNodeIds.includes(id), `${id} is not a data node`);
  }

  private trace(line: string): void {
    this.traceSink?.(`${this.id} ${line}`);
  }
}

function statesEqual(left: WitnessState, right: WitnessState): boolean {
  return (
    left.term === right.term &&
    left.votedFor === right.votedFor &&
    left.acknowledgedIndex === right.acknowledgedIndex &&
    left.recordTerm === right.recordTerm &&
    left.recordConfigurationIndex === right.recordConfigurationIndex &&
    left.inSync.join(',') === right.inSync.join(',')
  );
}

function assertCount(value: number, name: string, minimum: number): void {
  assert.ok(
    Number.isSafeInteger(value) && value >= minimum,
    `${name} must be an integer >= ${minimum}, not ${value}`,
  );
}
