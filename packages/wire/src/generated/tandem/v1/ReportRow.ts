// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportRow {
  'licenceId'?: (string);
  'workstationId'?: (string);
  'user'?: (string);
  'host'?: (string);
  'periodStartMs'?: (number | string | Long);
  'leaseMs'?: (number | string | Long);
  'peakSeats'?: (number);
  'grants'?: (number | string | Long);
  'renewals'?: (number | string | Long);
  'releases'?: (number | string | Long);
  'expiries'?: (number | string | Long);
  'revocations'?: (number | string | Long);
  'usageUnits'?: (number | string | Long);
  'usageReports'?: (number | string | Long);
  /**
   * Refusals by reason: of acquires (kind leases) or of usage reports (kind usage).
   */
  'denials'?: ({[key: string]: number | string | Long});
}

export interface ReportRow__Output {
  'licenceId': (string);
  'workstationId': (string);
  'user': (string);
  'host': (string);
  'periodStartMs': (number);
  'leaseMs': (number);
  'peakSeats': (number);
  'grants': (number);
  'renewals': (number);
  'releases': (number);
  'expiries': (number);
  'revocations': (number);
  'usageUnits': (number);
  'usageReports': (number);
  /**
   * Refusals by reason: of acquires (kind leases) or of usage reports (kind usage).
   */
  'denials': ({[key: string]: number});
}
