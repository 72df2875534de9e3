// The ledger's plain types as the client sees them, re-exported so that applications need only
// @tandem/client.
import type { LicenceSpec } from '@tandem/ledger';

export type {
  Actor,
  AuditAction,
  AuditRecord,
  Incident,
  IncidentKind,
  Lease,
  LicenceChanges,
  LicenceGrant,
  LicenceSpec,
  Period,
  Quota,
  RejectionReason,
  UsagePeriod,
  WorkstationParameters,
} from '@tandem/ledger';
export type { LicenceGrantView, LicenceView } from '@tandem/wire';

/** An activation needs an id, a product and a seat count; everything else has a default. */
export type LicenceSpecInput = Pick<LicenceSpec, 'licenceId' | 'product' | 'seats'> & Partial<LicenceSpec>;
