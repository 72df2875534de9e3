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

/**
 * What the vendor signed for a licence (see licence-file.ts): the terms, and the ceiling of every
 * change an operator makes without a new file.
 */
export interface LicenceGrant {
  /** Increases with every file the vendor issues for the licence; 0 for an unsigned licence. */
  serial: number;
  vendor: string;
  /** The id of the vendor key that signed the file. */
  keyId: string;
  issuedAtMs: number;
  clusterId: string;
  /**
   * The terms the vendor signed. For an unsigned licence (activated before licences were signed),
   * its terms as the last unsigned command left them: nobody can raise them any more.
   */
  limits: LicenceSpec;
  /** The licence file as the vendor signed it; '' for an unsigned licence. */
  file: string;
}

export interface Licence extends LicenceSpec {
  status: LicenceStatus;
  activatedAtMs: number;
  updatedAtMs: number;
  grant: LicenceGrant;
}

/**
 * Who asked for an admin or operator command: built by the server from the caller's certificate
 * or token, replicated with the entry, and kept in the audit trail.
 */
export interface Actor {
  /** The certificate's or the token's name. */
  name: string;
  /** The caller's role (admin, operator...). */
  role: string;
  /** How the caller was identified: certificate, token or insecure. */
  via: string;
  /** The caller's address as the serving node saw it. */
  from: string;
}

/** Operations an audit note records; the licence and lease operations are recorded by their own commands. */
export type AuditNoteAction = 'transfer_leadership' | 'snapshot';

export type AuditAction =
  | 'activate_licence'
  | 'update_licence'
  | 'deactivate_licence'
  | 'revoke_lease'
  | AuditNoteAction;

/** Where a merged operation came from: the backup's entry that a merge re-applied. */
export interface AuditOrigin {
  nodeId: string;
  index: number;
  term: number;
  timestampMs: number;
}

/** One admin or operator operation in the audit trail. */
export interface AuditRecord {
  /** The log entry that recorded it (a merge's entry for a merged operation). */
  index: number;
  /** The ledger clock when it was recorded. */
  atMs: number;
  action: AuditAction;
  actor: Actor;
  requestId: string | null;
  licenceId: string | null;
  leaseId: string | null;
  /** 'ok', or the reason the ledger refused it. */
  outcome: 'ok' | RejectionReason;
  /** What was asked, briefly: the serial of a file, the changes, a revoke's reason, a target node. */
  detail: string;
  /** Set when a merge re-applied it from the backup's log. */
  origin: AuditOrigin | null;
}

export interface Lease {
  /**
   * Derived from the term and log index of the entry that granted it and the nonce the server put
   * in the acquire command: `lease-<term>-<index>-<nonce>` (`lease-<term>-<index>` for a lease
   * granted without a nonce, before lease ids had one). In pair mode each term belongs to one node,
   * so the two nodes never grant the same id, and a lease granted by the backup alone keeps its id
   * when a merge re-applies it on the main. The nonce makes the id unguessable.
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

/**
 * A command is what a log entry asks the ledger to do. `actor` is who asked, for the audit trail;
 * it is null only in commands written before the audit trail existed.
 */
export type Command =
  /** Activates the licence a vendor-signed licence file describes (see licence-file.ts). */
  | { type: 'activate_licence'; requestId: string; licenceFile: string; actor: Actor | null }
  /**
   * Either installs a newer licence file from the vendor (licenceFile set, no changes), or makes
   * operator changes that stay within what the vendor signed (licenceFile null).
   */
  | {
      type: 'update_licence';
      requestId: string;
      licenceId: string;
      licenceFile: string | null;
      changes: LicenceChanges;
      actor: Actor | null;
    }
  | { type: 'deactivate_licence'; requestId: string; licenceId: string; actor: Actor | null }
  | {
      type: 'acquire_lease';
      requestId: string;
      licenceId: string;
      workstationId: string;
      parameters: WorkstationParameters;
      ttlMs: number;
      /**
       * 16 lowercase hex digits chosen at random by the server, the unguessable part of the lease
       * id; '' in commands written before lease ids had one.
       */
      nonce: string;
    }
  /** ttlMs 0 keeps the lease's current TTL. */
  | { type: 'renew_lease'; requestId: string; leaseId: string; ttlMs: number }
  | { type: 'release_lease'; requestId: string; leaseId: string }
  /**
   * Pair mode, proposed by the edge of a leader serving without its peer (a split brain, or just
   * after it until a merge readmits the peer) for a release or renewal of a lease this side does not
   * know and did not end: the lease may be one the other side granted. If the lease is live here
   * and held by `workstationId`, the action is done now; otherwise it is recorded as a tombstone
   * (lease-intents.ts) that a merge applies when the lease arrives. ttlMs is 0 for a release; for
   * a renewal, 0 keeps the lease's own TTL.
   */
  | {
      type: 'lease_intent';
      requestId: string;
      leaseId: string;
      workstationId: string;
      action: LeaseIntentAction;
      ttlMs: number;
    }
  | { type: 'report_usage'; requestId: string; licenceId: string; workstationId: string; units: number }
  | { type: 'revoke_lease'; requestId: string; leaseId: string; reason: string; actor: Actor | null }
  /** An operator operation outside the ledger (a leadership transfer, a snapshot), for the audit trail. */
  | { type: 'audit_note'; requestId: string; action: AuditNoteAction; detail: string; actor: Actor }
  /** Proposed by the leader on a timer: expires every lease whose expiresAtMs <= the entry time. */
  | { type: 'tick' }
  /** Proposed by a new leader: extends every live lease by the time the failover took. */
  | { type: 'extend_leases'; byMs: number }
  /**
   * Proposed by the leader of a ledger without a cluster id: records the id that licence files
   * must be issued for. The first one stands; a later one with another id is refused.
   */
  | { type: 'set_cluster_id'; clusterId: string }
  /**
   * Log entries written before licences were signed (entry format 1) decode to these: an
   * activation from a plain spec and an update with any changes. Only the codec makes them, from
   * old entries; they are never proposed and never merged.
   */
  | { type: 'legacy_activate_licence'; requestId: string; licence: LicenceSpec }
  | { type: 'legacy_update_licence'; requestId: string; licenceId: string; changes: LicenceChanges }
  /**
   * Pair mode, proposed by the main after a split brain: re-applies the entries that the backup
   * committed alone and the main lacks, in the backup's log order (see merge in README.md).
   */
  | MergeCommand;

/** What a lease_intent asks for the lease: the release or renewal it stands for. */
export type LeaseIntentAction = 'release' | 'renew';

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
  /** A licence file issued for another cluster (or before this ledger recorded its cluster id). */
  | 'licence_wrong_cluster'
  /** A licence file whose serial is not above the licence's current one. */
  | 'licence_serial_not_newer'
  /** An operator change beyond what the vendor signed (more seats, a later end...). */
  | 'licence_limit_exceeded'
  /** A request id remembered for a different command: never executed, never remembered. */
  | 'request_id_reused'
  /** A set_cluster_id naming another id than the one recorded. */
  | 'cluster_id_mismatch'
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
  /**
   * When the excess began, in leader time. Seats: the first moment the leases held at once across
   * both histories went over the limit (see over-grant.ts). Usage: the time of the earliest merged
   * report in the period. Null for an incident recorded before the ledger kept this.
   */
  startedAtMs: number | null;
  /**
   * Seats: when the leases held at once were back within the limit, for an over-grant that had
   * ended before the merge recorded it (the incident is then recorded resolved); null while it lasts
   * (the incident is open) and for usage.
   */
  endedAtMs: number | null;
  /** Seats: the terms that granted the leases held during the over-grant, ascending; [] for usage. */
  grantTerms: number[];
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
  /**
   * A lease_intent for a lease not live here was recorded as a tombstone: the release or renewal
   * takes effect if a merge brings the lease (held by the same workstation).
   */
  | { kind: 'intent'; leaseId: string; action: LeaseIntentAction }
  | { kind: 'tick'; expiredLeaseIds: string[] }
  | { kind: 'extended'; leaseCount: number }
  | { kind: 'cluster'; clusterId: string }
  /** An audit note recorded. */
  | { kind: 'noted' }
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
