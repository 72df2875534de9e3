// Original file: tandem/v1/tandem.proto

import type { Long } from '@grpc/proto-loader';

export interface RecordInSyncRequest {
  'term'?: (number | string | Long);
  'leaderId'?: (string);
  'inSync'?: (string)[];
  'lastIndex'?: (number | string | Long);
}

export interface RecordInSyncRequest__Output {
  'term': (number);
  'leaderId': (string);
  'inSync': (string)[];
  'lastIndex': (number);
}
