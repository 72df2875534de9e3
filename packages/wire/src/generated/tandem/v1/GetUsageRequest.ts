// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface GetUsageRequest {
  'licenceId'?: (string);
  /**
   * 0 returns every recorded period; otherwise the period containing this time.
   */
  'atMs'?: (number | string | Long);
}

export interface GetUsageRequest__Output {
  'licenceId': (string);
  /**
   * 0 returns every recorded period; otherwise the period containing this time.
   */
  'atMs': (number);
}
