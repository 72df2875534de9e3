// Original file: tandem/v1/internal/peer.proto

export const EntryKind = {
  ENTRY_KIND_UNSPECIFIED: 'ENTRY_KIND_UNSPECIFIED',
  ENTRY_KIND_NORMAL: 'ENTRY_KIND_NORMAL',
  ENTRY_KIND_NOOP: 'ENTRY_KIND_NOOP',
  ENTRY_KIND_CONFIGURATION: 'ENTRY_KIND_CONFIGURATION',
} as const;

export type EntryKind =
  | 'ENTRY_KIND_UNSPECIFIED'
  | 0
  | 'ENTRY_KIND_NORMAL'
  | 1
  | 'ENTRY_KIND_NOOP'
  | 2
  | 'ENTRY_KIND_CONFIGURATION'
  | 3

export type EntryKind__Output = typeof EntryKind[keyof typeof EntryKind]
