// Original file: tandem/v1/internal/witness.proto

import type { Long } from '@grpc/proto-loader';

export interface WitnessHeartbeatRequest {
  'term'?: (number | string | Long);
  'leaderId'?: (string);
  'commitIndex'?: (number | string | Long);
}

export interface WitnessHeartbeatRequest__Output {
  'term': (number);
  'leaderId': (string);
  'commitIndex': (number);
}
