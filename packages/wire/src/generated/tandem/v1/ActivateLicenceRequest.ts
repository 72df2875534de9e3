// Original file: tandem/v1/tandem.proto

import type { LicenceSpec as _tandem_v1_LicenceSpec, LicenceSpec__Output as _tandem_v1_LicenceSpec__Output } from '../../tandem/v1/LicenceSpec.js';

export interface ActivateLicenceRequest {
  'requestId'?: (string);
  'licence'?: (_tandem_v1_LicenceSpec | null);
}

export interface ActivateLicenceRequest__Output {
  'requestId': (string);
  'licence': (_tandem_v1_LicenceSpec__Output | null);
}
