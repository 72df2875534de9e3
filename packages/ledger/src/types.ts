// The ledger's vocabulary: licences, leases, usage, the commands that change them and the results
// those commands return. Everything here is plain data that survives JSON encoding, because
// commands travel inside log entries and results are replicated like any other state.

export type Period = 'day' | 'week' | 'month';

export interface Quota {
  /** Units allowed per period; a positive integer. */
  units: number;
  period: Period;
}

export interface WorkstationParameters {
  host: string;
  user: string;
  cores: number;
  productVersion: string;
}

export interface LicenceSpec {
  licenceId: string;
  product: string;
  /** Seats that may be leased at once; a positive integer. */
  seats: number;
  quota: Quota | null;
  /** 0 means valid from the beginning of time. */
  validFromMs: number;
  /** 0 means no end date. */
  validUntilMs: number;
  /** Only licences with redundancy are served while the backup leads. */
  redundancy: boolean;
  features: Record<string, string>;
}

export type LicenceStatus = 'active' | 'deactivated';

export interface Licence extends LicenceSpec {
  status: LicenceStatus;
  activatedAtMs: number;
  updatedAtMs: number;
}

export interface Lease {
  /** Derived from the log index of the entry that granted it: `lease-<index>`. */
  leaseId: string;
  licenceId: string;
  workstationId: string;
  parameters: WorkstationParameters;
  grantedAtMs: number;
  renewedAtMs: number;
  expiresAtMs: number;
  ttlMs: number;
}

export interface UsagePeriod {
  periodStartMs: number;
  periodEndMs: number;
  used: number;
  /** The quota in force for this period; 0 when the licence has no quota. */
  quota: number;
  reports: number;
}

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

/** A command is what a log entry asks the ledger to do. */
export type Command =
  | { type: 'activate_licence'; requestId: string; licence: LicenceSpec }
  | { type: 'update_licence'; requestId: string; licenceId: string; changes: LicenceChanges }
  | { type: 'deactivate_licence'; requestId: string; licenceId: string }
  | {
      type: 'acquire_lease';
      requestId: string;
      licenceId: string;
      workstationId: string;
      parameters: WorkstationParameters;
      ttlMs: number;
    }
  /** ttlMs 0 keeps the lease's current TTL. */
  | { type: 'renew_lease'; requestId: string; leaseId: string; ttlMs: number }
  | { type: 'release_lease'; requestId: string; leaseId: string }
  | { type: 'report_usage'; requestId: string; licenceId: string; workstationId: string; units: number }
  | { type: 'revoke_lease'; requestId: string; leaseId: string; reason: string }
  /** Proposed by the leader on a timer: expires every lease whose expiresAtMs <= the entry time. */
  | { type: 'tick' }
  /** Proposed by a new leader: extends every live lease by the time the failover took. */
  | { type: 'extend_leases'; byMs: number };

export type CommandType = Command['type'];

/** A command as it stands in the log: the leader's timestamp is the only clock the ledger has. */
export interface LedgerEntry {
  index: number;
  timestampMs: number;
  command: Command;
}

/** Business rejections: replicated results, never exceptions. */
export type RejectionReason =
  | 'seat_limit_reached'
  | 'quota_exhausted'
  | 'licence_not_found'
  | 'licence_exists'
  | 'licence_deactivated'
  | 'licence_not_yet_valid'
  | 'licence_expired'
  | 'lease_not_found'
  | 'invalid_command';

export type Outcome =
  | { kind: 'licence'; licence: Licence }
  | { kind: 'lease'; lease: Lease }
  | {
      kind: 'usage';
      licenceId: string;
      periodStartMs: number;
      used: number;
      /** null when the licence has no quota. */
      remaining: number | null;
    }
  | { kind: 'tick'; expiredLeaseIds: string[] }
  | { kind: 'extended'; leaseCount: number };

export type Result = { ok: true; outcome: Outcome } | { ok: false; reason: RejectionReason; message: string };
