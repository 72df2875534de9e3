// Original file: tandem/v1/admin.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { UsagePeriod as _tandem_v1_UsagePeriod, UsagePeriod__Output as _tandem_v1_UsagePeriod__Output } from '../../tandem/v1/UsagePeriod.js';
import type { Long } from '@grpc/proto-loader';

export interface GetUsageResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'licenceId'?: (string);
  'periods'?: (_tandem_v1_UsagePeriod)[];
  'totalUsed'?: (number | string | Long);
}

export interface GetUsageResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'licenceId': (string);
  'periods': (_tandem_v1_UsagePeriod__Output)[];
  'totalUsed': (number);
}
