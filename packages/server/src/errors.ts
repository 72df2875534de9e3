// Operational errors: things that go wrong around the ledger rather than in it. They carry a
// code and whether a retry (with the same request id) can succeed; the server edge maps them to
// gRPC statuses, and nothing below the edge knows about gRPC.

export type OperationalErrorCode =
  | 'not_leader'
  | 'overloaded'
  | 'commit_timeout'
  | 'leadership_lost'
  | 'shutting_down'
  | 'not_implemented'
  | 'transfer_failed'
  /** A fresh ledger whose leader has not recorded the cluster id yet: licence files wait for it. */
  | 'cluster_id_pending';

export class OperationalError extends Error {
  constructor(
    readonly code: OperationalErrorCode,
    message: string,
    readonly retryable: boolean,
    readonly leaderId: string | null = null,
    readonly leaderAddress: string | null = null,
  ) {
    super(message);
    this.name = 'OperationalError';
  }
}

/**
 * A request that fails validation; `field` is the request's field in snake_case. `reason` says more
 * where a client may act on it (a licence file's signature that does not verify, for instance).
 */
export class InvalidArgumentError extends Error {
  readonly code = 'invalid_argument';
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
    readonly reason: string | null = null,
  ) {
    super(`${field}: ${message}`);
    this.name = 'InvalidArgumentError';
  }
}

/** A read or a pre-check that names something the ledger does not have. */
export class NotFoundError extends Error {
  readonly code = 'not_found';
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'NotFoundError';
  }
}

/**
 * A request this node will not serve in its current state, although the ledger might accept it
 * elsewhere: a licence without redundancy while the backup leads. Final for this node.
 */
export class PreconditionError extends Error {
  readonly retryable = false;
  constructor(
    readonly code: 'licence_not_redundant' | 'drain_refused',
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'PreconditionError';
  }
}

/**
 * An authenticated caller asking for something its identity does not allow: a peer speaking for
 * another node id, a workstation touching another workstation's lease. Never retryable.
 */
export class PermissionError extends Error {
  readonly code = 'permission_denied';
  readonly retryable = false;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'PermissionError';
  }
}
