// Conversions between the core's messages to and from the witness and WitnessService's protobuf
// messages. A leader's heartbeat to the witness is an append_entries without entries in the core
// and a WitnessHeartbeatRequest on the wire; an in-sync record is a witness_record in the core and
// a RecordInSyncRequest on the wire. What arrives from the network is checked here, because the
// witness core asserts on a malformed message.
import type {
  AppendEntriesMessage,
  AppendEntriesResponseMessage,
  NodeId,
  WitnessRecordMessage,
  WitnessRecordResponseMessage,
} from '@tandem/consensus';
import type {
  RecordInSyncRequest,
  RecordInSyncRequest__Output,
  RecordInSyncResponse__Output,
  WitnessHeartbeatRequest,
  WitnessHeartbeatRequest__Output,
  WitnessHeartbeatResponse__Output,
} from '@tandem/wire';
import { InvalidArgumentError } from './errors.js';
import { wireIndex, wireTerm } from './peer-messages.js';

export function heartbeatToWire(message: AppendEntriesMessage): WitnessHeartbeatRequest {
  if (message.entries.length > 0) throw new Error('the core sent entries to the witness');
  return { term: message.term, leaderId: message.from, commitIndex: message.leaderCommit };
}

export function heartbeatFromWire(
  request: WitnessHeartbeatRequest__Output,
  to: NodeId,
): AppendEntriesMessage {
  return {
    type: 'append_entries',
    from: request.leaderId,
    to,
    term: wireTerm(request.term, 'term', 1),
    prevLogIndex: 0,
    prevLogTerm: 0,
    entries: [],
    leaderCommit: wireIndex(request.commitIndex, 'commit_index'),
  };
}

export function heartbeatResponseFromWire(
  response: WitnessHeartbeatResponse__Output,
  from: NodeId,
  to: NodeId,
): AppendEntriesResponseMessage {
  return {
    type: 'append_entries_response',
    from,
    to,
    term: headerTerm(response.header),
    success: response.success,
    matchIndex: 0,
    conflictIndex: 0,
    conflictTerm: 0,
  };
}

export function recordToWire(message: WitnessRecordMessage): RecordInSyncRequest {
  return {
    term: message.term,
    leaderId: message.from,
    inSync: [...message.inSync],
    configurationIndex: message.configurationIndex,
    acknowledgedIndex: message.acknowledgedIndex,
  };
}

/** Checks the set against the data nodes: non-empty, distinct, and holding the leader itself. */
export function recordFromWire(
  request: RecordInSyncRequest__Output,
  to: NodeId,
  dataNodeIds: readonly NodeId[],
): WitnessRecordMessage {
  const inSync = request.inSync;
  if (inSync.length === 0) throw new InvalidArgumentError('in_sync', 'is empty');
  if (new Set(inSync).size !== inSync.length) throw new InvalidArgumentError('in_sync', 'names a node twice');
  for (const id of inSync) {
    if (!dataNodeIds.includes(id)) {
      throw new InvalidArgumentError('in_sync', `"${id.slice(0, 64)}" is not a data node`);
    }
  }
  // Informational only, but checked like every other field.
  wireIndex(request.lastIndex, 'last_index');
  if (!inSync.includes(request.leaderId)) {
    throw new InvalidArgumentError('in_sync', `does not hold the leader "${request.leaderId}"`);
  }
  return {
    type: 'witness_record',
    from: request.leaderId,
    to,
    term: wireTerm(request.term, 'term', 1),
    inSync: [...inSync],
    acknowledgedIndex: wireIndex(request.acknowledgedIndex, 'acknowledged_index'),
    configurationIndex: wireIndex(request.configurationIndex, 'configuration_index'),
  };
}

/** The answer carries no configuration index: the sender fills in the one it asked about. */
export function recordResponseFromWire(
  response: RecordInSyncResponse__Output,
  from: NodeId,
  to: NodeId,
  configurationIndex: number,
): WitnessRecordResponseMessage {
  return {
    type: 'witness_record_response',
    from,
    to,
    term: headerTerm(response.header),
    success: response.accepted,
    configurationIndex,
  };
}

function headerTerm(header: { term: number } | null): number {
  if (header === null) throw new InvalidArgumentError('header', 'is required');
  return wireTerm(header.term, 'header.term');
}
