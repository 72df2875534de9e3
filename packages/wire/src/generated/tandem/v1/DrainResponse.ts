// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

/**
 * The answer to DrainNode and UndrainNode: the leader and term once the change took effect, and
 * the nodes drained now.
 */
export interface DrainResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'leaderId'?: (string);
  'term'?: (number | string | Long);
  'drained'?: (string)[];
}

/**
 * The answer to DrainNode and UndrainNode: the leader and term once the change took effect, and
 * the nodes drained now.
 */
export interface DrainResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'leaderId': (string);
  'term': (number);
  'drained': (string)[];
}
