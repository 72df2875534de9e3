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
import { type Configuration, decodeConfiguration, MAX_INDEX, MAX_TERM } from '@tandem/consensus';
import {
  decodeEntryData,
  decodeMergedEntry,
  type LedgerOptions,
  LIMITS,
  MAX_MERGED_ENTRIES,
} from '@tandem/ledger';
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

/**
 * What the receiver checks messages against: the cluster's voters never change in pair and witness
 * modes, so a configuration naming others is refused on the wire, as is one that puts the witness
 * in the in-sync set.
 */
export interface PeerWireContext {
  /** The cluster's voters (data nodes, and the witness in witness mode). */
  voters: readonly NodeId[];
  witnessId: NodeId | null;
  /** The cluster's ledger options, to check the entries a backup offers for a merge. */
  ledger?: Partial<LedgerOptions>;
}

/** Checks configuration bytes (an entry's or a snapshot's) against the cluster; throws naming field. */
export function configurationFromWire(
  data: Uint8Array,
  field: string,
  context: PeerWireContext | null,
): Configuration {
  let configuration: Configuration;
  try {
    configuration = decodeConfiguration(data);
  } catch (error) {
    throw new InvalidArgumentError(field, `is not a valid configuration (${(error as Error).message})`);
  }
  if (context === null) return configuration;
  const sorted = [...configuration.voters].sort();
  const expected = [...context.voters].sort();
  if (sorted.length !== expected.length || sorted.some((id, position) => id !== expected[position])) {
    throw new InvalidArgumentError(
      field,
      `names voters ${sorted.join(',')}, not the cluster's ${expected.join(',')}`,
    );
  }
  if (context.witnessId !== null && configuration.inSync.includes(context.witnessId)) {
    throw new InvalidArgumentError(field, 'puts the witness in the in-sync set');
  }
  if (context.witnessId !== null && (configuration.drained ?? []).includes(context.witnessId)) {
    throw new InvalidArgumentError(field, 'drains the witness, which never leads');
  }
  return configuration;
}

export function entryFromWire(
  entry: WireEntryOutput,
  field: string,
  context: PeerWireContext | null = null,
): Entry {
  const kind = entryKindFromWire(entry.kind, `${field}.kind`);
  const data = bytesFromWire(entry.data);
  // The core decodes configuration entries as it appends them.
  if (kind === 'configuration') configurationFromWire(data, `${field}.data`, context);
  return {
    index: wireIndex(entry.index, `${field}.index`, 1),
    term: wireTerm(entry.term, `${field}.term`, 1),
    kind,
    data,
  };
}

/** A non-negative safe integer (protobuf uint64 arrives as a Number that may have lost precision). */
export function wireInteger(
  value: number,
  field: string,
  minimum = 0,
  maximum = Number.MAX_SAFE_INTEGER,
): number {
  if (!Number.isSafeInteger(value) || value < minimum || value > maximum) {
    throw new InvalidArgumentError(field, `must be an integer in ${minimum}..${maximum}, not ${value}`);
  }
  return value;
}

/** A term: no node takes one above MAX_TERM (see the consensus README, "Messages from peers"). */
export function wireTerm(value: number, field: string, minimum = 0): number {
  return wireInteger(value, field, minimum, MAX_TERM);
}

/** A log index, bounded like a term. */
export function wireIndex(value: number, field: string, minimum = 0): number {
  return wireInteger(value, field, minimum, MAX_INDEX);
}

/**
 * A replicated ledger command: the follower applies it once committed, and its ledger stops the
 * node on bytes it cannot decode or an impossible time. A command that decodes but is invalid is
 * fine: the ledger answers it with invalid_command on every node alike.
 */
function checkLedgerEntryData(data: Uint8Array, field: string): void {
  let timestampMs: number;
  try {
    timestampMs = decodeEntryData(data).timestampMs;
  } catch (error) {
    throw new InvalidArgumentError(field, `is not a ledger entry (${(error as Error).message})`);
  }
  if (!Number.isSafeInteger(timestampMs) || timestampMs < 0 || timestampMs > LIMITS.timeMaxMs) {
    throw new InvalidArgumentError(field, `has an impossible timestamp ${timestampMs}`);
  }
}

/**
 * A log position (index, term): index 0 is the empty log's and has term 0; every later index has a
 * term of at least 1, and none is newer than the message's own term.
 */
function wirePosition(
  index: number,
  term: number,
  indexField: string,
  termField: string,
  messageTerm: number,
): { index: number; term: number } {
  const checkedIndex = wireIndex(index, indexField);
  const checkedTerm = wireTerm(term, termField);
  if (checkedTerm > messageTerm) {
    throw new InvalidArgumentError(
      termField,
      `${checkedTerm} is newer than the message's term ${messageTerm}`,
    );
  }
  if ((checkedIndex === 0) !== (checkedTerm === 0)) {
    throw new InvalidArgumentError(termField, `${checkedTerm} cannot be the term of index ${checkedIndex}`);
  }
  return { index: checkedIndex, term: checkedTerm };
}

/**
 * Entries that follow `previous` one by one, with terms that never go down and are never newer than
 * the sender's term.
 */
function entriesFromWire(
  wires: WireEntryOutput[],
  previous: { index: number; term: number },
  messageTerm: number,
  context: PeerWireContext | null,
  ledgerEntries: boolean,
): Entry[] {
  let last = previous;
  return wires.map((wire, position) => {
    const field = `entries[${position}]`;
    const entry = entryFromWire(wire, field, context);
    if (ledgerEntries && entry.kind === 'normal') checkLedgerEntryData(entry.data, `${field}.data`);
    if (entry.index !== last.index + 1) {
      throw new InvalidArgumentError(`${field}.index`, `is ${entry.index}, expected ${last.index + 1}`);
    }
    if (entry.term < last.term || entry.term > messageTerm) {
      throw new InvalidArgumentError(
        `${field}.term`,
        `${entry.term} is outside ${last.term}..${messageTerm}`,
      );
    }
    last = entry;
    return entry;
  });
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
  context: PeerWireContext | null = null,
): AppendEntriesMessage {
  const term = wireTerm(request.term, 'term', 1);
  const previous = wirePosition(
    request.prevLogIndex,
    request.prevLogTerm,
    'prev_log_index',
    'prev_log_term',
    term,
  );
  if (request.entries.length > MAX_ENTRIES_PER_APPEND) {
    throw new InvalidArgumentError('entries', `holds more than ${MAX_ENTRIES_PER_APPEND} entries`);
  }
  return {
    type: 'append_entries',
    from: request.leaderId,
    to,
    term,
    prevLogIndex: previous.index,
    prevLogTerm: previous.term,
    entries: entriesFromWire(request.entries, previous, term, context, true),
    leaderCommit: wireIndex(request.leaderCommit, 'leader_commit'),
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
  const term = wireTerm(request.term, 'term', 1);
  const last = wirePosition(
    request.lastLogIndex,
    request.lastLogTerm,
    'last_log_index',
    'last_log_term',
    term,
  );
  return {
    type: 'request_vote',
    from: request.candidateId,
    to,
    term,
    lastLogIndex: last.index,
    lastLogTerm: last.term,
    preVote: request.preVote,
    leadershipTransfer: request.leadershipTransfer,
  };
}

/** At most this many entries in one merge offer (a backup offers at most this many). */
export const MAX_ENTRIES_PER_MERGE_OFFER_ON_WIRE = MAX_MERGED_ENTRIES;

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

/**
 * Checks an offered entry's data: a backup describes each solo 'normal' entry as a ledger merged
 * entry (its command and its own answer) for the same index and term. The main builds a merge
 * command from these, so anything else is refused here, not found out while proposing.
 */
function checkMergedEntryData(entry: Entry, field: string, ledger: Partial<LedgerOptions> | undefined): void {
  const decoded = decodeMergedEntry(entry.data, entry, ledger);
  if (!decoded.ok) {
    const inner = decoded.field === '' ? '' : `.${decoded.field}`;
    throw new InvalidArgumentError(`${field}.data${inner}`, decoded.message);
  }
}

export function mergeOfferFromWire(
  request: MergeOfferRequest__Output,
  to: NodeId,
  context: PeerWireContext | null = null,
): MergeOfferMessage {
  const term = wireTerm(request.term, 'term', 1);
  const stretchStartIndex = wireIndex(request.stretchStartIndex, 'stretch_start_index', 1);
  const firstIndex = wireIndex(request.firstIndex, 'first_index', stretchStartIndex);
  const throughIndex = wireIndex(request.throughIndex, 'through_index', firstIndex);
  if (request.entries.length > MAX_ENTRIES_PER_MERGE_OFFER_ON_WIRE) {
    throw new InvalidArgumentError(
      'entries',
      `holds more than ${MAX_ENTRIES_PER_MERGE_OFFER_ON_WIRE} entries`,
    );
  }
  if (request.entries.length !== throughIndex - firstIndex + 1) {
    throw new InvalidArgumentError('entries', `must hold the entries ${firstIndex}..${throughIndex}`);
  }
  const entries = entriesFromWire(request.entries, { index: firstIndex - 1, term: 1 }, term, context, false);
  entries.forEach((entry, position) => {
    if (entry.kind === 'normal') checkMergedEntryData(entry, `entries[${position}]`, context?.ledger);
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
  return { type: 'timeout_now', from: request.leaderId, to, term: wireTerm(request.term, 'term', 1) };
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
    leaving: message.leaving === true,
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
    matchIndex: wireIndex(response.matchIndex, 'match_index'),
    conflictIndex: wireIndex(response.conflictIndex, 'conflict_index'),
    conflictTerm: wireTerm(response.conflictTerm, 'conflict_term'),
    ...(response.leaving ? { leaving: true } : {}),
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
    stretchStartIndex: wireIndex(response.stretchStartIndex, 'stretch_start_index'),
    mergedThroughIndex: wireIndex(response.mergedThroughIndex, 'merged_through_index'),
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
  return wireTerm(header.term, 'header.term');
}
