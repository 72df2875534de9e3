// The ledger's plain types as the client sees them, re-exported so that applications need only
// @tandem/client.
import type { LicenceSpec } from '@tandem/ledger';

export type {
  Incident,
  IncidentKind,
  Lease,
  LicenceChanges,
  LicenceSpec,
  Period,
  Quota,
  RejectionReason,
  UsagePeriod,
  WorkstationParameters,
} from '@tandem/ledger';
export type { LicenceView } from '@tandem/wire';

/** An activation needs an id, a product and a seat count; everything else has a default. */
export type LicenceSpecInput = Pick<LicenceSpec, 'licenceId' | 'product' | 'seats'> & Partial<LicenceSpec>;
