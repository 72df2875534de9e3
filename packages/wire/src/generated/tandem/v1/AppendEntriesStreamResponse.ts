// Original file: tandem/v1/internal/peer.proto

import type { AppendEntriesResponse as _tandem_v1_AppendEntriesResponse, AppendEntriesResponse__Output as _tandem_v1_AppendEntriesResponse__Output } from '../../tandem/v1/AppendEntriesResponse.js';
import type { Long } from '@grpc/proto-loader';

export interface AppendEntriesStreamResponse {
  'sequence'?: (number | string | Long);
  'response'?: (_tandem_v1_AppendEntriesResponse | null);
  /**
   * The follower's core did not answer in time: not a refusal, and the leader does not step it.
   */
  'noAnswer'?: (boolean);
}

export interface AppendEntriesStreamResponse__Output {
  'sequence': (number);
  'response': (_tandem_v1_AppendEntriesResponse__Output | null);
  /**
   * The follower's core did not answer in time: not a refusal, and the leader does not step it.
   */
  'noAnswer': (boolean);
}
