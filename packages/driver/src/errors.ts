// The driver's operational errors. They carry a code and whether a retry may succeed; the server
// maps them to gRPC statuses at its edge, the simulation to its workstations' error replies.

/**
 * Why the driver did not carry out a client operation. Every one but too_large is safe to retry
 * with the same request id: the operation was not applied, or will be applied once only.
 */
export type RefusalCode =
  | 'not_leader'
  | 'overloaded'
  | 'leadership_lost'
  | 'commit_timeout'
  | 'shutting_down'
  | 'too_large';

export class DriverRefusal extends Error {
  readonly code: RefusalCode;
  readonly retryable: boolean;
  /** The leader as this node knows it, when it does (a hint for a redirect). */
  readonly leaderId: string | null;

  constructor(code: RefusalCode, message: string, leaderId: string | null = null) {
    super(message);
    this.name = 'DriverRefusal';
    this.code = code;
    this.retryable = code !== 'too_large';
    this.leaderId = leaderId;
  }
}

/** A snapshot whose bytes are not a node snapshot (see log-hash.ts); the field is always `data`. */
export class SnapshotDataError extends Error {
  readonly field = 'data';
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'SnapshotDataError';
  }
}
