// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Lease as _tandem_v1_Lease, Lease__Output as _tandem_v1_Lease__Output } from '../../tandem/v1/Lease.js';

export interface ListLeasesResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'leases'?: (_tandem_v1_Lease)[];
}

export interface ListLeasesResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'leases': (_tandem_v1_Lease__Output)[];
}
