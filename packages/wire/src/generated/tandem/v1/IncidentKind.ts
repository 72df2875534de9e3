// Original file: tandem/v1/admin.proto

export const IncidentKind = {
  INCIDENT_KIND_UNSPECIFIED: 'INCIDENT_KIND_UNSPECIFIED',
  /**
   * More live leases than seats.
   */
  INCIDENT_KIND_SEATS: 'INCIDENT_KIND_SEATS',
  /**
   * More units used in a period than the quota.
   */
  INCIDENT_KIND_USAGE: 'INCIDENT_KIND_USAGE',
} as const;

export type IncidentKind =
  | 'INCIDENT_KIND_UNSPECIFIED'
  | 0
  /**
   * More live leases than seats.
   */
  | 'INCIDENT_KIND_SEATS'
  | 1
  /**
   * More units used in a period than the quota.
   */
  | 'INCIDENT_KIND_USAGE'
  | 2

export type IncidentKind__Output = typeof IncidentKind[keyof typeof IncidentKind]
