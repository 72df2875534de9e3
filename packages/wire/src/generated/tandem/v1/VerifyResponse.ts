// Original file: tandem/v1/tandem.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface VerifyResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'nodeId'?: (string);
  'appliedIndex'?: (number | string | Long);
  'stateHash'?: (string);
}

export interface VerifyResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'nodeId': (string);
  'appliedIndex': (number);
  'stateHash': (string);
}
