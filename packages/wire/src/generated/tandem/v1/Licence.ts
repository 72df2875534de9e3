// Original file: tandem/v1/common.proto

import type { LicenceSpec as _tandem_v1_LicenceSpec, LicenceSpec__Output as _tandem_v1_LicenceSpec__Output } from '../../tandem/v1/LicenceSpec.js';
import type { LicenceStatus as _tandem_v1_LicenceStatus, LicenceStatus__Output as _tandem_v1_LicenceStatus__Output } from '../../tandem/v1/LicenceStatus.js';
import type { LicenceGrant as _tandem_v1_LicenceGrant, LicenceGrant__Output as _tandem_v1_LicenceGrant__Output } from '../../tandem/v1/LicenceGrant.js';
import type { Long } from '@grpc/proto-loader';

export interface Licence {
  'spec'?: (_tandem_v1_LicenceSpec | null);
  'status'?: (_tandem_v1_LicenceStatus);
  'seatsInUse'?: (number);
  /**
   * Units used in the current period, and the start of that period.
   */
  'usageThisPeriod'?: (number | string | Long);
  'periodStartMs'?: (number | string | Long);
  'activatedAtMs'?: (number | string | Long);
  'updatedAtMs'?: (number | string | Long);
  'grant'?: (_tandem_v1_LicenceGrant | null);
}

export interface Licence__Output {
  'spec': (_tandem_v1_LicenceSpec__Output | null);
  'status': (_tandem_v1_LicenceStatus__Output);
  'seatsInUse': (number);
  /**
   * Units used in the current period, and the start of that period.
   */
  'usageThisPeriod': (number);
  'periodStartMs': (number);
  'activatedAtMs': (number);
  'updatedAtMs': (number);
  'grant': (_tandem_v1_LicenceGrant__Output | null);
}
