// Original file: tandem/v1/workstation.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportUsageRequest {
  'requestId'?: (string);
  'licenceId'?: (string);
  'workstationId'?: (string);
  'units'?: (number | string | Long);
}

export interface ReportUsageRequest__Output {
  'requestId': (string);
  'licenceId': (string);
  'workstationId': (string);
  'units': (number);
}
