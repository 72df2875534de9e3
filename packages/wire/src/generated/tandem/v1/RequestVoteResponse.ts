// Original file: tandem/v1/internal/peer.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';

export interface RequestVoteResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'voteGranted'?: (boolean);
  'preVote'?: (boolean);
}

export interface RequestVoteResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'voteGranted': (boolean);
  'preVote': (boolean);
}
