// Original file: tandem/v1/internal/witness.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';

export interface RecordInSyncResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'accepted'?: (boolean);
}

export interface RecordInSyncResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'accepted': (boolean);
}
