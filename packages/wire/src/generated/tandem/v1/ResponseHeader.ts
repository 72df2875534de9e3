// Original file: tandem/v1/common.proto

import type { Role as _tandem_v1_Role, Role__Output as _tandem_v1_Role__Output } from '../../tandem/v1/Role.js';
import type { NodeState as _tandem_v1_NodeState, NodeState__Output as _tandem_v1_NodeState__Output } from '../../tandem/v1/NodeState.js';
import type { Long } from '@grpc/proto-loader';

export interface ResponseHeader {
  'term'?: (number | string | Long);
  'role'?: (_tandem_v1_Role);
  'state'?: (_tandem_v1_NodeState);
  'nodeId'?: (string);
  'leaderId'?: (string);
  'leaderAddress'?: (string);
  /**
   * The log index at which the answered operation was applied (0 for reads).
   */
  'appliedIndex'?: (number | string | Long);
}

export interface ResponseHeader__Output {
  'term': (number);
  'role': (_tandem_v1_Role__Output);
  'state': (_tandem_v1_NodeState__Output);
  'nodeId': (string);
  'leaderId': (string);
  'leaderAddress': (string);
  /**
   * The log index at which the answered operation was applied (0 for reads).
   */
  'appliedIndex': (number);
}
