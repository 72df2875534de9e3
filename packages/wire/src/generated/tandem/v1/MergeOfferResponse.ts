// Original file: tandem/v1/internal/peer.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Long } from '@grpc/proto-loader';

export interface MergeOfferResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  'stretchStartIndex'?: (number | string | Long);
  /**
   * Every offered entry up to here is in a committed merge entry on the main.
   */
  'mergedThroughIndex'?: (number | string | Long);
}

export interface MergeOfferResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  'stretchStartIndex': (number);
  /**
   * Every offered entry up to here is in a committed merge entry on the main.
   */
  'mergedThroughIndex': (number);
}
