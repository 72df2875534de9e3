// Original file: tandem/v1/internal/witness.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface WitnessStateResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'term'?: (number | string | Long);
  'votedFor'?: (string);
  'inSync'?: (string)[];
  'lastAcknowledgedIndex'?: (number | string | Long);
}

export interface WitnessStateResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'term': (number);
  'votedFor': (string);
  'inSync': (string)[];
  'lastAcknowledgedIndex': (number);
}
