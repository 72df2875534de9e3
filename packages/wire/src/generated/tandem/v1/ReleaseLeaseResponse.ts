// Original file: tandem/v1/workstation.proto

import type { ResponseHeader as _tandem_v1_ResponseHeader, ResponseHeader__Output as _tandem_v1_ResponseHeader__Output } from '../../tandem/v1/ResponseHeader.js';
import type { Lease as _tandem_v1_Lease, Lease__Output as _tandem_v1_Lease__Output } from '../../tandem/v1/Lease.js';

export interface ReleaseLeaseResponse {
  'header'?: (_tandem_v1_ResponseHeader | null);
  /**
   * Absent when recorded_as_intent is set.
   */
  'lease'?: (_tandem_v1_Lease | null);
  /**
   * Pair mode, as for LeaseResponse: the release was recorded as an intent, and the merge ends the
   * lease at the time asked if it arrives held by this workstation. The release is done.
   */
  'recordedAsIntent'?: (boolean);
}

export interface ReleaseLeaseResponse__Output {
  'header': (_tandem_v1_ResponseHeader__Output | null);
  /**
   * Absent when recorded_as_intent is set.
   */
  'lease': (_tandem_v1_Lease__Output | null);
  /**
   * Pair mode, as for LeaseResponse: the release was recorded as an intent, and the merge ends the
   * lease at the time asked if it arrives held by this workstation. The release is done.
   */
  'recordedAsIntent': (boolean);
}
