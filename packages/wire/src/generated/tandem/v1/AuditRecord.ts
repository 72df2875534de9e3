// Original file: tandem/v1/admin.proto

import type { Actor as _tandem_v1_Actor, Actor__Output as _tandem_v1_Actor__Output } from '../../tandem/v1/Actor.js';
import type { AuditOrigin as _tandem_v1_AuditOrigin, AuditOrigin__Output as _tandem_v1_AuditOrigin__Output } from '../../tandem/v1/AuditOrigin.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One admin or operator operation in the ledger's audit trail (replicated: every node has the same).
 */
export interface AuditRecord {
  /**
   * The log entry that recorded it.
   */
  'index'?: (number | string | Long);
  'atMs'?: (number | string | Long);
  /**
   * activate_licence, update_licence, deactivate_licence, revoke_lease, transfer_leadership or snapshot.
   */
  'action'?: (string);
  'actor'?: (_tandem_v1_Actor | null);
  'requestId'?: (string);
  'licenceId'?: (string);
  'leaseId'?: (string);
  /**
   * "ok", or the ledger's rejection reason.
   */
  'outcome'?: (string);
  /**
   * What was asked, briefly: a file's serial and vendor, the changes, a revoke's reason, the target.
   */
  'detail'?: (string);
  /**
   * Set for an operation the backup executed while it led alone.
   */
  'origin'?: (_tandem_v1_AuditOrigin | null);
}

/**
 * One admin or operator operation in the ledger's audit trail (replicated: every node has the same).
 */
export interface AuditRecord__Output {
  /**
   * The log entry that recorded it.
   */
  'index': (number);
  'atMs': (number);
  /**
   * activate_licence, update_licence, deactivate_licence, revoke_lease, transfer_leadership or snapshot.
   */
  'action': (string);
  'actor': (_tandem_v1_Actor__Output | null);
  'requestId': (string);
  'licenceId': (string);
  'leaseId': (string);
  /**
   * "ok", or the ledger's rejection reason.
   */
  'outcome': (string);
  /**
   * What was asked, briefly: a file's serial and vendor, the changes, a revoke's reason, the target.
   */
  'detail': (string);
  /**
   * Set for an operation the backup executed while it led alone.
   */
  'origin': (_tandem_v1_AuditOrigin__Output | null);
}
