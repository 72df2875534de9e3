// Original file: tandem/v1/common.proto

export const Period = {
  PERIOD_UNSPECIFIED: 'PERIOD_UNSPECIFIED',
  PERIOD_DAY: 'PERIOD_DAY',
  PERIOD_WEEK: 'PERIOD_WEEK',
  PERIOD_MONTH: 'PERIOD_MONTH',
} as const;

export type Period =
  | 'PERIOD_UNSPECIFIED'
  | 0
  | 'PERIOD_DAY'
  | 1
  | 'PERIOD_WEEK'
  | 2
  | 'PERIOD_MONTH'
  | 3

export type Period__Output = typeof Period[keyof typeof Period]
