// Names and values that travel beside messages rather than in them.
import * as grpc from '@grpc/grpc-js';
import type { RejectionReason } from '@tandem/ledger';

/** Trailing metadata on a follower's UNAVAILABLE refusal: where the leader is. */
export const LEADER_ADDRESS_KEY = 'tandem-leader-address';
export const LEADER_ID_KEY = 'tandem-leader-id';
/** Trailing metadata on a business rejection: the ledger's reason, e.g. seat_limit_reached. */
export const REASON_KEY = 'tandem-reason';
/** Trailing metadata on every error: the responder's term, so clients can fence old answers. */
export const TERM_KEY = 'tandem-term';
/** Trailing metadata on INVALID_ARGUMENT: the offending field, in snake_case. */
export const FIELD_KEY = 'tandem-field';
/** Trailing metadata on a rate-limited call (RESOURCE_EXHAUSTED, reason rate_limited): ms to wait. */
export const RETRY_AFTER_KEY = 'tandem-retry-after-ms';
/** The reason on a call refused by a per-identity rate limit (not a ledger rejection). */
export const RATE_LIMITED_REASON = 'rate_limited';

/** How each business rejection surfaces as a gRPC status at the server edge. */
export const REJECTION_STATUS: Record<RejectionReason, grpc.status> = {
  seat_limit_reached: grpc.status.RESOURCE_EXHAUSTED,
  quota_exhausted: grpc.status.RESOURCE_EXHAUSTED,
  licence_not_found: grpc.status.NOT_FOUND,
  lease_not_found: grpc.status.NOT_FOUND,
  licence_exists: grpc.status.ALREADY_EXISTS,
  licence_deactivated: grpc.status.FAILED_PRECONDITION,
  licence_not_yet_valid: grpc.status.FAILED_PRECONDITION,
  licence_expired: grpc.status.FAILED_PRECONDITION,
  // An open seats overdraft incident after a merge: no new lease until it is back within its seats.
  licence_overdrawn: grpc.status.FAILED_PRECONDITION,
  // A licence file for another cluster is the wrong file, like one whose signature does not verify.
  licence_wrong_cluster: grpc.status.INVALID_ARGUMENT,
  licence_serial_not_newer: grpc.status.FAILED_PRECONDITION,
  // An operator change beyond what the vendor signed needs a new licence file first.
  licence_limit_exceeded: grpc.status.FAILED_PRECONDITION,
  request_id_reused: grpc.status.FAILED_PRECONDITION,
  cluster_id_mismatch: grpc.status.FAILED_PRECONDITION,
  invalid_command: grpc.status.INVALID_ARGUMENT,
};

export function metadataValue(metadata: grpc.Metadata | undefined, key: string): string | undefined {
  const values = metadata?.get(key) ?? [];
  const first = values[0];
  return first === undefined ? undefined : String(first);
}
