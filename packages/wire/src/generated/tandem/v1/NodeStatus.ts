// Original file: tandem/v1/admin.proto

import type { Role as _tandem_v1_Role, Role__Output as _tandem_v1_Role__Output } from '../../tandem/v1/Role.js';
import type { NodeState as _tandem_v1_NodeState, NodeState__Output as _tandem_v1_NodeState__Output } from '../../tandem/v1/NodeState.js';
import type { Long } from '@grpc/proto-loader';

export interface NodeStatus {
  'id'?: (string);
  'address'?: (string);
  'role'?: (_tandem_v1_Role);
  'state'?: (_tandem_v1_NodeState);
  'term'?: (number | string | Long);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  'stateHash'?: (string);
  'lastIndex'?: (number | string | Long);
  'snapshotIndex'?: (number | string | Long);
  'inSync'?: (boolean);
  'lagEntries'?: (number | string | Long);
  'lagMs'?: (number | string | Long);
  /**
   * Milliseconds since the reporting node last heard from this node (0 for itself).
   */
  'lastContactMs'?: (number | string | Long);
  'reachable'?: (boolean);
  'mode'?: (string);
  'version'?: (string);
  'startedAtMs'?: (number | string | Long);
  /**
   * "tls", or "insecure" for a node configured with insecure: true (plaintext, no authentication).
   * Empty for a peer row: only a node knows its own configuration.
   */
  'security'?: (string);
  /**
   * The applied index state_hash is of. The hash covers the whole ledger, so while the ledger
   * changes a node computes it at most every few seconds for Status (Verify computes it at once):
   * it may be of an earlier index than applied_index. A node catching up, or a main following the
   * backup until it takes leadership back, does not hash for Status: it answers its last hash, or
   * an empty state_hash and 0 if it has none since it started. 0 for a peer row.
   */
  'stateHashIndex'?: (number | string | Long);
}

export interface NodeStatus__Output {
  'id': (string);
  'address': (string);
  'role': (_tandem_v1_Role__Output);
  'state': (_tandem_v1_NodeState__Output);
  'term': (number);
  'commitIndex': (number);
  'appliedIndex': (number);
  'stateHash': (string);
  'lastIndex': (number);
  'snapshotIndex': (number);
  'inSync': (boolean);
  'lagEntries': (number);
  'lagMs': (number);
  /**
   * Milliseconds since the reporting node last heard from this node (0 for itself).
   */
  'lastContactMs': (number);
  'reachable': (boolean);
  'mode': (string);
  'version': (string);
  'startedAtMs': (number);
  /**
   * "tls", or "insecure" for a node configured with insecure: true (plaintext, no authentication).
   * Empty for a peer row: only a node knows its own configuration.
   */
  'security': (string);
  /**
   * The applied index state_hash is of. The hash covers the whole ledger, so while the ledger
   * changes a node computes it at most every few seconds for Status (Verify computes it at once):
   * it may be of an earlier index than applied_index. A node catching up, or a main following the
   * backup until it takes leadership back, does not hash for Status: it answers its last hash, or
   * an empty state_hash and 0 if it has none since it started. 0 for a peer row.
   */
  'stateHashIndex': (number);
}
