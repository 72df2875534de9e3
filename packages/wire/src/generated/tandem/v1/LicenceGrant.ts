// Original file: tandem/v1/common.proto

import type { LicenceSpec as _tandem_v1_LicenceSpec, LicenceSpec__Output as _tandem_v1_LicenceSpec__Output } from '../../tandem/v1/LicenceSpec.js';
import type { Long } from '@grpc/proto-loader';

/**
 * What the vendor signed for a licence: the ceiling of every change an operator makes without a
 * new licence file (docs/vendor-licences.md).
 */
export interface LicenceGrant {
  /**
   * Increases with every file the vendor issues for the licence; 0 for a licence activated before
   * licences were signed (its terms then are its ceiling).
   */
  'serial'?: (number | string | Long);
  'vendor'?: (string);
  /**
   * The vendor key that signed the file.
   */
  'keyId'?: (string);
  'issuedAtMs'?: (number | string | Long);
  'clusterId'?: (string);
  'limits'?: (_tandem_v1_LicenceSpec | null);
}

/**
 * What the vendor signed for a licence: the ceiling of every change an operator makes without a
 * new licence file (docs/vendor-licences.md).
 */
export interface LicenceGrant__Output {
  /**
   * Increases with every file the vendor issues for the licence; 0 for a licence activated before
   * licences were signed (its terms then are its ceiling).
   */
  'serial': (number);
  'vendor': (string);
  /**
   * The vendor key that signed the file.
   */
  'keyId': (string);
  'issuedAtMs': (number);
  'clusterId': (string);
  'limits': (_tandem_v1_LicenceSpec__Output | null);
}
