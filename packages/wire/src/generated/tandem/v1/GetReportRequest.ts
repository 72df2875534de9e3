// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

/**
 * Usage reports for billing (tandemctl report): figures per licence, workstation, user and host,
 * from the node's report index (derived from applied entries; both nodes answer the same for the
 * same applied index).
 */
export interface GetReportRequest {
  /**
   * "usage" (units reported, quota refusals) or "leases" (lease time, peak seats, grants, renewals,
   * releases, expiries, revocations, acquire refusals).
   */
  'kind'?: (string);
  /**
   * The range [from_ms, to_ms): from inclusive, to exclusive; both on whole UTC hours.
   */
  'fromMs'?: (number | string | Long);
  'toMs'?: (number | string | Long);
  /**
   * Empty for every licence.
   */
  'licenceId'?: (string);
  /**
   * Rows per "hour", "day", "week" (ISO, Monday), "month" (UTC) or "total"; empty means "day".
   */
  'by'?: (string);
  /**
   * At most this many rows (0 means the node's reports.maxRows, which is also the most).
   */
  'limit'?: (number);
}

/**
 * Usage reports for billing (tandemctl report): figures per licence, workstation, user and host,
 * from the node's report index (derived from applied entries; both nodes answer the same for the
 * same applied index).
 */
export interface GetReportRequest__Output {
  /**
   * "usage" (units reported, quota refusals) or "leases" (lease time, peak seats, grants, renewals,
   * releases, expiries, revocations, acquire refusals).
   */
  'kind': (string);
  /**
   * The range [from_ms, to_ms): from inclusive, to exclusive; both on whole UTC hours.
   */
  'fromMs': (number);
  'toMs': (number);
  /**
   * Empty for every licence.
   */
  'licenceId': (string);
  /**
   * Rows per "hour", "day", "week" (ISO, Monday), "month" (UTC) or "total"; empty means "day".
   */
  'by': (string);
  /**
   * At most this many rows (0 means the node's reports.maxRows, which is also the most).
   */
  'limit': (number);
}
