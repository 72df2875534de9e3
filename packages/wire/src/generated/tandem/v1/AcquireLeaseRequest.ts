// Original file: tandem/v1/workstation.proto

import type { WorkstationParameters as _tandem_v1_WorkstationParameters, WorkstationParameters__Output as _tandem_v1_WorkstationParameters__Output } from '../../tandem/v1/WorkstationParameters.js';
import type { Long } from '@grpc/proto-loader';

export interface AcquireLeaseRequest {
  'requestId'?: (string);
  'licenceId'?: (string);
  'workstationId'?: (string);
  'parameters'?: (_tandem_v1_WorkstationParameters | null);
  'ttlMs'?: (number | string | Long);
}

export interface AcquireLeaseRequest__Output {
  'requestId': (string);
  'licenceId': (string);
  'workstationId': (string);
  'parameters': (_tandem_v1_WorkstationParameters__Output | null);
  'ttlMs': (number);
}
