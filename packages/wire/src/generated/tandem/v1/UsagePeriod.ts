// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface UsagePeriod {
  'periodStartMs'?: (number | string | Long);
  'periodEndMs'?: (number | string | Long);
  'used'?: (number | string | Long);
  /**
   * 0 when the licence has no quota.
   */
  'quota'?: (number | string | Long);
  'reports'?: (number | string | Long);
}

export interface UsagePeriod__Output {
  'periodStartMs': (number);
  'periodEndMs': (number);
  'used': (number);
  /**
   * 0 when the licence has no quota.
   */
  'quota': (number);
  'reports': (number);
}
