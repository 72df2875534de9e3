// Original file: tandem/v1/workstation.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Lease as _tandem_v1_Lease, Lease__Output as _tandem_v1_Lease__Output } from '../../tandem/v1/Lease.js';

export interface LeaseResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  /**
   * Absent when recorded_as_intent is set.
   */
  'lease'?: (_tandem_v1_Lease | null);
  /**
   * RenewLease only, pair mode: the leader serves without its peer (a split brain, or just after it
   * until the merge readmits the peer) and does not know the lease, which the other side may have
   * granted. The renewal was recorded as an intent; the merge renews the lease from the time asked
   * if it arrives held by this workstation. The lease is still held: renew again as usual.
   */
  'recordedAsIntent'?: (boolean);
}

export interface LeaseResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  /**
   * Absent when recorded_as_intent is set.
   */
  'lease': (_tandem_v1_Lease__Output | null);
  /**
   * RenewLease only, pair mode: the leader serves without its peer (a split brain, or just after it
   * until the merge readmits the peer) and does not know the lease, which the other side may have
   * granted. The renewal was recorded as an intent; the merge renews the lease from the time asked
   * if it arrives held by this workstation. The lease is still held: renew again as usual.
   */
  'recordedAsIntent': (boolean);
}
