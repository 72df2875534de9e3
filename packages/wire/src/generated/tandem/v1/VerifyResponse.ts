// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface VerifyResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'nodeId'?: (string);
  'appliedIndex'?: (number | string | Long);
  'stateHash'?: (string);
  /**
   * sha256 (hex) hash chain over the applied log through log_hash_index: each entry's index, term,
   * kind and bytes chained to the one before. Replicas whose logs differ in any entry differ here,
   * even when their ledgers are equal. Empty when the node cannot know it (its snapshot predates
   * the chain). log_hash_index is the request's wait_for_index when the node has applied it and
   * still remembers the chain there, else its applied index, so that nodes can be compared at one
   * index while entries keep coming.
   */
  'logHash'?: (string);
  'logHashIndex'?: (number | string | Long);
}

export interface VerifyResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'nodeId': (string);
  'appliedIndex': (number);
  'stateHash': (string);
  /**
   * sha256 (hex) hash chain over the applied log through log_hash_index: each entry's index, term,
   * kind and bytes chained to the one before. Replicas whose logs differ in any entry differ here,
   * even when their ledgers are equal. Empty when the node cannot know it (its snapshot predates
   * the chain). log_hash_index is the request's wait_for_index when the node has applied it and
   * still remembers the chain there, else its applied index, so that nodes can be compared at one
   * index while entries keep coming.
   */
  'logHash': (string);
  'logHashIndex': (number);
}
