// Original file: tandem/v1/internal/peer.proto

import type { Long } from '@grpc/proto-loader';

export interface RequestVoteRequest {
  'term'?: (number | string | Long);
  'candidateId'?: (string);
  'lastLogIndex'?: (number | string | Long);
  'lastLogTerm'?: (number | string | Long);
  'preVote'?: (boolean);
  /**
   * Set when the vote follows a TimeoutNow, so that it may disturb a known leader.
   */
  'leadershipTransfer'?: (boolean);
}

export interface RequestVoteRequest__Output {
  'term': (number);
  'candidateId': (string);
  'lastLogIndex': (number);
  'lastLogTerm': (number);
  'preVote': (boolean);
  /**
   * Set when the vote follows a TimeoutNow, so that it may disturb a known leader.
   */
  'leadershipTransfer': (boolean);
}
