// Original file: tandem/v1/internal/peer.proto

import type { Long } from '@grpc/proto-loader';

export interface InstallSnapshotChunk {
  'term'?: (number | string | Long);
  'leaderId'?: (string);
  'snapshotIndex'?: (number | string | Long);
  'snapshotTerm'?: (number | string | Long);
  /**
   * Opaque consensus configuration at snapshot_index, sent with the first chunk.
   */
  'configuration'?: (Buffer | Uint8Array | string);
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  'totalBytes'?: (number | string | Long);
  /**
   * sha256 (hex) of the whole snapshot, checked when done is set.
   */
  'checksum'?: (string);
  'done'?: (boolean);
}

export interface InstallSnapshotChunk__Output {
  'term': (number);
  'leaderId': (string);
  'snapshotIndex': (number);
  'snapshotTerm': (number);
  /**
   * Opaque consensus configuration at snapshot_index, sent with the first chunk.
   */
  'configuration': (Buffer);
  'offset': (number);
  'data': (Buffer);
  'totalBytes': (number);
  /**
   * sha256 (hex) of the whole snapshot, checked when done is set.
   */
  'checksum': (string);
  'done': (boolean);
}
