// The ledger's plain types as the client sees them. They are taken from the signatures of the wire
// conversions rather than imported from @tandem/ledger, because this package depends on
// @tandem/wire only; the conversions are typed with the ledger's types, so these are the same.
import type {
  LicenceView,
  leaseFromWire,
  licenceSpecFromWire,
  parametersFromWire,
  quotaToWire,
  REJECTION_STATUS,
  usagePeriodToWire,
} from '@tandem/wire';

export type { LicenceView };
export type Lease = ReturnType<typeof leaseFromWire>;
export type LicenceSpec = ReturnType<typeof licenceSpecFromWire>;
export type WorkstationParameters = ReturnType<typeof parametersFromWire>;
export type Quota = Parameters<typeof quotaToWire>[0];
export type Period = Quota['period'];
export type UsagePeriod = Parameters<typeof usagePeriodToWire>[0];
export type RejectionReason = keyof typeof REJECTION_STATUS;

/** What `updateLicence` may change; absent fields stay as they are (the ledger's LicenceChanges). */
export interface LicenceChanges {
  product?: string;
  seats?: number;
  /** null removes the quota. */
  quota?: Quota | null;
  validFromMs?: number;
  validUntilMs?: number;
  redundancy?: boolean;
  /** Replaces the whole feature map. */
  features?: Record<string, string>;
}

/** An activation needs an id, a product and a seat count; everything else has a default. */
export type LicenceSpecInput = Pick<LicenceSpec, 'licenceId' | 'product' | 'seats'> & Partial<LicenceSpec>;
