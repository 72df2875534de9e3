// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ListAuditRequest {
  /**
   * 0 for every record kept; otherwise those recorded at or after this time.
   */
  'sinceMs'?: (number | string | Long);
  /**
   * Empty for every licence.
   */
  'licenceId'?: (string);
  /**
   * At most this many, the most recent (0 means 1000; at most 10000).
   */
  'limit'?: (number);
}

export interface ListAuditRequest__Output {
  /**
   * 0 for every record kept; otherwise those recorded at or after this time.
   */
  'sinceMs': (number);
  /**
   * Empty for every licence.
   */
  'licenceId': (string);
  /**
   * At most this many, the most recent (0 means 1000; at most 10000).
   */
  'limit': (number);
}
