// Original file: tandem/v1/internal/peer.proto

import type { EntryKind as _tandem_v1_EntryKind, EntryKind__Output as _tandem_v1_EntryKind__Output } from '../../tandem/v1/EntryKind.js';
import type { Long } from '@grpc/proto-loader';

export interface Entry {
  'index'?: (number | string | Long);
  'term'?: (number | string | Long);
  'kind'?: (_tandem_v1_EntryKind);
  'data'?: (Buffer | Uint8Array | string);
}

export interface Entry__Output {
  'index': (number);
  'term': (number);
  'kind': (_tandem_v1_EntryKind__Output);
  'data': (Buffer);
}
