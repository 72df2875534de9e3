// Original file: tandem/v1/internal/witness.proto

import type { Long } from '@grpc/proto-loader';

export interface RecordInSyncRequest {
  'term'?: (number | string | Long);
  'leaderId'?: (string);
  'inSync'?: (string)[];
  /**
   * The leader's last log index when it asked (informational).
   */
  'lastIndex'?: (number | string | Long);
  /**
   * Orders one leader's records: the index of the configuration entry the record describes (for
   * a removal, the leader's last index + 1, since the entry is appended only after the record).
   */
  'configurationIndex'?: (number | string | Long);
  /**
   * The leader's commit index; the witness refuses candidates whose log ends below it.
   */
  'acknowledgedIndex'?: (number | string | Long);
}

export interface RecordInSyncRequest__Output {
  'term': (number);
  'leaderId': (string);
  'inSync': (string)[];
  /**
   * The leader's last log index when it asked (informational).
   */
  'lastIndex': (number);
  /**
   * Orders one leader's records: the index of the configuration entry the record describes (for
   * a removal, the leader's last index + 1, since the entry is appended only after the record).
   */
  'configurationIndex': (number);
  /**
   * The leader's commit index; the witness refuses candidates whose log ends below it.
   */
  'acknowledgedIndex': (number);
}
