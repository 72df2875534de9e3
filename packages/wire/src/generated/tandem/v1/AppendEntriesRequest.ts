// Original file: tandem/v1/internal/peer.proto

import type { Entry as _tandem_v1_Entry, Entry__Output as _tandem_v1_Entry__Output } from '../../tandem/v1/Entry.js';
import type { Long } from '@grpc/proto-loader';

export interface AppendEntriesRequest {
  'term'?: (number | string | Long);
  'leaderId'?: (string);
  'prevLogIndex'?: (number | string | Long);
  'prevLogTerm'?: (number | string | Long);
  'entries'?: (_tandem_v1_Entry)[];
  'leaderCommit'?: (number | string | Long);
}

export interface AppendEntriesRequest__Output {
  'term': (number);
  'leaderId': (string);
  'prevLogIndex': (number);
  'prevLogTerm': (number);
  'entries': (_tandem_v1_Entry__Output)[];
  'leaderCommit': (number);
}
