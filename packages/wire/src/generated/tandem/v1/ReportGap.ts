// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportGap {
  'fromMs'?: (number | string | Long);
  'toMs'?: (number | string | Long);
  /**
   * "snapshot": this node took a snapshot instead of those entries; "retention": older than kept.
   */
  'reason'?: (string);
}

export interface ReportGap__Output {
  'fromMs': (number);
  'toMs': (number);
  /**
   * "snapshot": this node took a snapshot instead of those entries; "retention": older than kept.
   */
  'reason': (string);
}
