// Original file: tandem/v1/internal/peer.proto

import type { Long } from '@grpc/proto-loader';

export interface TimeoutNowRequest {
  'term'?: (number | string | Long);
  'leaderId'?: (string);
}

export interface TimeoutNowRequest__Output {
  'term': (number);
  'leaderId': (string);
}
