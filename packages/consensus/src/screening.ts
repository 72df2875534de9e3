// Screening: what a peer message must be before a data node acts on it (README.md, "Messages from
// peers"). A peer that authentication lets in may still be buggy or compromised, so no message may
// trip an assertion, move the node to an arbitrary term, or claim a leadership it cannot have. The
// server checks the wire form of every message first; these checks hold whoever drives the core,
// and most of them need the receiver's state (its term, its leader, its configuration).
import { decodeConfiguration, sameMembers, validateConfiguration } from './configuration.js';
import { type FarTermGate, isBoundedCount, MAX_INDEX, MAX_TERM, MAX_TERM_JUMP } from './term-bounds.js';
import type {
  AppendEntriesMessage,
  Configuration,
  Entry,
  InstallSnapshotMessage,
  Message,
  NodeId,
  Role,
  TimeoutNowMessage,
} from './types.js';

/** What the receiver knows when it screens a message. */
export interface Receiver {
  /** Pair and witness modes (see RaftNode.managesInSyncSet). */
  managesInSyncSet: boolean;
  /** Witness mode: the witness; null otherwise. */
  witnessId: NodeId | null;
  term: number;
  role: Role;
  leaderId: NodeId | null;
  /** The one leader this node has seen for a term. */
  knownLeader: { term: number; id: NodeId } | null;
  /** The latest configuration. */
  configuration: Configuration;
  nowTick: number;
  failoverTimeoutTicks: number;
  ticksSinceLeaderContact: number;
  /** On a leader: when a follower last acknowledged it; undefined for others. */
  lastAcknowledgementTick(id: NodeId): number | undefined;
  /** Whether a voter may lead a term (pair mode: term ownership). */
  mayLead(voter: NodeId, term: number): boolean;
  /** Which terms more than MAX_TERM_JUMP ahead this node takes; stateful, so asked last. */
  farTerms: FarTermGate;
}

/** Why the receiver refuses a message outright (and the kind, for rate-limiting), or null. */
export function screen(message: Message, receiver: Receiver): { kind: string; reason: string } | null {
  if (message.from === receiver.witnessId && !WITNESS_ANSWERS.has(message.type)) {
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
  const configurationProblem = foreignConfiguration(message, receiver);
  if (configurationProblem !== null) return { kind: 'malformed', reason: configurationProblem };
  if (message.term > receiver.term + MAX_TERM_JUMP) {
    const far = receiver.farTerms.refusal(message, receiver.term, receiver.nowTick);
    if (far !== null) return { kind: 'term_jump', reason: far };
  }
  if (
    message.type === 'append_entries' ||
    message.type === 'install_snapshot' ||
    message.type === 'timeout_now'
  ) {
    const claim = leaderClaimRefusal(message, receiver);
    if (claim !== null) return { kind: 'leader_claim', reason: claim };
  }
  const answering = answeringFollowerRefusal(message, receiver) ?? stickyFollowerRefusal(message, receiver);
  if (answering !== null) return { kind: 'leader_claim', reason: answering };
  return null;
}

/**
 * Pair and witness modes, on a leader: a follower that acknowledged it in its own term within the
 * failover timeout has not left that term, except by a vote this leader sees (a hand-back goes
 * through its vote, see Leadership.isTransferringTo): it campaigns only after a failover timeout
 * without hearing this leader. So a later term in its leader messages or merge offers is a bug or a
 * forgery, and must not depose this leader. After a real cut the follower stopped acknowledging
 * long before it could lead, and a diverged one refuses instead of acknowledging, so neither is
 * held back. Answers are not screened: a leader that was paused (its ticks stood still) must still
 * step down when its follower answers from a later term.
 */
function answeringFollowerRefusal(message: Message, receiver: Receiver): string | null {
  if (!receiver.managesInSyncSet || receiver.role !== 'leader' || message.term <= receiver.term) return null;
  if (
    message.type !== 'append_entries' &&
    message.type !== 'install_snapshot' &&
    message.type !== 'timeout_now' &&
    message.type !== 'merge_offer'
  ) {
    return null;
  }
  const acknowledgedTick = receiver.lastAcknowledgementTick(message.from);
  if (acknowledgedTick === undefined) return null;
  const ticks = receiver.nowTick - acknowledgedTick;
  if (ticks >= receiver.failoverTimeoutTicks) return null;
  return `${message.from} acknowledged this leader in term ${receiver.term} ${ticks} ticks ago`;
}

/**
 * Pair and witness modes never change the voters, so a configuration that names others (in an
 * entry or a snapshot) can only come from a bug or a forgery: taking it would leave this node
 * unable to campaign or to count votes.
 */
function foreignConfiguration(message: Message, receiver: Receiver): string | null {
  if (!receiver.managesInSyncSet) return null;
  const { voters } = receiver.configuration;
  const check = (configuration: Configuration, what: string): string | null => {
    if (!sameMembers(configuration.voters, voters)) {
      return `${what} names voters (${configuration.voters.join(',')}), not (${voters.join(',')})`;
    }
    if (receiver.witnessId !== null && configuration.inSync.includes(receiver.witnessId)) {
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
function leaderClaimRefusal(
  message: AppendEntriesMessage | InstallSnapshotMessage | TimeoutNowMessage,
  receiver: Receiver,
): string | null {
  const { from, term } = message;
  if (term < receiver.term) return null;
  if (!receiver.mayLead(from, term)) return `${from} does not own term ${term}, so it cannot lead it`;
  if (term === receiver.term) {
    const { knownLeader } = receiver;
    if (receiver.role === 'leader') return `this node leads term ${term}`;
    if (knownLeader !== null && knownLeader.term === term && knownLeader.id !== from) {
      return `${knownLeader.id} leads term ${term}`;
    }
    if (message.type === 'timeout_now' && receiver.managesInSyncSet && receiver.leaderId !== from) {
      return `this node does not follow ${from}`;
    }
    return null;
  }
  if (!receiver.managesInSyncSet) return null;
  if (message.type === 'timeout_now')
    return `it comes from term ${term}, not this node's term ${receiver.term}`;
  return null;
}

/**
 * Pair and witness modes: a follower that heard its leader within the failover timeout does not
 * let a message move it to a later term (a real new leader got its vote, or came after a
 * failover timeout of silence). Vote requests have their own rule (PairElectionRules.voteRefusal).
 */
function stickyFollowerRefusal(message: Message, receiver: Receiver): string | null {
  if (!receiver.managesInSyncSet || message.term <= receiver.term || message.type === 'request_vote') {
    return null;
  }
  // A (late) answer to this node's own pre-vote carries the term it asked for, and moves nothing.
  if (message.type === 'request_vote_response' && message.preVote) return null;
  const ticks = receiver.ticksSinceLeaderContact;
  if (receiver.role === 'follower' && receiver.leaderId !== null && ticks < receiver.failoverTimeoutTicks) {
    return `this node follows ${receiver.leaderId} at term ${receiver.term}, heard ${ticks} ticks ago`;
  }
  return null;
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
        index(message.conflictTerm, 'conflictTerm') ??
        (message.leaving === undefined || typeof message.leaving === 'boolean'
          ? null
          : 'leaving is not a boolean')
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
