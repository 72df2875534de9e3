// Operational errors of the consensus core: a proposal that cannot be taken right now. Each has a
// code and says whether a retry (possibly at another node) can succeed. Programmer errors (a
// malformed message, an impossible state) are assertions instead.
import type { NodeId } from './types.js';

export type ConsensusErrorCode =
  | 'not_leader'
  | 'leadership_transfer_in_progress'
  | 'backpressure'
  | 'configuration_change_pending'
  | 'drain_refused';

export abstract class ConsensusError extends Error {
  abstract readonly code: ConsensusErrorCode;
  abstract readonly retryable: boolean;
}

/** This node does not lead; leaderId is the leader it knows of for its term, if any. */
export class NotLeaderError extends ConsensusError {
  readonly code = 'not_leader';
  readonly retryable = true;
  constructor(
    readonly leaderId: NodeId | null,
    readonly term: number,
  ) {
    super(`not the leader (term ${term}, leader ${leaderId ?? 'unknown'})`);
    this.name = 'NotLeaderError';
  }
}

/** The leader is handing leadership to transfereeId and takes no proposals meanwhile. */
export class LeadershipTransferInProgressError extends ConsensusError {
  readonly code = 'leadership_transfer_in_progress';
  readonly retryable = true;
  constructor(readonly transfereeId: NodeId) {
    super(`leadership is being transferred to ${transfereeId}`);
    this.name = 'LeadershipTransferInProgressError';
  }
}

/** Too many entries are uncommitted; the proposal may be retried once some commit. */
export class ProposalBackpressureError extends ConsensusError {
  readonly code = 'backpressure';
  readonly retryable = true;
  constructor(
    readonly uncommittedEntries: number,
    readonly maxUncommittedEntries: number,
  ) {
    super(`${uncommittedEntries} entries are uncommitted (limit ${maxUncommittedEntries})`);
    this.name = 'ProposalBackpressureError';
  }
}

/** A configuration entry is still uncommitted; only one change may be in flight at a time. */
export class ConfigurationChangePendingError extends ConsensusError {
  readonly code = 'configuration_change_pending';
  readonly retryable = true;
  constructor(readonly pendingIndex: number) {
    super(`the configuration entry at index ${pendingIndex} is not committed yet`);
    this.name = 'ConfigurationChangePendingError';
  }
}

/** Why a drain or undrain cannot be done (see RaftNode.setDrained). */
export type DrainRefusal = 'unsupported' | 'not_data_node' | 'no_leader_left' | 'no_successor';

/**
 * A drain or undrain the cluster cannot carry out as it stands: not retryable as such (the operator
 * must first bring the other node into sync, or undrain it).
 */
export class DrainRefusedError extends ConsensusError {
  readonly code = 'drain_refused';
  readonly retryable = false;
  constructor(
    readonly reason: DrainRefusal,
    message: string,
  ) {
    super(message);
    this.name = 'DrainRefusedError';
  }
}
