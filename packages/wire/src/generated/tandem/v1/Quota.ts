// Original file: tandem/v1/common.proto

import type { Period as _tandem_v1_Period, Period__Output as _tandem_v1_Period__Output } from '../../tandem/v1/Period.js';
import type { Long } from '@grpc/proto-loader';

export interface Quota {
  'units'?: (number | string | Long);
  'period'?: (_tandem_v1_Period);
}

export interface Quota__Output {
  'units': (number);
  'period': (_tandem_v1_Period__Output);
}
