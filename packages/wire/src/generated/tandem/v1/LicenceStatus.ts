// Original file: tandem/v1/common.proto

export const LicenceStatus = {
  LICENCE_STATUS_UNSPECIFIED: 'LICENCE_STATUS_UNSPECIFIED',
  LICENCE_STATUS_ACTIVE: 'LICENCE_STATUS_ACTIVE',
  LICENCE_STATUS_DEACTIVATED: 'LICENCE_STATUS_DEACTIVATED',
} as const;

export type LicenceStatus =
  | 'LICENCE_STATUS_UNSPECIFIED'
  | 0
  | 'LICENCE_STATUS_ACTIVE'
  | 1
  | 'LICENCE_STATUS_DEACTIVATED'
  | 2

export type LicenceStatus__Output = typeof LicenceStatus[keyof typeof LicenceStatus]
