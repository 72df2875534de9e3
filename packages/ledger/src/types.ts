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
  /**
   * Derived from the term and log index of the entry that granted it: `lease-<term>-<index>`. In
   * pair mode each term belongs to one node, so the two nodes never grant the same id, and a lease
   * granted by the backup alone keeps its id when a merge re-applies it on the main.
   */
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
  | { type: 'extend_leases'; byMs: number }
  /**
   * Pair mode, proposed by the main after a split brain: re-applies the entries that the backup
   * committed alone and the main lacks, in the backup's log order (see merge in README.md).
   */
  | MergeCommand;

/** One entry the backup committed alone, as it stood in the backup's log. */
export interface MergedEntry {
  /** The entry's index in the backup's log. */
  index: number;
  /** The backup's term when it appended the entry. */
  term: number;
  /** The backup's timestamp on the entry. */
  timestampMs: number;
  command: Command;
  /**
   * The result the backup answered with (its ledger's first result for the request id), for
   * acquire_lease and report_usage entries. With it the main honours exactly what the backup
   * granted and records what it refused; without it the main grants and counts the command as if
   * the backup had accepted it. See mergedEntryFrom.
   */
  result?: Result;
}

export interface MergeCommand {
  type: 'merge';
  /** The node whose solo entries these are (the backup). */
  sourceNodeId: string;
  /** The terms in which the source node wrote these entries, ascending. */
  sourceTerms: number[];
  /** In log order (indexes increase); at most MAX_MERGED_ENTRIES. */
  entries: MergedEntry[];
}

export type CommandType = Command['type'];

/** A command as it stands in the log: the leader's timestamp is the only clock the ledger has. */
export interface LedgerEntry {
  index: number;
  /** The term of the log entry; with the index it names the leases the entry grants. */
  term: number;
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
  /** The licence has an open seats overdraft incident: no new lease until it is back under its seats. */
  | 'licence_overdrawn'
  | 'invalid_command';

export type IncidentKind = 'seats' | 'usage';

/**
 * An overdraft incident: a licence over its limit because a merge re-applied what the backup
 * granted alone. Opened by the merge entry; resolved by the first entry that finds the licence
 * back within the limit (seats), or past the period or under a raised quota (usage).
 */
export interface Incident {
  /** `incident-<mergeIndex>-<n>`, n counting from 1 within the merge. */
  incidentId: string;
  licenceId: string;
  kind: IncidentKind;
  /** Seats, or the quota's units, when the incident was opened. */
  limit: number;
  /** Live leases, or units used in the period, when the incident was opened. */
  observed: number;
  /** observed - limit; always positive. */
  excess: number;
  /** The term of the merge entry (the main's term). */
  mainTerm: number;
  /** The backup's terms whose entries the merge re-applied. */
  backupTerms: number[];
  sourceNodeId: string;
  /** The log index of the merge entry. */
  mergeIndex: number;
  /** The merge entry's time (the ledger clock when it was applied). */
  openedAtMs: number;
  /** The time of the entry that resolved it; null while open. */
  resolvedAtMs: number | null;
  /** For kind usage: the period that went over its quota; null for kind seats. */
  periodStartMs: number | null;
  periodEndMs: number | null;
}

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
  | { kind: 'extended'; leaseCount: number }
  | {
      kind: 'merged';
      /** Merged entries executed now (their results are remembered under their request ids). */
      applied: number;
      /** Merged entries whose request id the ledger already remembered: not executed again. */
      duplicates: number;
      /** Merged tick and extend_leases entries: the main's own clock rules expiry. */
      skipped: number;
      /** The incidents this merge opened, in order. */
      incidentIds: string[];
    };

export type Result = { ok: true; outcome: Outcome } | { ok: false; reason: RejectionReason; message: string };
