// Original file: tandem/v1/internal/peer.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface InstallSnapshotResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'success'?: (boolean);
  /**
   * The offset from which the leader should resume if the stream broke.
   */
  'bytesReceived'?: (number | string | Long);
}

export interface InstallSnapshotResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'success': (boolean);
  /**
   * The offset from which the leader should resume if the stream broke.
   */
  'bytesReceived': (number);
}
