// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';

export interface TransferLeadershipResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'leaderId'?: (string);
}

export interface TransferLeadershipResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'leaderId': (string);
}
