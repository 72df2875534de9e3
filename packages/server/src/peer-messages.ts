// Conversions between the consensus core's messages and PeerService's protobuf messages. Everything
// that arrives from the network is checked here before it reaches the core, because the core treats
// a malformed message as an impossible state and asserts.
import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  Entry,
  EntryKind,
  InstallSnapshotResponseMessage,
  MergeOfferMessage,
  MergeOfferResponseMessage,
  Message,
  NodeId,
  RequestVoteMessage,
  RequestVoteResponseMessage,
  TimeoutNowMessage,
} from '@tandem/consensus';
import { decodeConfiguration } from '@tandem/consensus';
import type {
  AppendEntriesRequest,
  AppendEntriesRequest__Output,
  AppendEntriesResponse,
  AppendEntriesResponse__Output,
  InstallSnapshotResponse__Output,
  MergeOfferRequest,
  MergeOfferRequest__Output,
  MergeOfferResponse,
  MergeOfferResponse__Output,
  RequestVoteRequest,
  RequestVoteRequest__Output,
  RequestVoteResponse,
  RequestVoteResponse__Output,
  TimeoutNowRequest,
  TimeoutNowRequest__Output,
  Entry as WireEntry,
  EntryKind__Output as WireEntryKind,
  Entry__Output as WireEntryOutput,
} from '@tandem/wire';
import type { TandemConfig } from './config.js';
import { InvalidArgumentError } from './errors.js';

/** The messages a node sends as RPCs; the other kinds travel back as their answers. */
export type PeerRequestMessage = Extract<
  Message,
  { type: 'append_entries' | 'request_vote' | 'install_snapshot' | 'timeout_now' | 'merge_offer' }
>;
export type PeerResponseMessage = Extract<
  Message,
  {
    type:
      | 'append_entries_response'
      | 'request_vote_response'
      | 'install_snapshot_response'
      | 'merge_offer_response';
  }
>;
export type PeerResponseType = PeerResponseMessage['type'];

/** At most this many entries in one append, whatever the sender's configuration says. */
export const MAX_ENTRIES_PER_APPEND = 65_536;

export function isPeerRequest(message: Message): message is PeerRequestMessage {
  return (
    message.type === 'append_entries' ||
    message.type === 'request_vote' ||
    message.type === 'install_snapshot' ||
    message.type === 'timeout_now' ||
    message.type === 'merge_offer'
  );
}

export function isPeerResponse(message: Message): message is PeerResponseMessage {
  return !isPeerRequest(message);
}

/**
 * How large replication messages may be. Every message a node receives is bounded by
 * limits.maxRequestBytes (the gRPC server's limit), so entries and appends use half of it and leave
 * the other half for framing; snapshot chunks are 1 MiB unless that does not fit.
 */
export interface PeerMessageLimits {
  maxEntryBytes: number;
  maxBytesPerMessage: number;
  snapshotChunkBytes: number;
}

export const SNAPSHOT_CHUNK_BYTES = 1024 * 1024;

export function peerMessageLimits(config: TandemConfig): PeerMessageLimits {
  const half = Math.floor(config.limits.maxRequestBytes / 2);
  return {
    maxEntryBytes: half,
    maxBytesPerMessage: half,
    snapshotChunkBytes: Math.min(SNAPSHOT_CHUNK_BYTES, half),
  };
}

// ---------------------------------------------------------------------------------------------
// Bytes and entries.

/** A Buffer over the same memory: protobufjs writes Buffers without copying them again. */
export function bytesToWire(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array over the same memory, so that the core and storage see the type they expect. */
export function bytesFromWire(bytes: Buffer | Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const KIND_TO_WIRE: Record<EntryKind, WireEntryKind> = {
  normal: 'ENTRY_KIND_NORMAL',
  noop: 'ENTRY_KIND_NOOP',
  configuration: 'ENTRY_KIND_CONFIGURATION',
};

const KIND_FROM_WIRE: Partial<Record<string, EntryKind>> = {
  ENTRY_KIND_NORMAL: 'normal',
  ENTRY_KIND_NOOP: 'noop',
  ENTRY_KIND_CONFIGURATION: 'configuration',
};

export function entryKindToWire(kind: EntryKind): WireEntryKind {
  return KIND_TO_WIRE[kind];
}

export function entryKindFromWire(kind: string, field: string): EntryKind {
  const converted = KIND_FROM_WIRE[kind];
  if (converted === undefined) throw new InvalidArgumentError(field, `unknown entry kind ${kind}`);
  return converted;
}

export function entryToWire(entry: Entry): WireEntry {
  return {
    index: entry.index,
    term: entry.term,
    kind: entryKindToWire(entry.kind),
    data: bytesToWire(entry.data),
  };
}

export function entryFromWire(entry: WireEntryOutput, field: string): Entry {
  const kind = entryKindFromWire(entry.kind, `${field}.kind`);
  const data = bytesFromWire(entry.data);
  if (kind === 'configuration') {
    // The core decodes configuration entries as it appends them and asserts on garbage.
    try {
      decodeConfiguration(data);
    } catch (error) {
      throw new InvalidArgumentError(
        `${field}.data`,
        `not a valid configuration (${(error as Error).message})`,
      );
    }
  }
  return {
    index: wireInteger(entry.index, `${field}.index`, 1),
    term: wireInteger(entry.term, `${field}.term`, 1),
    kind,
    data,
  };
}

/** A non-negative safe integer (protobuf uint64 arrives as a Number that may have lost precision). */
export function wireInteger(value: number, field: string, minimum = 0): number {
  if (!Number.isSafeInteger(value) || value < minimum) {
    throw new InvalidArgumentError(field, `must be an integer of at least ${minimum}, not ${value}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Requests: the sender's side turns a core message into a request, the receiver's side turns the
// request back into a core message addressed to itself.

export function appendEntriesToWire(message: AppendEntriesMessage): AppendEntriesRequest {
  return {
    term: message.term,
    leaderId: message.from,
    prevLogIndex: message.prevLogIndex,
    prevLogTerm: message.prevLogTerm,
    entries: message.entries.map(entryToWire),
    leaderCommit: message.leaderCommit,
  };
}

export function appendEntriesFromWire(
  request: AppendEntriesRequest__Output,
  to: NodeId,
): AppendEntriesMessage {
  const term = wireInteger(request.term, 'term');
  const prevLogIndex = wireInteger(request.prevLogIndex, 'prev_log_index');
  const prevLogTerm = wireInteger(request.prevLogTerm, 'prev_log_term');
  if (request.entries.length > MAX_ENTRIES_PER_APPEND) {
    throw new InvalidArgumentError('entries', `holds more than ${MAX_ENTRIES_PER_APPEND} entries`);
  }
  // A log is contiguous and its terms never go down, and no entry is newer than its leader.
  let previous = { index: prevLogIndex, term: prevLogTerm };
  const entries = request.entries.map((wire, position) => {
    const field = `entries[${position}]`;
    const entry = entryFromWire(wire, field);
    if (entry.index !== previous.index + 1) {
      throw new InvalidArgumentError(`${field}.index`, `is ${entry.index}, expected ${previous.index + 1}`);
    }
    if (entry.term < previous.term || entry.term > term) {
      throw new InvalidArgumentError(`${field}.term`, `${entry.term} is outside ${previous.term}..${term}`);
    }
    previous = entry;
    return entry;
  });
  return {
    type: 'append_entries',
    from: request.leaderId,
    to,
    term,
    prevLogIndex,
    prevLogTerm,
    entries,
    leaderCommit: wireInteger(request.leaderCommit, 'leader_commit'),
  };
}

export function requestVoteToWire(message: RequestVoteMessage): RequestVoteRequest {
  return {
    term: message.term,
    candidateId: message.from,
    lastLogIndex: message.lastLogIndex,
    lastLogTerm: message.lastLogTerm,
    preVote: message.preVote,
    leadershipTransfer: message.leadershipTransfer,
  };
}

export function requestVoteFromWire(request: RequestVoteRequest__Output, to: NodeId): RequestVoteMessage {
  return {
    type: 'request_vote',
    from: request.candidateId,
    to,
    term: wireInteger(request.term, 'term'),
    lastLogIndex: wireInteger(request.lastLogIndex, 'last_log_index'),
    lastLogTerm: wireInteger(request.lastLogTerm, 'last_log_term'),
    preVote: request.preVote,
    leadershipTransfer: request.leadershipTransfer,
  };
}

/** At most this many entries in one merge offer, whatever the sender says. */
export const MAX_ENTRIES_PER_MERGE_OFFER_ON_WIRE = 65_536;

export function mergeOfferToWire(message: MergeOfferMessage): MergeOfferRequest {
  return {
    term: message.term,
    backupId: message.from,
    stretchStartIndex: message.stretchStartIndex,
    firstIndex: message.firstIndex,
    throughIndex: message.throughIndex,
    entries: message.entries.map(entryToWire),
    incomplete: message.incomplete,
  };
}

export function mergeOfferFromWire(request: MergeOfferRequest__Output, to: NodeId): MergeOfferMessage {
  const term = wireInteger(request.term, 'term');
  const stretchStartIndex = wireInteger(request.stretchStartIndex, 'stretch_start_index', 1);
  const firstIndex = wireInteger(request.firstIndex, 'first_index', 1);
  const throughIndex = wireInteger(request.throughIndex, 'through_index', firstIndex);
  if (request.entries.length > MAX_ENTRIES_PER_MERGE_OFFER_ON_WIRE) {
    throw new InvalidArgumentError(
      'entries',
      `holds more than ${MAX_ENTRIES_PER_MERGE_OFFER_ON_WIRE} entries`,
    );
  }
  if (request.entries.length !== throughIndex - firstIndex + 1) {
    throw new InvalidArgumentError('entries', `must hold the entries ${firstIndex}..${throughIndex}`);
  }
  const entries = request.entries.map((wire, position) => {
    const field = `entries[${position}]`;
    const entry = entryFromWire(wire, field);
    if (entry.index !== firstIndex + position) {
      throw new InvalidArgumentError(
        `${field}.index`,
        `is ${entry.index}, expected ${firstIndex + position}`,
      );
    }
    return entry;
  });
  return {
    type: 'merge_offer',
    from: request.backupId,
    to,
    term,
    stretchStartIndex,
    firstIndex,
    throughIndex,
    entries,
    incomplete: request.incomplete,
  };
}

export function timeoutNowToWire(message: TimeoutNowMessage): TimeoutNowRequest {
  return { term: message.term, leaderId: message.from };
}

export function timeoutNowFromWire(request: TimeoutNowRequest__Output, to: NodeId): TimeoutNowMessage {
  return { type: 'timeout_now', from: request.leaderId, to, term: wireInteger(request.term, 'term') };
}

// ---------------------------------------------------------------------------------------------
// Responses. The header's term is the message's term, which is not always the responder's current
// term: a granted pre-vote carries the term the candidate proposed.

export function appendEntriesResponseToWire(
  message: AppendEntriesResponseMessage,
): Omit<AppendEntriesResponse, 'header'> {
  return {
    success: message.success,
    matchIndex: message.matchIndex,
    conflictIndex: message.conflictIndex,
    conflictTerm: message.conflictTerm,
  };
}

export function appendEntriesResponseFromWire(
  response: AppendEntriesResponse__Output,
  from: NodeId,
  to: NodeId,
): AppendEntriesResponseMessage {
  return {
    type: 'append_entries_response',
    from,
    to,
    term: headerTerm(response.header),
    success: response.success,
    matchIndex: wireInteger(response.matchIndex, 'match_index'),
    conflictIndex: wireInteger(response.conflictIndex, 'conflict_index'),
    conflictTerm: wireInteger(response.conflictTerm, 'conflict_term'),
  };
}

export function mergeOfferResponseToWire(
  message: MergeOfferResponseMessage,
): Omit<MergeOfferResponse, 'header'> {
  return {
    stretchStartIndex: message.stretchStartIndex,
    mergedThroughIndex: message.mergedThroughIndex,
  };
}

export function mergeOfferResponseFromWire(
  response: MergeOfferResponse__Output,
  from: NodeId,
  to: NodeId,
): MergeOfferResponseMessage {
  return {
    type: 'merge_offer_response',
    from,
    to,
    term: headerTerm(response.header),
    stretchStartIndex: wireInteger(response.stretchStartIndex, 'stretch_start_index'),
    mergedThroughIndex: wireInteger(response.mergedThroughIndex, 'merged_through_index'),
  };
}

export function requestVoteResponseToWire(
  message: RequestVoteResponseMessage,
): Omit<RequestVoteResponse, 'header'> {
  return { voteGranted: message.voteGranted, preVote: message.preVote };
}

export function requestVoteResponseFromWire(
  response: RequestVoteResponse__Output,
  from: NodeId,
  to: NodeId,
): RequestVoteResponseMessage {
  return {
    type: 'request_vote_response',
    from,
    to,
    term: headerTerm(response.header),
    voteGranted: response.voteGranted,
    preVote: response.preVote,
  };
}

/**
 * InstallSnapshotResponse has no match index: a follower that took the snapshot holds everything
 * up to the snapshot's index, which is what the leader records (a conservative match).
 */
export function installSnapshotResponseFromWire(
  response: InstallSnapshotResponse__Output,
  from: NodeId,
  to: NodeId,
  snapshotIndex: number,
): InstallSnapshotResponseMessage {
  return {
    type: 'install_snapshot_response',
    from,
    to,
    term: headerTerm(response.header),
    success: response.success,
    matchIndex: response.success ? snapshotIndex : 0,
  };
}

function headerTerm(header: { term: number } | null): number {
  if (header === null) throw new InvalidArgumentError('header', 'is required');
  return wireInteger(header.term, 'header.term');
}
