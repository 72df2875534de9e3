// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'sizeBytes'?: (number | string | Long);
  'stateHash'?: (string);
}

export interface SnapshotResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'index': (number);
  'term': (number);
  'sizeBytes': (number);
  'stateHash': (string);
}
