// Original file: tandem/v1/common.proto

import type { Quota as _tandem_v1_Quota, Quota__Output as _tandem_v1_Quota__Output } from '../../tandem/v1/Quota.js';
import type { Long } from '@grpc/proto-loader';

export interface LicenceSpec {
  'licenceId'?: (string);
  'product'?: (string);
  'seats'?: (number);
  'quota'?: (_tandem_v1_Quota | null);
  'validFromMs'?: (number | string | Long);
  /**
   * 0 means no end date.
   */
  'validUntilMs'?: (number | string | Long);
  'redundancy'?: (boolean);
  'features'?: ({[key: string]: string});
  '_quota'?: "quota";
}

export interface LicenceSpec__Output {
  'licenceId': (string);
  'product': (string);
  'seats': (number);
  'quota'?: (_tandem_v1_Quota__Output | null);
  'validFromMs': (number);
  /**
   * 0 means no end date.
   */
  'validUntilMs': (number);
  'redundancy': (boolean);
  'features': ({[key: string]: string});
  '_quota'?: "quota";
}
