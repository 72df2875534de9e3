// Original file: tandem/v1/internal/peer.proto

import type { AppendEntriesRequest as _tandem_v1_AppendEntriesRequest, AppendEntriesRequest__Output as _tandem_v1_AppendEntriesRequest__Output } from '../../tandem/v1/AppendEntriesRequest.js';
import type { Long } from '@grpc/proto-loader';

/**
 * One AppendEntries on the ordered stream. A unary call per append lets HTTP/2 interleave large
 * requests, so that they reach the follower out of order and it refuses each one that leaves a gap;
 * one stream per leader and follower keeps them in the order the leader sent them.
 */
export interface AppendEntriesStreamRequest {
  /**
   * Chosen by the leader, increasing along the stream; the answer repeats it.
   */
  'sequence'?: (number | string | Long);
  'request'?: (_tandem_v1_AppendEntriesRequest | null);
}

/**
 * One AppendEntries on the ordered stream. A unary call per append lets HTTP/2 interleave large
 * requests, so that they reach the follower out of order and it refuses each one that leaves a gap;
 * one stream per leader and follower keeps them in the order the leader sent them.
 */
export interface AppendEntriesStreamRequest__Output {
  /**
   * Chosen by the leader, increasing along the stream; the answer repeats it.
   */
  'sequence': (number);
  'request': (_tandem_v1_AppendEntriesRequest__Output | null);
}
