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
import { FarTermGate, isBoundedCount, MAX_INDEX, MAX_TERM, MAX_TERM_JUMP } from './term-bounds.js';
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
  /**
   * Receives one line per message the witness refuses outright (a term out of bounds, a malformed
   * message, a leader it cannot follow), with a kind naming the reason, so that the driver can
   * rate-limit them; absent means the trace gets them.
   */
  refusal?: (kind: string, line: string) => void;
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
  private readonly refusalSink: ((kind: string, line: string) => void) | null;
  private readonly failoverTimeoutTicks: number;
  private state: WitnessState;
  private leaderId: NodeId | null = null;
  private elapsedTicks = 0;
  /** Counted from start: after a restart the witness cannot tell whether a leader is alive. */
  private lastLeaderContactTick = 0;
  /**
   * The highest commit index the leader of the current term announced in a heartbeat. A record's
   * acknowledged index may not exceed it: a leader announces its commit index in a heartbeat before
   * every record, so a record that claims more did not come from the leader's own state.
   */
  private heartbeatCommit: { leader: NodeId; term: number; index: number } | null = null;
  /**
   * The commit indices the leader of the current term announced. Within a term a leader's commit
   * index never goes down, so a later, lower announcement shows that an earlier, higher one did not
   * come from it: the acknowledged index falls back to what it was before this leader's
   * announcements, raised by its latest one.
   */
  private announcements: { leader: NodeId; term: number; before: number; latest: number } | null = null;
  /** Which terms more than MAX_TERM_JUMP ahead this witness takes (see term-bounds.ts). */
  private readonly farTerms: FarTermGate;

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
    this.refusalSink = config.refusal ?? null;
    this.failoverTimeoutTicks = config.failoverTimeoutTicks;
    this.farTerms = new FarTermGate('witness', config.failoverTimeoutTicks, (line) => this.trace(line));
    this.state = copyWitnessState(stored ?? initialWitnessState(this.dataNodeIds));
    this.assertState(this.state);
  }

  /** Advances logical time by one tick (only the leader lease depends on it). */
  tick(): void {
    this.elapsedTicks += 1;
  }

  /**
   * Handles one message from a data node; the driver persists `persist` before sending `messages`.
   * Every request gets exactly one answer; a message the witness cannot use (a term out of bounds, a
   * malformed message, a leader it must not follow) gets a refusal and changes nothing. Only a
   * message addressed to another node or from a stranger is a programmer error (the server checks).
   */
  step(message: Message): WitnessStep {
    assert.equal(message.to, this.id, `message for ${message.to} stepped into the witness ${this.id}`);
    assert.ok(this.dataNodeIds.includes(message.from), `${message.from} is not a data node of this witness`);
    const refusal = this.screen(message);
    if (refusal !== null) {
      this.refuse(
        refusal.kind,
        `refused ${message.type} from ${message.from} at term ${message.term}: ${refusal.reason}`,
      );
      return { persist: null, messages: [this.refusalAnswer(message, refusal.kind)] };
    }
    const before = copyWitnessState(this.state);
    const messages: Message[] = [];
    // Heartbeats and records of a newer term move the witness's term; a vote moves it only when it
    // is granted (a refused candidate must not drag the witness, and through its answers the leader,
    // into its term); pre-votes never do.
    if (message.term > this.state.term && message.type !== 'request_vote') this.moveToTerm(message);
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

  private moveToTerm(message: Message): void {
    this.trace(`moved to term ${message.term} (${message.type} from ${message.from})`);
    this.state.term = message.term;
    this.state.votedFor = null;
    this.leaderId = null;
  }

  /** Why the witness refuses the message outright, or null when it takes it. */
  private screen(message: Message): { kind: string; reason: string } | null {
    if (!isBoundedCount(message.term, MAX_TERM)) {
      return { kind: 'bad_term', reason: `term ${message.term} is not an integer in 0..${MAX_TERM}` };
    }
    const malformed = this.malformedReason(message);
    if (malformed !== null) return { kind: 'malformed', reason: malformed };
    const { term } = this.state;
    if (message.term > term + MAX_TERM_JUMP) {
      const far = this.farTerms.refusal(message, this.state.term, this.elapsedTicks);
      if (far !== null) return { kind: 'term_jump', reason: far };
    }
    if ((message.type === 'append_entries' || message.type === 'witness_record') && message.term >= term) {
      const claim = this.leaderClaimRefusal(message.from, message.term);
      if (claim !== null) return { kind: 'leader_claim', reason: claim };
    }
    if (message.type === 'witness_record' && message.term >= term) {
      const announced = this.heartbeatCommit;
      const heard =
        announced !== null && announced.leader === message.from && announced.term === message.term
          ? announced.index
          : null;
      if (heard === null || message.acknowledgedIndex > heard) {
        return {
          kind: 'record_ahead',
          reason:
            heard === null
              ? `${message.from} sent no heartbeat in term ${message.term} before its record`
              : `its acknowledged index ${message.acknowledgedIndex} is above the commit index ${heard} that ${message.from} announced`,
        };
      }
    }
    return null;
  }

  private malformedReason(message: Message): string | null {
    const count = (value: number, name: string, maximum = MAX_INDEX) =>
      isBoundedCount(value, maximum) ? null : `${name} ${value} is not an integer in 0..${maximum}`;
    switch (message.type) {
      case 'request_vote':
        return (
          count(message.lastLogIndex, 'lastLogIndex') ??
          count(message.lastLogTerm, 'lastLogTerm', message.term)
        );
      case 'append_entries':
        if (message.entries.length > 0) return 'a witness never receives entries';
        return count(message.leaderCommit, 'leaderCommit');
      case 'witness_record': {
        const bounds =
          count(message.acknowledgedIndex, 'acknowledgedIndex') ??
          count(message.configurationIndex, 'configurationIndex');
        if (bounds !== null) return bounds;
        const { inSync } = message;
        if (inSync.length === 0) return 'the in-sync set is empty';
        if (new Set(inSync).size !== inSync.length) return 'the in-sync set names a node twice';
        const stranger = inSync.find((id) => !this.dataNodeIds.includes(id));
        if (stranger !== undefined) return `${stranger} is not a data node`;
        if (!inSync.includes(message.from)) return 'a leader is always in the in-sync set it records';
        return null;
      }
      default:
        return `a witness does not handle ${message.type}`;
    }
  }

  /**
   * A heartbeat or record says its sender leads the message's term. One leader per term: not while
   * this witness knows another leader of it or voted for another candidate in it. And a newer term
   * does not end the lease of the leader heard last, even from that leader: a real new leader
   * (that one again, or the other data node) came after the lease ran out, or won this witness's
   * vote, which moved the witness to its term.
   */
  private leaderClaimRefusal(from: NodeId, term: number): string | null {
    const { votedFor } = this.state;
    if (term === this.state.term) {
      if (this.leaderId !== null && this.leaderId !== from) return `${this.leaderId} leads term ${term}`;
      if (votedFor !== null && votedFor !== from) return `this witness voted for ${votedFor} in term ${term}`;
      return null;
    }
    const leaseTicks = this.leaderLeaseTicks - this.ticksSinceLeaderContact();
    if (this.leaderId !== null && leaseTicks > 0) {
      return `this witness heard ${this.leaderId} lead term ${this.state.term} ${this.ticksSinceLeaderContact()} ticks ago`;
    }
    return null;
  }

  /** The one answer to a refused request, at this witness's term (or, to a vote, the term asked). */
  private refusalAnswer(message: Message, kind: string): Message {
    const base = { from: this.id, to: message.from, term: this.state.term };
    switch (message.type) {
      case 'request_vote':
        // A candidate counts a refusal only at the term it asked for (as in pair mode).
        return {
          ...base,
          type: 'request_vote_response',
          term:
            kind === 'bad_term' || kind === 'malformed'
              ? this.state.term
              : Math.max(this.state.term, message.term),
          voteGranted: false,
          preVote: message.preVote,
        };
      case 'witness_record':
        return {
          ...base,
          type: 'witness_record_response',
          success: false,
          configurationIndex: isBoundedCount(message.configurationIndex, MAX_INDEX)
            ? message.configurationIndex
            : 0,
        };
      default:
        return {
          ...base,
          type: 'append_entries_response',
          success: false,
          matchIndex: 0,
          conflictIndex: 0,
          conflictTerm: 0,
        };
    }
  }

  private refuse(kind: string, line: string): void {
    if (this.refusalSink === null) this.trace(line);
    else this.refusalSink(kind, `${this.id} ${line}`);
  }

  private handleRequestVote(message: RequestVoteMessage): RequestVoteResponseMessage {
    const refusal = this.voteRefusal(message);
    const granted = refusal === null;
    if (granted && message.preVote) {
      this.farTerms.grantedPreVote(message.from, message.term, this.elapsedTicks);
    }
    if (granted && !message.preVote) {
      if (message.term > this.state.term) this.moveToTerm(message);
      this.state.votedFor = message.from;
    }
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
    const { term, votedFor, inSync, acknowledgedIndex } = this.state;
    if (message.term < term) return `stale term; this witness is at ${term}`;
    if (!inSync.includes(message.from)) {
      return `${message.from} is not in the recorded in-sync set (${inSync.join(',')})`;
    }
    if (message.lastLogIndex < acknowledgedIndex) {
      return `its log ends at ${message.lastLogIndex}, below the acknowledged index ${acknowledgedIndex}`;
    }
    const leaseTicks = this.leaderLeaseTicks - this.ticksSinceLeaderContact();
    // A transfer is the leader's own wish; so is a vote the leader itself asks for. A leader that
    // stepped down (check-quorum: it heard neither other voter for a failover timeout, as on a lossy
    // link where its requests got through and the answers did not) campaigns at once, within this
    // witness's lease; refusing it would leave the cluster without a leader for up to another
    // failover timeout after every such step-down (found by case 11 of the partition matrix,
    // test/netns/README.md, with 30 % loss). The price: a node holding the leader's certificate can raise the term by asking.
    // A retry of the vote already given in this term gets the same answer.
    const retry = message.term === term && votedFor === message.from;
    if (!message.leadershipTransfer && leaseTicks > 0 && this.leaderId !== message.from && !retry) {
      const ticks = this.ticksSinceLeaderContact();
      return this.leaderId === null
        ? `started or heard a leader ${ticks} ticks ago`
        : `heard from leader ${this.leaderId} ${ticks} ticks ago`;
    }
    // A vote for a newer term comes before this witness voted or saw a leader in it.
    if (message.term > term) return null;
    if (votedFor === message.from) return null;
    if (votedFor !== null) return `already voted for ${votedFor} in term ${term}`;
    // One leader per term: a candidate of a term whose leader this witness heard cannot win it.
    if (this.leaderId !== null && this.leaderId !== message.from)
      return `already follows ${this.leaderId} in term ${term}`;
    return null;
  }

  /** A heartbeat from a leader: an append_entries without entries, carrying its commit index. */
  private handleHeartbeat(message: AppendEntriesMessage): AppendEntriesResponseMessage {
    const success = message.term === this.state.term;
    if (success) {
      this.followLeader(message.from);
      this.acknowledge(message.from, message.leaderCommit);
      const announced = this.heartbeatCommit;
      if (announced === null || announced.leader !== message.from || announced.term !== message.term) {
        this.heartbeatCommit = { leader: message.from, term: message.term, index: message.leaderCommit };
      } else {
        announced.index = Math.max(announced.index, message.leaderCommit);
      }
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
    // The record's acknowledged index is at most what this leader announced in a heartbeat (see
    // screen), which the acknowledged index already took.
    this.followLeader(message.from);
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

  private acknowledge(leader: NodeId, commitIndex: number): void {
    let announcements = this.announcements;
    if (announcements === null || announcements.leader !== leader || announcements.term !== this.state.term) {
      announcements = {
        leader,
        term: this.state.term,
        before: this.state.acknowledgedIndex,
        latest: commitIndex,
      };
      this.announcements = announcements;
    }
    if (commitIndex < announcements.latest) {
      this.refuse(
        'commit_went_back',
        `${leader} announced commit index ${commitIndex} after ${announcements.latest} in term ${this.state.term}; the higher one is not believed`,
      );
    }
    announcements.latest = commitIndex;
    this.state.acknowledgedIndex = Math.max(announcements.before, commitIndex);
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
