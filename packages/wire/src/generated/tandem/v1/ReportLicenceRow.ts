// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportLicenceRow {
  'licenceId'?: (string);
  'periodStartMs'?: (number | string | Long);
  /**
   * Most seats of the licence held at once in the period, across its workstations (kind leases).
   */
  'peakSeats'?: (number);
  'leaseMs'?: (number | string | Long);
  'usageUnits'?: (number | string | Long);
}

export interface ReportLicenceRow__Output {
  'licenceId': (string);
  'periodStartMs': (number);
  /**
   * Most seats of the licence held at once in the period, across its workstations (kind leases).
   */
  'peakSeats': (number);
  'leaseMs': (number);
  'usageUnits': (number);
}
