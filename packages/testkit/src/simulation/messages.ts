// What travels on the simulated network: consensus messages between data nodes, and requests and
// replies between workstations and data nodes (the simulation's stand-in for gRPC).
import type { Entry, Message } from '@tandem/consensus';
import type { Command, Result } from '@tandem/ledger';

/** A client command: everything a workstation may send (never tick or extend_leases). */
export type ClientCommand = Extract<Command, { requestId: string }>;

export interface ClientRequest {
  workstationId: string;
  requestId: string;
  /** Counts the attempts of one operation; every attempt carries the same request id. */
  attempt: number;
  command: ClientCommand;
}

/** Retryable refusals, as the server maps them to gRPC UNAVAILABLE. */
export type ClientErrorCode = 'not_leader' | 'leadership_lost' | 'commit_timeout' | 'overloaded';

export type ClientReplyBody =
  | { kind: 'result'; result: Result; index: number }
  | { kind: 'error'; code: ClientErrorCode; leaderId: string | null };

export interface ClientReply {
  requestId: string;
  attempt: number;
  /** The term of the answering node (for a result: the term of the entry that produced it). */
  term: number;
  nodeId: string;
  body: ClientReplyBody;
}

/**
 * A consensus message. requestSentAtMs: on a request, when it left its sender (by the sender's
 * clock); on an answer, that time of the request it answers (see pending-answers.ts), as a gRPC
 * answer belongs to its call. Absent on other messages, and on an answer matched to no request.
 */
export interface RaftPayload {
  kind: 'raft';
  message: Message;
  requestSentAtMs?: number;
}

export type NetworkPayload =
  | RaftPayload
  | { kind: 'request'; request: ClientRequest }
  | { kind: 'reply'; reply: ClientReply };

/**
 * A deep copy, so that no object is shared between endpoints: what a node does to a message it
 * received can never change the sender's copy or another recipient's. The commonest messages
 * (appends and their answers: flat fields and entries) are copied by hand, which is several times
 * faster than structuredClone; everything else is cloned.
 */
export function copyPayload<P>(payload: P): P {
  const value = payload as unknown as NetworkPayload;
  if (value.kind === 'raft') {
    const message = value.message;
    const timing = value.requestSentAtMs === undefined ? {} : { requestSentAtMs: value.requestSentAtMs };
    if (message.type === 'append_entries') {
      const { entries, ...rest } = message;
      const flat = copyFlat(rest);
      if (flat !== null) {
        const copied = { ...flat, entries: entries.map(copyEntry) } as unknown as Message;
        return { kind: 'raft', message: copied, ...timing } as unknown as P;
      }
    } else if (message.type === 'append_entries_response') {
      const flat = copyFlat(message);
      if (flat !== null)
        return { kind: 'raft', message: flat as unknown as Message, ...timing } as unknown as P;
    }
  }
  return structuredClone(payload);
}

/** A copy of an object whose fields are all primitives, or null when one is not. */
function copyFlat(value: object): Record<string, unknown> | null {
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    if (field !== null && typeof field === 'object') return null;
    copy[key] = field;
  }
  return copy;
}

function copyEntry(entry: Entry): Entry {
  return { index: entry.index, term: entry.term, kind: entry.kind, data: new Uint8Array(entry.data) };
}
