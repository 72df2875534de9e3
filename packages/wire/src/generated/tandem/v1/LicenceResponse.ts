// Original file: tandem/v1/common.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Licence as _tandem_v1_Licence, Licence__Output as _tandem_v1_Licence__Output } from '../../tandem/v1/Licence.js';

export interface LicenceResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'licence'?: (_tandem_v1_Licence | null);
}

export interface LicenceResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'licence': (_tandem_v1_Licence__Output | null);
}
