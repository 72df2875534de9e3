// Original file: tandem/v1/internal/peer.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface AppendEntriesResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'success'?: (boolean);
  'matchIndex'?: (number | string | Long);
  /**
   * On a mismatch: a hint where the follower's log diverges.
   */
  'conflictIndex'?: (number | string | Long);
  'conflictTerm'?: (number | string | Long);
  /**
   * Set by a node about to stop: the leader drops it from the in-sync set at once.
   */
  'leaving'?: (boolean);
}

export interface AppendEntriesResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'success': (boolean);
  'matchIndex': (number);
  /**
   * On a mismatch: a hint where the follower's log diverges.
   */
  'conflictIndex': (number);
  'conflictTerm': (number);
  /**
   * Set by a node about to stop: the leader drops it from the in-sync set at once.
   */
  'leaving': (boolean);
}
