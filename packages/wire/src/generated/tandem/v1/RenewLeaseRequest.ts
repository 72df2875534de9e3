// Original file: tandem/v1/workstation.proto

import type { Long } from '@grpc/proto-loader';

export interface RenewLeaseRequest {
  'requestId'?: (string);
  'leaseId'?: (string);
  /**
   * 0 keeps the lease's current TTL.
   */
  'ttlMs'?: (number | string | Long);
}

export interface RenewLeaseRequest__Output {
  'requestId': (string);
  'leaseId': (string);
  /**
   * 0 keeps the lease's current TTL.
   */
  'ttlMs': (number);
}
