// Original file: tandem/v1/admin.proto

import type { Quota as _tandem_v1_Quota, Quota__Output as _tandem_v1_Quota__Output } from '../../tandem/v1/Quota.js';
import type { Long } from '@grpc/proto-loader';

/**
 * Either a newer licence file from the vendor (licence_file set, with a higher serial, and no other
 * change), or operator changes that stay within what the vendor signed: fewer seats, a smaller
 * quota of the same period, a shorter validity window, redundancy off. Anything beyond is refused
 * with FAILED_PRECONDITION licence_limit_exceeded naming the field.
 */
export interface UpdateLicenceRequest {
  'requestId'?: (string);
  'licenceId'?: (string);
  'seats'?: (number);
  'quota'?: (_tandem_v1_Quota | null);
  'clearQuota'?: (boolean);
  'validFromMs'?: (number | string | Long);
  'validUntilMs'?: (number | string | Long);
  'redundancy'?: (boolean);
  /**
   * Replaces the whole feature map when replace_features is set.
   */
  'features'?: ({[key: string]: string});
  'replaceFeatures'?: (boolean);
  'product'?: (string);
  'licenceFile'?: (Buffer | Uint8Array | string);
  '_seats'?: "seats";
  '_quota'?: "quota";
  '_validFromMs'?: "validFromMs";
  '_validUntilMs'?: "validUntilMs";
  '_redundancy'?: "redundancy";
  '_product'?: "product";
}

/**
 * Either a newer licence file from the vendor (licence_file set, with a higher serial, and no other
 * change), or operator changes that stay within what the vendor signed: fewer seats, a smaller
 * quota of the same period, a shorter validity window, redundancy off. Anything beyond is refused
 * with FAILED_PRECONDITION licence_limit_exceeded naming the field.
 */
export interface UpdateLicenceRequest__Output {
  'requestId': (string);
  'licenceId': (string);
  'seats'?: (number);
  'quota'?: (_tandem_v1_Quota__Output | null);
  'clearQuota': (boolean);
  'validFromMs'?: (number);
  'validUntilMs'?: (number);
  'redundancy'?: (boolean);
  /**
   * Replaces the whole feature map when replace_features is set.
   */
  'features': ({[key: string]: string});
  'replaceFeatures': (boolean);
  'product'?: (string);
  'licenceFile': (Buffer);
  '_seats'?: "seats";
  '_quota'?: "quota";
  '_validFromMs'?: "validFromMs";
  '_validUntilMs'?: "validUntilMs";
  '_redundancy'?: "redundancy";
  '_product'?: "product";
}
