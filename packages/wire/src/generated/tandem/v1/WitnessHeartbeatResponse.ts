// Original file: tandem/v1/internal/witness.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';

export interface WitnessHeartbeatResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'success'?: (boolean);
}

export interface WitnessHeartbeatResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'success': (boolean);
}
