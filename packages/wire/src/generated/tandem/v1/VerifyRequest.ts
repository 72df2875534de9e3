// Original file: tandem/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface VerifyRequest {
  /**
   * The node first waits (briefly) until it has applied at least this index.
   */
  'waitForIndex'?: (number | string | Long);
}

export interface VerifyRequest__Output {
  /**
   * The node first waits (briefly) until it has applied at least this index.
   */
  'waitForIndex': (number);
}
