// Original file: tandem/v1/common.proto

import type { WorkstationParameters as _tandem_v1_WorkstationParameters, WorkstationParameters__Output as _tandem_v1_WorkstationParameters__Output } from '../../tandem/v1/WorkstationParameters.js';
import type { Long } from '@grpc/proto-loader';

export interface Lease {
  'leaseId'?: (string);
  'licenceId'?: (string);
  'workstationId'?: (string);
  'parameters'?: (_tandem_v1_WorkstationParameters | null);
  'grantedAtMs'?: (number | string | Long);
  'expiresAtMs'?: (number | string | Long);
  'renewedAtMs'?: (number | string | Long);
  'ttlMs'?: (number | string | Long);
}

export interface Lease__Output {
  'leaseId': (string);
  'licenceId': (string);
  'workstationId': (string);
  'parameters': (_tandem_v1_WorkstationParameters__Output | null);
  'grantedAtMs': (number);
  'expiresAtMs': (number);
  'renewedAtMs': (number);
  'ttlMs': (number);
}
