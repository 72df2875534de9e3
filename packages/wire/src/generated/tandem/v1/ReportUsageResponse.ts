// Original file: tandem/v1/workstation.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface ReportUsageResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'licenceId'?: (string);
  'periodStartMs'?: (number | string | Long);
  'used'?: (number | string | Long);
  /**
   * Units left in the period; absent when the licence has no quota.
   */
  'remaining'?: (number | string | Long);
  '_remaining'?: "remaining";
}

export interface ReportUsageResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'licenceId': (string);
  'periodStartMs': (number);
  'used': (number);
  /**
   * Units left in the period; absent when the licence has no quota.
   */
  'remaining'?: (number);
  '_remaining'?: "remaining";
}
