// Original file: tandem/v1/tandem.proto

import type { Long } from '@grpc/proto-loader';

export interface TimeoutNowRequest {
  'term'?: (number | string | Long);
  'leaderId'?: (string);
}

export interface TimeoutNowRequest__Output {
  'term': (number);
  'leaderId': (string);
}
