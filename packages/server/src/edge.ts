// The server edge: the one place where ledger results and operational errors become gRPC
// statuses and metadata. Handlers below the edge throw typed errors and return plain objects.
import * as grpc from '@grpc/grpc-js';
import type { RejectionReason } from '@tandem/ledger';
import type { NodeState, ResponseHeader, Role } from '@tandem/wire';
import {
  FIELD_KEY,
  LEADER_ADDRESS_KEY,
  LEADER_ID_KEY,
  REASON_KEY,
  REJECTION_STATUS,
  TERM_KEY,
} from '@tandem/wire';
import type { NodeRole } from './config.js';
import {
  InvalidArgumentError,
  NotFoundError,
  OperationalError,
  PermissionError,
  PreconditionError,
} from './errors.js';
import type { Logger } from './logger.js';
import type { ReplicaStatus } from './replica.js';

/**
 * A business rejection on its way to the edge: the ledger's, or the edge's own pre-check that gives
 * the same answer without proposing (and may name the request field it is about).
 */
export class RejectionError extends Error {
  readonly code: RejectionReason;
  readonly retryable = false;
  constructor(
    readonly reason: RejectionReason,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
    this.code = reason;
    this.name = 'RejectionError';
  }
}

/** What the edge needs to know about the node to stamp headers and leader hints. */
export interface EdgeContext {
  nodeId: string;
  role: NodeRole;
  logger: Logger;
  status(): ReplicaStatus;
  /** The advertised address of a node id, if known. */
  addressOf(nodeId: string): string | null;
}

const ROLE_TO_WIRE: Record<NodeRole, Role> = {
  main: 'ROLE_MAIN',
  backup: 'ROLE_BACKUP',
  witness: 'ROLE_WITNESS',
};
const STATE_TO_WIRE: Record<ReplicaStatus['role'], NodeState> = {
  leader: 'NODE_STATE_LEADER',
  follower: 'NODE_STATE_FOLLOWER',
  candidate: 'NODE_STATE_CANDIDATE',
  pre_candidate: 'NODE_STATE_PRE_CANDIDATE',
};

export function roleToWire(role: NodeRole): Role {
  return ROLE_TO_WIRE[role];
}

export function stateToWire(state: ReplicaStatus['role']): NodeState {
  return STATE_TO_WIRE[state];
}

export function responseHeader(context: EdgeContext, appliedIndex?: number): ResponseHeader {
  const status = context.status();
  return {
    term: status.term,
    role: ROLE_TO_WIRE[context.role],
    state: STATE_TO_WIRE[status.role],
    nodeId: context.nodeId,
    leaderId: status.leaderId ?? '',
    leaderAddress: status.leaderId === null ? '' : (context.addressOf(status.leaderId) ?? ''),
    appliedIndex: appliedIndex ?? status.appliedIndex,
  };
}

export function toServiceError(error: unknown, context: EdgeContext): Partial<grpc.StatusObject> {
  const metadata = new grpc.Metadata();
  const status = context.status();
  metadata.set(TERM_KEY, String(status.term));
  if (error instanceof RejectionError) {
    metadata.set(REASON_KEY, error.reason);
    if (error.field !== null) metadata.set(FIELD_KEY, error.field);
    return { code: REJECTION_STATUS[error.reason], details: `${error.reason}: ${error.message}`, metadata };
  }
  if (error instanceof InvalidArgumentError) {
    metadata.set(FIELD_KEY, error.field);
    if (error.reason !== null) {
      metadata.set(REASON_KEY, error.reason);
      return { code: grpc.status.INVALID_ARGUMENT, details: `${error.reason}: ${error.message}`, metadata };
    }
    return { code: grpc.status.INVALID_ARGUMENT, details: error.message, metadata };
  }
  if (error instanceof PermissionError) {
    metadata.set(FIELD_KEY, error.field);
    return { code: grpc.status.PERMISSION_DENIED, details: error.message, metadata };
  }
  if (error instanceof NotFoundError) {
    metadata.set(FIELD_KEY, error.field);
    return { code: grpc.status.NOT_FOUND, details: error.message, metadata };
  }
  if (error instanceof PreconditionError) {
    // Not a ledger reason: clients treat it as final rather than as a replicated rejection.
    metadata.set(FIELD_KEY, error.field);
    metadata.set(REASON_KEY, error.code);
    return { code: grpc.status.FAILED_PRECONDITION, details: `${error.code}: ${error.message}`, metadata };
  }
  if (error instanceof OperationalError) {
    const leaderId = error.leaderId ?? status.leaderId;
    if (leaderId !== null && leaderId !== context.nodeId) {
      metadata.set(LEADER_ID_KEY, leaderId);
      const address = context.addressOf(leaderId);
      if (address !== null) metadata.set(LEADER_ADDRESS_KEY, address);
    }
    // Overload is UNAVAILABLE rather than RESOURCE_EXHAUSTED, which clients read as a seat or quota
    // rejection; every other operational error is worth retrying elsewhere or later.
    const code = error.code === 'not_implemented' ? grpc.status.UNIMPLEMENTED : grpc.status.UNAVAILABLE;
    return { code, details: `${error.code}: ${error.message}`, metadata };
  }
  context.logger.error('unexpected error in a handler', { error: String((error as Error)?.stack ?? error) });
  return { code: grpc.status.INTERNAL, details: 'internal error', metadata };
}

/** Wraps an async handler into a grpc-js unary handler that maps every failure at the edge. */
export function unary<Request, Response>(
  context: EdgeContext,
  handler: (request: Request, call: grpc.ServerUnaryCall<Request, Response>) => Promise<Response> | Response,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    let pending: Promise<Response>;
    try {
      pending = Promise.resolve(handler(call.request, call));
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (response) => callback(null, response),
      (error: unknown) => callback(toServiceError(error, context)),
    );
  };
}
