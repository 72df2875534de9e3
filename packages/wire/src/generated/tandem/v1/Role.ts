// Original file: tandem/v1/common.proto

export const Role = {
  ROLE_UNSPECIFIED: 'ROLE_UNSPECIFIED',
  ROLE_MAIN: 'ROLE_MAIN',
  ROLE_BACKUP: 'ROLE_BACKUP',
  ROLE_WITNESS: 'ROLE_WITNESS',
} as const;

export type Role =
  | 'ROLE_UNSPECIFIED'
  | 0
  | 'ROLE_MAIN'
  | 1
  | 'ROLE_BACKUP'
  | 2
  | 'ROLE_WITNESS'
  | 3

export type Role__Output = typeof Role[keyof typeof Role]
