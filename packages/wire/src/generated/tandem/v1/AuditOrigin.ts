// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Where a merged operation came from: the backup's entry that a pair-mode merge re-applied.
 */
export interface AuditOrigin {
  'nodeId'?: (string);
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'timestampMs'?: (number | string | Long);
}

/**
 * Where a merged operation came from: the backup's entry that a pair-mode merge re-applied.
 */
export interface AuditOrigin__Output {
  'nodeId': (string);
  'index': (number);
  'term': (number);
  'timestampMs': (number);
}
