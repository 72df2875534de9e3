// Original file: tandem/v1/internal/peer.proto

import type { Entry as _tandem_v1_Entry, Entry__Output as _tandem_v1_Entry__Output } from '../../tandem/v1/Entry.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Pair mode, after a split brain: the backup offers the main the entries it committed alone.
 */
export interface MergeOfferRequest {
  'term'?: (number | string | Long);
  'backupId'?: (string);
  'stretchStartIndex'?: (number | string | Long);
  'firstIndex'?: (number | string | Long);
  'throughIndex'?: (number | string | Long);
  'entries'?: (_tandem_v1_Entry)[];
  'incomplete'?: (boolean);
}

/**
 * Pair mode, after a split brain: the backup offers the main the entries it committed alone.
 */
export interface MergeOfferRequest__Output {
  'term': (number);
  'backupId': (string);
  'stretchStartIndex': (number);
  'firstIndex': (number);
  'throughIndex': (number);
  'entries': (_tandem_v1_Entry__Output)[];
  'incomplete': (boolean);
}
