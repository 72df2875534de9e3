// What travels on the simulated network: consensus messages between data nodes, and requests and
// replies between workstations and data nodes (the simulation's stand-in for gRPC).
import type { Message } from '@tandem/consensus';
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

export type NetworkPayload =
  | { kind: 'raft'; message: Message }
  | { kind: 'request'; request: ClientRequest }
  | { kind: 'reply'; reply: ClientReply };

/**
 * A deep copy, so that no object is shared between endpoints: what a node does to a message it
 * received can never change the sender's copy or another recipient's.
 */
export function copyPayload<P>(payload: P): P {
  return structuredClone(payload);
}
