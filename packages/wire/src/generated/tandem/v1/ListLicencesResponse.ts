// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Licence as _tandem_v1_Licence, Licence__Output as _tandem_v1_Licence__Output } from '../../tandem/v1/Licence.js';

export interface ListLicencesResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'licences'?: (_tandem_v1_Licence)[];
}

export interface ListLicencesResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'licences': (_tandem_v1_Licence__Output)[];
}
