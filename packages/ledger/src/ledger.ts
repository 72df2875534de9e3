// The licence ledger: a deterministic state machine that every node builds by applying the same
// log entries in the same order. Its only clock is the timestamps the leader put on the entries,
// every collection it reports is sorted, and every object it hands out is frozen, so that two
// nodes that applied the same entries hold (and hash) the same state.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { type AppliedEvent, MAX_APPLIED_EVENTS_PER_ENTRY } from './applied-events.js';
import { type AuditPage, type AuditQuery, AuditTrail } from './audit-trail.js';
import { deepFreeze } from './canonical.js';
import { LedgerDataError } from './errors.js';
import { commandFingerprint, UNKNOWN_FINGERPRINT } from './fingerprint.js';
import { type HeldLeaseIds, HolderIndex } from './holder-index.js';
import { IncidentBook, incidentIdFor, MAX_RESOLVED_INCIDENTS, parseIncidentId } from './incident-book.js';
import { LeaseExpiryQueue } from './lease-expiry-queue.js';
import { grantOf, leaseIdFor } from './lease-id.js';
import { type LeaseIntent, LeaseIntentBook } from './lease-intents.js';
import { type LicenceTerms, readLicenceFile } from './licence-file.js';
import { type LedgerOptions, resolveLedgerOptions } from './options.js';
import { type OverGrantStretch, overGrantStretches, type SeatInterval } from './over-grant.js';
import { periodBounds } from './period.js';
import { RequestBook, RequestRecordColumns } from './request-book.js';
import { type EndedLease, SeatHistory } from './seat-history.js';
import {
  decodeSnapshotWith,
  encodeSnapshot,
  type LedgerSnapshotState,
  type RequestRecord,
  type RequestRecordList,
  SnapshotEncoder,
  type UsageRecord,
} from './snapshot.js';
import { hashLedgerState, StateHasher } from './state-hash.js';
import type {
  AuditOrigin,
  AuditRecord,
  Command,
  CommandType,
  Incident,
  IncidentKind,
  Lease,
  LedgerEntry,
  Licence,
  LicenceChanges,
  LicenceGrant,
  LicenceSpec,
  MergeCommand,
  MergedEntry,
  Period,
  Quota,
  RejectionReason,
  Result,
  UsagePeriod,
  WorkstationParameters,
} from './types.js';
import {
  checkLicenceFile,
  checkLicenceSpec,
  checkValidityWindow,
  checkWithinGrant,
  isValidClusterId,
  isValidId,
  LIMITS,
  validateCommand,
} from './validate.js';

/** Usage of a licence without a quota is still counted, per calendar month. */
export const UNMETERED_PERIOD: Period = 'month';

/** Stale heap entries allowed beyond the live leases before the expiry queue is rebuilt. */
const EXPIRY_QUEUE_SLACK = 1024;

type ClientCommand = Extract<Command, { requestId: string }>;

interface LeaseSlot {
  /** Frozen; replaced (never mutated) when the lease changes. */
  lease: Lease;
  /** The index and term of the entry that granted the lease: the numbers in its id. */
  grantIndex: number;
  grantTerm: number;
}

/** What one merge changed, so that it can tell which licences it put over a limit. */
interface MergeEffects {
  /** Licences that gained a lease or had their seats changed by the merge. */
  seatLicences: Set<string>;
  /** Licences whose quota the merge changed: their current period is checked. */
  quotaLicences: Set<string>;
  /**
   * Periods the merge added usage to, per licence: usage key → the earliest merged report's time in
   * that period.
   */
  usagePeriods: Map<string, Map<string, number>>;
}

interface UsageSlot {
  period: Period;
  /** Frozen; replaced when usage is added. */
  usage: UsagePeriod;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareUsage(a: UsageSlot, b: UsageSlot): number {
  return (
    a.usage.periodStartMs - b.usage.periodStartMs ||
    a.usage.periodEndMs - b.usage.periodEndMs ||
    compareStrings(a.period, b.period)
  );
}

function reject(reason: RejectionReason, message: string): Result {
  return { ok: false, reason, message };
}

/** Grant order: by the index of the granting entry, then its term (merged leases may share an index). */
function compareGrants(a: LeaseSlot, b: LeaseSlot): number {
  return a.grantIndex - b.grantIndex || a.grantTerm - b.grantTerm;
}

function lastHeld(held: HeldLeaseIds | undefined): string | undefined {
  return typeof held === 'string' ? held : held?.at(-1);
}

function usageKey(period: Period, periodStartMs: number): string {
  return `${period}@${periodStartMs}`;
}

function requestIdOf(command: unknown): string | null {
  if (typeof command !== 'object' || command === null) return null;
  const { type, requestId } = command as { type?: unknown; requestId?: unknown };
  if (type === 'tick' || type === 'extend_leases' || type === 'set_cluster_id' || type === 'merge')
    return null;
  return isValidId(requestId) ? requestId : null;
}

/** A reused request id is refused the same way on every node, and never remembered. */
function reusedRequest(requestId: string): Result {
  return deepFreeze(
    reject(
      'request_id_reused',
      `request id ${requestId} was used before for a different request; use a new request id`,
    ),
  );
}

function copyQuota(quota: Quota | null): Quota | null {
  return quota === null ? null : { units: quota.units, period: quota.period };
}

/** Keys are stored sorted, so a licence reads the same on every node whatever the input order. */
function copyFeatures(features: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(features).sort(([a], [b]) => compareStrings(a, b)));
}

function copyParameters(parameters: WorkstationParameters): WorkstationParameters {
  return {
    host: parameters.host,
    user: parameters.user,
    cores: parameters.cores,
    productVersion: parameters.productVersion,
  };
}

function copySpec(spec: LicenceSpec): LicenceSpec {
  return {
    licenceId: spec.licenceId,
    product: spec.product,
    seats: spec.seats,
    quota: copyQuota(spec.quota),
    validFromMs: spec.validFromMs,
    validUntilMs: spec.validUntilMs,
    redundancy: spec.redundancy,
    features: copyFeatures(spec.features),
  };
}

/** The grant of a licence activated before licences were signed: its own terms are its ceiling. */
function unsignedGrant(spec: LicenceSpec): LicenceGrant {
  return { serial: 0, vendor: '', keyId: '', issuedAtMs: 0, clusterId: '', limits: copySpec(spec), file: '' };
}

/** An update's changes as an operator reads them in the audit trail. */
function describeChanges(changes: LicenceChanges): string {
  const parts: string[] = [];
  if (changes.product !== undefined) parts.push(`product=${changes.product}`);
  if (changes.seats !== undefined) parts.push(`seats=${changes.seats}`);
  if (changes.quota === null) parts.push('quota=none');
  else if (changes.quota !== undefined) parts.push(`quota=${changes.quota.units}/${changes.quota.period}`);
  if (changes.validFromMs !== undefined) parts.push(`valid_from_ms=${changes.validFromMs}`);
  if (changes.validUntilMs !== undefined) parts.push(`valid_until_ms=${changes.validUntilMs}`);
  if (changes.redundancy !== undefined) parts.push(`redundancy=${changes.redundancy}`);
  if (changes.features !== undefined) parts.push(`features=${Object.keys(changes.features).length}`);
  return parts.join(' ');
}

function describeGrant(grant: LicenceGrant): string {
  return `serial ${grant.serial} from ${grant.vendor} (key ${grant.keyId})`;
}

/** A rejection carried in a merge, rebuilt from its known fields. */
function copyRejection(result: Extract<Result, { ok: false }>): Result {
  return { ok: false, reason: result.reason, message: result.message };
}

function snapshotError(message: string): LedgerDataError {
  return new LedgerDataError('SNAPSHOT_DECODE_FAILED', `inconsistent ledger snapshot: ${message}`);
}

export class Ledger {
  readonly options: Readonly<LedgerOptions>;

  private readonly licences = new Map<string, Licence>();
  private readonly leases = new Map<string, LeaseSlot>();
  /**
   * The live leases of each (licence, workstation), in grant order. A workstation holds at most one
   * lease of a licence, except after a merge: the lease the backup granted it is kept beside the
   * one the main granted, because the workstation may hold either. Also the index of the leases
   * of each licence (holder-index.ts).
   */
  private readonly leaseIdsByHolder = new HolderIndex();
  private readonly usageByLicence = new Map<string, Map<string, UsageSlot>>();
  /** Insertion order is entry order (indexes increase), so the oldest record is always first. */
  private readonly requests = new RequestBook();
  private readonly expiryQueue = new LeaseExpiryQueue<LeaseSlot>();
  private readonly incidentBook = new IncidentBook();
  private readonly audit = new AuditTrail();
  /** Leases ended lately, for the over-grant record of a merge. */
  private readonly seatHistory: SeatHistory;
  /** Releases and renewals of leases this side did not know, for a merge to apply (lease-intents.ts). */
  private readonly leaseIntents: LeaseIntentBook;
  /** The cluster licence files must be issued for; null until the first set_cluster_id. */
  private recordedClusterId: string | null = null;
  private lastAppliedIndex = 0;
  private clock = 0;
  /** What the entry being applied did (see appliedEvents); not state: never in a snapshot. */
  private journal: AppliedEvent[] = [];
  /** The innermost command being applied (a merged one within a merge), for the applied events. */
  private journalCommand: CommandType | null = null;

  constructor(options?: Partial<LedgerOptions>) {
    this.options = resolveLedgerOptions(options);
    this.seatHistory = new SeatHistory(
      this.options.seatHistoryMaxEntries,
      this.options.seatHistoryRetentionMs,
    );
    this.leaseIntents = new LeaseIntentBook(
      this.options.leaseIntentMaxEntries,
      this.options.leaseIntentRetentionMs,
    );
  }

  /** The index of the last entry applied; 0 before the first. */
  get appliedIndex(): number {
    return this.lastAppliedIndex;
  }

  /** The ledger's time: the largest entry timestamp applied so far. */
  get clockMs(): number {
    return this.clock;
  }

  /** The cluster id licence files must name; null until a set_cluster_id entry recorded one. */
  get clusterId(): string | null {
    return this.recordedClusterId;
  }

  /**
   * Applies one log entry and returns its result. Indexes must strictly increase (gaps are allowed,
   * because the log also holds entries that are not ledger commands). A timestamp older than the
   * clock is clamped to the clock rather than refused: after a failover the new leader's clock may
   * lag the old one's, and refusing would stop every node at the same entry.
   */
  /**
   * What the last applied entry did to leases and usage, in order (see applied-events.ts); empty
   * before any entry and after a restore. Read it before the next apply.
   */
  appliedEvents(): readonly AppliedEvent[] {
    return this.journal;
  }

  private note(event: AppliedEvent): void {
    assert.ok(this.journal.length < MAX_APPLIED_EVENTS_PER_ENTRY, 'an entry did more than an entry can do');
    this.journal.push(event);
  }

  apply(entry: LedgerEntry): Result {
    assert.ok(typeof entry === 'object' && entry !== null, 'ledger entry must be an object');
    assert.ok(
      Number.isSafeInteger(entry.index) && entry.index > this.lastAppliedIndex,
      `entry index ${entry.index} must be an integer above the applied index ${this.lastAppliedIndex}`,
    );
    assert.ok(
      Number.isSafeInteger(entry.term) && entry.term >= 1,
      `entry ${entry.index} has an impossible term ${entry.term}`,
    );
    assert.ok(
      Number.isSafeInteger(entry.timestampMs) &&
        entry.timestampMs >= 0 &&
        entry.timestampMs <= LIMITS.timeMaxMs,
      `entry ${entry.index} has an impossible timestamp ${entry.timestampMs}`,
    );
    this.lastAppliedIndex = entry.index;
    this.journal = [];
    this.journalCommand = entry.command.type;
    if (entry.timestampMs > this.clock) this.clock = entry.timestampMs;
    this.forgetOldRequests();
    this.forgetOldAudit();
    const result = this.applyCommand(entry);
    // After the command: a lease a tick expired is recorded with its expiry time, which may already
    // be older than the retention.
    this.seatHistory.forgetBefore(this.clock);
    this.leaseIntents.forgetBefore(this.clock);
    // Every entry may end an overdraft: by what it did, or because its time is past a period's end.
    this.resolveIncidents();
    return result;
  }

  private applyCommand(entry: LedgerEntry): Result {
    const requestId = requestIdOf(entry.command);
    if (requestId !== null) {
      const record = this.requests.get(requestId);
      if (record !== undefined) {
        return this.isReuse(record.fingerprint, entry.command) ? reusedRequest(requestId) : record.result;
      }
    }
    const invalid = validateCommand(entry.command, this.options);
    const result = deepFreeze(
      invalid === null
        ? this.execute(entry.command, entry)
        : reject('invalid_command', `${invalid.field}: ${invalid.message}`),
    );
    if (requestId !== null) this.remember(requestId, entry.index, result, commandFingerprint(entry.command));
    if (invalid === null) this.recordAudit(entry.command, result, entry.index, null);
    this.note({ kind: 'executed', atMs: this.clock, command: entry.command, result });
    return result;
  }

  /** A remembered request's fingerprint differs from the command's: the id is being reused. */
  private isReuse(fingerprint: number, command: Command): boolean {
    return fingerprint !== UNKNOWN_FINGERPRINT && fingerprint !== commandFingerprint(command);
  }

  /**
   * Whether a client command reuses a remembered request id for a different request (the server
   * refuses it before proposing; apply refuses it too).
   */
  isRequestIdReused(command: Command): boolean {
    const requestId = requestIdOf(command);
    if (requestId === null) return false;
    const record = this.requests.get(requestId);
    return record !== undefined && this.isReuse(record.fingerprint, command);
  }

  private execute(command: Command, entry: LedgerEntry): Result {
    switch (command.type) {
      case 'activate_licence':
        return this.activateFromFile(command.licenceFile);
      case 'update_licence':
        return this.update(command);
      case 'legacy_activate_licence':
        return this.activateLicence(command.licence, unsignedGrant(command.licence));
      case 'legacy_update_licence':
        return this.legacyUpdate(command.licenceId, command.changes);
      case 'deactivate_licence':
        return this.deactivateLicence(command.licenceId);
      case 'acquire_lease':
        return this.acquireLease(command, entry.term, entry.index);
      case 'audit_note':
        return { ok: true, outcome: { kind: 'noted' } };
      case 'set_cluster_id':
        return this.setClusterId(command.clusterId);
      case 'renew_lease':
        return this.renewLease(command.leaseId, command.ttlMs);
      case 'release_lease':
      case 'revoke_lease':
        return this.removeLeaseById(command.leaseId);
      case 'lease_intent':
        return this.leaseIntent(command, this.clock, entry.index, null);
      case 'report_usage':
        return this.reportUsage(command.licenceId, command.units);
      case 'tick':
        return this.tick();
      case 'extend_leases':
        return this.extendLeases(command.byMs);
      case 'merge':
        return this.merge(command, entry);
      default:
        return assert.fail(`validated command has unknown type ${String((command as Command).type)}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Licences

  /** The terms of a licence file that validation has already read. */
  private termsOf(licenceFile: string): LicenceTerms {
    const reading = readLicenceFile(licenceFile);
    assert.ok(reading.ok, 'validation reads every licence file before it is applied');
    return reading.file.terms;
  }

  private grantFromFile(licenceFile: string, terms: LicenceTerms): LicenceGrant {
    const reading = readLicenceFile(licenceFile);
    assert.ok(reading.ok, 'validation reads every licence file before it is applied');
    const { serial, vendor, issuedAtMs, clusterId } = terms;
    return {
      serial,
      vendor,
      keyId: reading.file.keyId,
      issuedAtMs,
      clusterId,
      limits: copySpec(terms),
      file: licenceFile,
    };
  }

  /**
   * What the ledger itself can check of a licence file (the server has checked the signature):
   * it is for this cluster, and it has not expired by `atMs` (this entry's time; for a merged
   * activation, when the backup executed it).
   */
  private refuseFile(terms: LicenceTerms, atMs: number = this.clock): Result | null {
    if (this.recordedClusterId === null) {
      return reject('licence_wrong_cluster', 'this ledger has not recorded its cluster id yet');
    }
    if (terms.clusterId !== this.recordedClusterId) {
      return reject(
        'licence_wrong_cluster',
        `the licence file is issued for cluster ${terms.clusterId}, not ${this.recordedClusterId}`,
      );
    }
    if (terms.validUntilMs !== 0 && terms.validUntilMs <= atMs) {
      return reject('licence_expired', `the licence file expired at ${terms.validUntilMs}`);
    }
    return null;
  }

  private activateFromFile(licenceFile: string, atMs: number = this.clock): Result {
    const terms = this.termsOf(licenceFile);
    return (
      this.refuseFile(terms, atMs) ?? this.activateLicence(terms, this.grantFromFile(licenceFile, terms))
    );
  }

  private update(command: Extract<Command, { type: 'update_licence' }>): Result {
    return command.licenceFile === null
      ? this.changeWithinGrant(command.licenceId, command.changes)
      : this.updateFromFile(command.licenceId, command.licenceFile);
  }

  /** A newer file from the vendor replaces the licence's terms, and any operator change with them. */
  private updateFromFile(licenceId: string, licenceFile: string): Result {
    const current = this.licences.get(licenceId);
    if (current === undefined) return reject('licence_not_found', `licence ${licenceId} does not exist`);
    const terms = this.termsOf(licenceFile);
    if (terms.licenceId !== licenceId) {
      return reject('invalid_command', `licence_file: is for licence ${terms.licenceId}, not ${licenceId}`);
    }
    const refusal = this.refuseFile(terms);
    if (refusal !== null) return refusal;
    if (terms.serial <= current.grant.serial) {
      return reject(
        'licence_serial_not_newer',
        `the licence file has serial ${terms.serial}; licence ${licenceId} already has serial ${current.grant.serial}`,
      );
    }
    const licence: Licence = deepFreeze({
      ...copySpec(terms),
      status: current.status,
      activatedAtMs: current.activatedAtMs,
      updatedAtMs: this.clock,
      grant: this.grantFromFile(licenceFile, terms),
    });
    this.licences.set(licenceId, licence);
    return { ok: true, outcome: { kind: 'licence', licence } };
  }

  /** An operator's changes, each within what the vendor signed. */
  private changeWithinGrant(licenceId: string, changes: LicenceChanges): Result {
    const current = this.licences.get(licenceId);
    if (current === undefined) return reject('licence_not_found', `licence ${licenceId} does not exist`);
    const beyond = checkWithinGrant(changes, current.grant.limits);
    if (beyond !== null) return reject('licence_limit_exceeded', `${beyond.field}: ${beyond.message}`);
    return this.updateLicence(current, changes, current.grant);
  }

  /**
   * An update written before licences were signed: any change to an unsigned licence, whose
   * ceiling follows it; a signed licence only within its grant.
   */
  private legacyUpdate(licenceId: string, changes: LicenceChanges): Result {
    const current = this.licences.get(licenceId);
    if (current === undefined) return reject('licence_not_found', `licence ${licenceId} does not exist`);
    if (current.grant.serial > 0) return this.changeWithinGrant(licenceId, changes);
    const result = this.updateLicence(current, changes, null);
    if (!result.ok || result.outcome.kind !== 'licence') return result;
    const licence: Licence = deepFreeze({
      ...result.outcome.licence,
      grant: unsignedGrant(result.outcome.licence),
    });
    this.licences.set(licenceId, licence);
    return { ok: true, outcome: { kind: 'licence', licence } };
  }

  private setClusterId(clusterId: string): Result {
    if (this.recordedClusterId === null) this.recordedClusterId = clusterId;
    if (this.recordedClusterId !== clusterId) {
      return reject(
        'cluster_id_mismatch',
        `this ledger belongs to cluster ${this.recordedClusterId}, not ${clusterId}`,
      );
    }
    return { ok: true, outcome: { kind: 'cluster', clusterId } };
  }

  private activateLicence(spec: LicenceSpec, grant: LicenceGrant): Result {
    if (this.licences.has(spec.licenceId)) {
      return reject('licence_exists', `licence ${spec.licenceId} already exists`);
    }
    if (this.licences.size >= this.options.maxLicences) {
      return reject(
        'invalid_command',
        `licence.licence_id: the ledger already holds its limit of ${this.options.maxLicences} licences`,
      );
    }
    const licence: Licence = deepFreeze({
      licenceId: spec.licenceId,
      product: spec.product,
      seats: spec.seats,
      quota: copyQuota(spec.quota),
      validFromMs: spec.validFromMs,
      validUntilMs: spec.validUntilMs,
      redundancy: spec.redundancy,
      features: copyFeatures(spec.features),
      status: 'active',
      activatedAtMs: this.clock,
      updatedAtMs: this.clock,
      grant,
    });
    this.licences.set(licence.licenceId, licence);
    return { ok: true, outcome: { kind: 'licence', licence } };
  }

  /**
   * Seats may drop below the leases in use: existing leases are honoured and no new lease is
   * granted until the count is back under the limit. A deactivated licence may still be updated.
   * grant null keeps the current one (the caller replaces it).
   */
  private updateLicence(current: Licence, changes: LicenceChanges, grant: LicenceGrant | null): Result {
    const licenceId = current.licenceId;
    const validFromMs = changes.validFromMs ?? current.validFromMs;
    const validUntilMs = changes.validUntilMs ?? current.validUntilMs;
    const windowError = checkValidityWindow(
      validFromMs,
      validUntilMs,
      changes.validUntilMs === undefined ? 'valid_from_ms' : 'valid_until_ms',
    );
    if (windowError !== null) {
      return reject('invalid_command', `${windowError.field}: ${windowError.message}`);
    }
    const licence: Licence = deepFreeze({
      ...current,
      product: changes.product ?? current.product,
      seats: changes.seats ?? current.seats,
      quota: changes.quota === undefined ? current.quota : copyQuota(changes.quota),
      validFromMs,
      validUntilMs,
      redundancy: changes.redundancy ?? current.redundancy,
      features: changes.features === undefined ? current.features : copyFeatures(changes.features),
      updatedAtMs: this.clock,
      grant: grant ?? current.grant,
    });
    this.licences.set(licenceId, licence);
    return { ok: true, outcome: { kind: 'licence', licence } };
  }

  /**
   * Releases every lease of the licence, so its seats are free the moment it is deactivated.
   * Deactivating a deactivated licence succeeds and changes nothing. Deactivation is final:
   * activate_licence refuses an existing id.
   */
  private deactivateLicence(licenceId: string): Result {
    const current = this.licences.get(licenceId);
    if (current === undefined) return reject('licence_not_found', `licence ${licenceId} does not exist`);
    if (current.status === 'deactivated') return { ok: true, outcome: { kind: 'licence', licence: current } };
    // In grant order, as a restored ledger would (the seat history records them in this order).
    const slots = [...this.leaseIdsByHolder.leaseIds(licenceId)].map((leaseId) => this.leaseSlot(leaseId));
    for (const slot of slots.sort(compareGrants)) this.removeLease(slot, this.clock);
    const licence: Licence = deepFreeze({ ...current, status: 'deactivated', updatedAtMs: this.clock });
    this.licences.set(licenceId, licence);
    return { ok: true, outcome: { kind: 'licence', licence } };
  }

  /** Why the licence cannot be used now, or null when it can. */
  private refuseUse(licence: Licence): Result | null {
    if (licence.status === 'deactivated') {
      return reject('licence_deactivated', `licence ${licence.licenceId} is deactivated`);
    }
    if (this.clock < licence.validFromMs) {
      return reject(
        'licence_not_yet_valid',
        `licence ${licence.licenceId} is valid from ${licence.validFromMs}`,
      );
    }
    if (licence.validUntilMs !== 0 && this.clock >= licence.validUntilMs) {
      return reject('licence_expired', `licence ${licence.licenceId} expired at ${licence.validUntilMs}`);
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Leases

  private acquireLease(
    command: Extract<ClientCommand, { type: 'acquire_lease' }>,
    term: number,
    index: number,
  ): Result {
    const licence = this.licences.get(command.licenceId);
    if (licence === undefined) {
      return reject('licence_not_found', `licence ${command.licenceId} does not exist`);
    }
    const refusal = this.refuseUse(licence);
    if (refusal !== null) return refusal;

    const heldId = lastHeld(this.leaseIdsByHolder.get(command.licenceId, command.workstationId));
    if (heldId !== undefined) {
      // A workstation that asks again (a restart, a lost answer) keeps its seat rather than taking a
      // second. This takes no new seat, so an overdrawn licence answers it too, like a renewal.
      const slot = this.leaseSlot(heldId);
      const lease: Lease = deepFreeze({
        ...slot.lease,
        parameters: copyParameters(command.parameters),
        renewedAtMs: this.clock,
        expiresAtMs: this.clock + command.ttlMs,
        ttlMs: command.ttlMs,
      });
      this.replaceLease(slot, lease);
      return { ok: true, outcome: { kind: 'lease', lease } };
    }

    const seatsInUse = this.seatsInUse(licence.licenceId);
    if (this.incidentBook.hasOpenSeatsIncident(licence.licenceId)) {
      return reject(
        'licence_overdrawn',
        `licence ${licence.licenceId} is overdrawn after a merge (${seatsInUse} leases for ${licence.seats} seats); no new lease until it is back within its seats`,
      );
    }
    if (seatsInUse >= licence.seats) {
      return reject(
        'seat_limit_reached',
        `licence ${licence.licenceId} has ${seatsInUse} of ${licence.seats} seats in use`,
      );
    }
    if (this.leases.size >= this.options.maxLeases) {
      return reject('seat_limit_reached', `the ledger holds its limit of ${this.options.maxLeases} leases`);
    }
    const leaseId = leaseIdFor(term, index, command.nonce);
    assert.ok(!this.leases.has(leaseId), `lease ${leaseId} already exists`);
    const lease: Lease = deepFreeze({
      leaseId,
      licenceId: licence.licenceId,
      workstationId: command.workstationId,
      parameters: copyParameters(command.parameters),
      grantedAtMs: this.clock,
      renewedAtMs: this.clock,
      expiresAtMs: this.clock + command.ttlMs,
      ttlMs: command.ttlMs,
    });
    this.addLease({ lease, grantIndex: index, grantTerm: term }, this.clock);
    return { ok: true, outcome: { kind: 'lease', lease } };
  }

  /**
   * A lease that is past its expiry but not yet expired by a tick can still be renewed: only tick
   * entries expire leases, so every node agrees on when a lease ended. A lease of a licence whose
   * validity window has closed (or not yet opened, after an update) is not renewed.
   */
  private renewLease(leaseId: string, ttlMs: number): Result {
    const slot = this.leases.get(leaseId);
    if (slot === undefined) return reject('lease_not_found', `lease ${leaseId} does not exist`);
    const licence = this.licences.get(slot.lease.licenceId);
    assert.ok(licence !== undefined, `lease ${leaseId} belongs to a missing licence`);
    const refusal = this.refuseUse(licence);
    if (refusal !== null) return refusal;
    const nextTtlMs = ttlMs === 0 ? slot.lease.ttlMs : ttlMs;
    const lease: Lease = deepFreeze({
      ...slot.lease,
      renewedAtMs: this.clock,
      expiresAtMs: this.clock + nextTtlMs,
      ttlMs: nextTtlMs,
    });
    this.replaceLease(slot, lease);
    return { ok: true, outcome: { kind: 'lease', lease } };
  }

  /**
   * Release and revoke both end the lease at once and answer with the lease as it was. `atMs`, when
   * the lease ended, is the entry's time (a merged release's is the backup's).
   */
  private removeLeaseById(leaseId: string, atMs: number = this.clock): Result {
    const slot = this.leases.get(leaseId);
    if (slot === undefined) return reject('lease_not_found', `lease ${leaseId} does not exist`);
    this.removeLease(slot, atMs);
    return { ok: true, outcome: { kind: 'lease', lease: slot.lease } };
  }

  /**
   * A release or renewal the edge could not find the lease for (see the lease_intent command).
   * `atMs`: when it was asked (the entry's time; a merged one's is the backup's). `effects`: set
   * for a merged intent, which acts at `atMs`. A lease live here is released or renewed now if the
   * workstation holds it; one that ended here is not found; any other is recorded as a tombstone.
   */
  private leaseIntent(
    command: Extract<ClientCommand, { type: 'lease_intent' }>,
    atMs: number,
    index: number,
    effects: MergeEffects | null,
  ): Result {
    const { leaseId, workstationId, action } = command;
    const slot = this.leases.get(leaseId);
    if (slot !== undefined) {
      if (slot.lease.workstationId !== workstationId) {
        return reject(
          'invalid_command',
          `workstation_id: lease ${leaseId} is held by another workstation, not ${workstationId}`,
        );
      }
      effects?.seatLicences.add(slot.lease.licenceId);
      if (action === 'release') return this.removeLeaseById(leaseId, atMs);
      return effects === null
        ? this.renewLease(leaseId, command.ttlMs)
        : this.renewAt(slot, atMs, command.ttlMs);
    }
    if (this.seatHistory.find(leaseId) !== undefined) {
      return reject('lease_not_found', `lease ${leaseId} does not exist (it ended)`);
    }
    this.leaseIntents.record({ leaseId, workstationId, action, ttlMs: command.ttlMs, atMs, index });
    return { ok: true, outcome: { kind: 'intent', leaseId, action } };
  }

  /**
   * A renewal asked at `atMs` (leader time, no later than the clock): the lease runs until
   * atMs + TTL if that is later than its expiry (ttlMs 0 keeps its TTL). A lease of a licence that
   * cannot be used now is not renewed.
   */
  private renewAt(slot: LeaseSlot, atMs: number, ttlMs: number): Result {
    const licence = this.licences.get(slot.lease.licenceId);
    assert.ok(licence !== undefined, `lease ${slot.lease.leaseId} belongs to a missing licence`);
    const refusal = this.refuseUse(licence);
    if (refusal !== null) return refusal;
    const nextTtlMs = ttlMs === 0 ? slot.lease.ttlMs : ttlMs;
    const askedAtMs = Math.min(atMs, this.clock);
    const expiresAtMs = Math.max(slot.lease.expiresAtMs, askedAtMs + nextTtlMs);
    const lease: Lease = deepFreeze({
      ...slot.lease,
      renewedAtMs: Math.max(slot.lease.renewedAtMs, askedAtMs),
      expiresAtMs,
      ttlMs: nextTtlMs,
    });
    this.replaceLease(slot, lease);
    return { ok: true, outcome: { kind: 'lease', lease } };
  }

  /**
   * After a merge's entries: every tombstone whose lease is now live and held by the workstation
   * that asked is applied at its own time, in the order recorded, and removed. A release ends the
   * lease when it was asked (never before its grant or its latest renewal); a renewal extends it as
   * renewAt does. The licences touched go into the merge's effects, so the over-grant record sees
   * the new lifetimes.
   */
  private applyLeaseIntents(effects: MergeEffects): void {
    if (this.leaseIntents.size === 0) return;
    for (const leaseId of this.leaseIntents.leaseIds()) {
      const slot = this.leases.get(leaseId);
      if (slot === undefined) continue;
      const holder = slot.lease.workstationId;
      const intents = this.leaseIntents.forLease(leaseId).filter((intent) => intent.workstationId === holder);
      if (intents.length === 0) continue;
      effects.seatLicences.add(slot.lease.licenceId);
      for (const intent of intents) {
        const current = this.leases.get(leaseId);
        if (current === undefined) break;
        // Never before a renewal the ledger recorded (the clocks of the two sides differ: the
        // workstation still held it when it renewed), so that a repeated merge's renewal finds the
        // lease ended after it and changes nothing.
        if (intent.action === 'release')
          this.removeLease(current, Math.max(Math.min(intent.atMs, this.clock), current.lease.renewedAtMs));
        else this.renewAt(current, intent.atMs, intent.ttlMs);
      }
      this.leaseIntents.remove(leaseId, holder);
    }
  }

  private tick(): Result {
    const due = new Set<LeaseSlot>();
    for (let nextMs = this.expiryQueue.peekMs(); nextMs !== undefined && nextMs <= this.clock; ) {
      const slot = this.expiryQueue.peek() as LeaseSlot;
      this.expiryQueue.pop();
      // Entries left behind by renewals, releases and earlier expiries are skipped: the slot is no
      // longer the live one of its lease (a merge may bring the lease back in a new slot), or it
      // has been renewed past the clock.
      if (this.leases.get(slot.lease.leaseId) === slot && slot.lease.expiresAtMs <= this.clock) due.add(slot);
      nextMs = this.expiryQueue.peekMs();
    }
    const expired = [...due];
    // Removed in grant order, not the queue's (which differs after a restore): the seat history
    // records them in that order.
    expired.sort(compareGrants);
    // Each ended when it expired, not when the tick came.
    for (const slot of expired) this.removeLease(slot, slot.lease.expiresAtMs, true);
    return {
      ok: true,
      outcome: { kind: 'tick', expiredLeaseIds: expired.map((slot) => slot.lease.leaseId) },
    };
  }

  /** Moves every live lease's expiry later by the same amount (the time a failover took). */
  private extendLeases(byMs: number): Result {
    if (byMs > 0) {
      for (const slot of this.leases.values()) {
        const expiresAtMs = slot.lease.expiresAtMs + byMs;
        assert.ok(Number.isSafeInteger(expiresAtMs), `lease ${slot.lease.leaseId} expiry overflows`);
        slot.lease = deepFreeze({ ...slot.lease, expiresAtMs });
      }
      this.rebuildExpiryQueue();
    }
    return { ok: true, outcome: { kind: 'extended', leaseCount: this.leases.size } };
  }

  private leaseSlot(leaseId: string): LeaseSlot {
    const slot = this.leases.get(leaseId);
    assert.ok(slot !== undefined, `lease ${leaseId} is indexed but missing`);
    return slot;
  }

  /** `startedAtMs`: when the lease became held, for the applied events; absent while restoring. */
  private addLease(slot: LeaseSlot, startedAtMs?: number): void {
    const { lease } = slot;
    if (startedAtMs !== undefined) {
      this.note({ kind: 'lease_started', atMs: startedAtMs, lease, command: this.journalCommand ?? 'tick' });
    }
    this.leases.set(lease.leaseId, slot);
    const held = this.leaseIdsByHolder.get(lease.licenceId, lease.workstationId);
    if (held === undefined) {
      // Almost every holder holds one lease: its id stands alone, without an array around it.
      this.leaseIdsByHolder.set(lease.licenceId, lease.workstationId, lease.leaseId);
    } else {
      // Kept in grant order, so that the last is the one handed back to the workstation.
      const ids = typeof held === 'string' ? [held, lease.leaseId] : [...held, lease.leaseId];
      ids.sort((a, b) => compareGrants(this.leaseSlot(a), this.leaseSlot(b)));
      this.leaseIdsByHolder.set(lease.licenceId, lease.workstationId, ids);
    }
    this.scheduleExpiry(slot);
  }

  private replaceLease(slot: LeaseSlot, lease: Lease): void {
    assert.equal(lease.leaseId, slot.lease.leaseId);
    slot.lease = lease;
    this.note({ kind: 'lease_renewed', atMs: this.clock, lease, command: this.journalCommand ?? 'tick' });
    this.scheduleExpiry(slot);
  }

  /**
   * Ends a live lease; `endedAtMs` (leader time) goes into the seat history, with whether a tick
   * expired it.
   */
  private removeLease(slot: LeaseSlot, endedAtMs: number, expired = false): void {
    const { lease } = slot;
    assert.ok(this.leases.delete(lease.leaseId), `lease ${lease.leaseId} is not live`);
    this.note({
      kind: 'lease_ended',
      atMs: Math.max(endedAtMs, lease.grantedAtMs),
      lease,
      expired,
      command: this.journalCommand ?? 'tick',
    });
    this.seatHistory.record({
      leaseId: lease.leaseId,
      licenceId: lease.licenceId,
      grantTerm: slot.grantTerm,
      grantedAtMs: lease.grantedAtMs,
      endedAtMs: Math.max(endedAtMs, lease.grantedAtMs),
      expired,
    });
    const held = this.leaseIdsByHolder.get(lease.licenceId, lease.workstationId);
    if (typeof held === 'string') {
      assert.equal(held, lease.leaseId, `lease ${lease.leaseId} missing from its holder`);
      this.leaseIdsByHolder.delete(lease.licenceId, lease.workstationId);
      return;
    }
    const remaining = held?.filter((leaseId) => leaseId !== lease.leaseId) ?? [];
    assert.ok(
      held !== undefined && remaining.length === held.length - 1,
      `lease ${lease.leaseId} missing from its holder`,
    );
    this.leaseIdsByHolder.set(
      lease.licenceId,
      lease.workstationId,
      remaining.length === 1 ? (remaining[0] as string) : remaining,
    );
  }

  private scheduleExpiry(slot: LeaseSlot): void {
    this.expiryQueue.push(slot.lease.expiresAtMs, slot);
    if (this.expiryQueue.size > 2 * this.leases.size + EXPIRY_QUEUE_SLACK) this.rebuildExpiryQueue();
  }

  private rebuildExpiryQueue(): void {
    this.expiryQueue.rebuild(this.leases.values(), (slot) => slot.lease.expiresAtMs);
  }

  // ---------------------------------------------------------------------------------------------
  // Usage

  /** A report that would take the period over its quota is refused whole; nothing is recorded. */
  private reportUsage(licenceId: string, units: number): Result {
    const licence = this.licences.get(licenceId);
    if (licence === undefined) return reject('licence_not_found', `licence ${licenceId} does not exist`);
    if (licence.status === 'deactivated') {
      return reject('licence_deactivated', `licence ${licenceId} is deactivated`);
    }
    return this.addUsage(licence, this.clock, units, true).result;
  }

  /**
   * Adds units to the licence's period that contains atMs. With enforceQuota false (a merge
   * re-applying what the backup accepted) the quota is not checked, only the counter's range.
   * Returns the usage key written, or null when nothing was.
   */
  private addUsage(
    licence: Licence,
    atMs: number,
    units: number,
    enforceQuota: boolean,
  ): { result: Result; key: string | null } {
    const licenceId = licence.licenceId;
    const period = licence.quota?.period ?? UNMETERED_PERIOD;
    const bounds = periodBounds(period, atMs);
    const key = usageKey(period, bounds.periodStartMs);
    let slots = this.usageByLicence.get(licenceId);
    const current = slots?.get(key)?.usage;
    const used = current?.used ?? 0;
    const quotaUnits = licence.quota?.units ?? null;
    if (enforceQuota && quotaUnits !== null && used + units > quotaUnits) {
      const result = reject(
        'quota_exhausted',
        `licence ${licenceId} has used ${used} of ${quotaUnits} units this ${period}; ${units} more would exceed the quota`,
      );
      return { result, key: null };
    }
    if (!Number.isSafeInteger(used + units)) {
      const result = reject(
        'quota_exhausted',
        `licence ${licenceId} usage counter for this ${period} is full`,
      );
      return { result, key: null };
    }
    const usage: UsagePeriod = deepFreeze({
      periodStartMs: bounds.periodStartMs,
      periodEndMs: bounds.periodEndMs,
      used: used + units,
      quota: quotaUnits ?? 0,
      reports: (current?.reports ?? 0) + 1,
    });
    if (slots === undefined) {
      slots = new Map();
      this.usageByLicence.set(licenceId, slots);
    }
    slots.set(key, { period, usage });
    this.forgetOldUsage(slots, key);
    const result: Result = {
      ok: true,
      outcome: {
        kind: 'usage',
        licenceId,
        periodStartMs: usage.periodStartMs,
        used: usage.used,
        // A merge may take a period over its quota; nothing is left then, never less than nothing.
        remaining: quotaUnits === null ? null : Math.max(0, quotaUnits - usage.used),
      },
    };
    return { result, key };
  }

  /**
   * Keeps at most usageHistoryPeriods periods per licence by dropping the period that starts
   * first. The period just written is never dropped (after a change of quota period, a month can
   * start before the days already recorded in it).
   */
  private forgetOldUsage(slots: Map<string, UsageSlot>, keptKey: string): void {
    while (slots.size > this.options.usageHistoryPeriods) {
      let oldestKey: string | null = null;
      let oldest: UsageSlot | null = null;
      for (const [key, slot] of slots) {
        if (key !== keptKey && (oldest === null || compareUsage(slot, oldest) < 0)) {
          oldestKey = key;
          oldest = slot;
        }
      }
      assert.ok(oldestKey !== null);
      slots.delete(oldestKey);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Merge and overdraft incidents

  /**
   * Re-applies the backup's solo entries in its log order. The main's history stands: ticks and
   * lease extensions are skipped (the main's own clock rules expiry), a request the ledger already
   * remembers is a duplicate and is skipped, and everything else is executed now and remembered
   * under its request id. Leases and usage the backup granted are honoured even past a limit; the
   * excess becomes an overdraft incident.
   */
  private merge(command: MergeCommand, entry: LedgerEntry): Result {
    const effects: MergeEffects = {
      seatLicences: new Set(),
      quotaLicences: new Set(),
      usagePeriods: new Map(),
    };
    let applied = 0;
    let duplicates = 0;
    let skipped = 0;
    for (const merged of command.entries) {
      const nested = merged.command;
      this.journalCommand = nested.type;
      // The main's own clock rules expiry, and its own cluster id stands.
      if (nested.type === 'tick' || nested.type === 'extend_leases' || nested.type === 'set_cluster_id') {
        skipped += 1;
        continue;
      }
      assert.ok(nested.type !== 'merge', 'validation refuses a merge inside a merge');
      assert.ok(
        nested.type !== 'legacy_activate_licence' && nested.type !== 'legacy_update_licence',
        'validation refuses unsigned licence commands in a merge',
      );
      // A lease that already carries this entry's id was granted by an earlier merge of the same
      // entry whose request id has since been forgotten: granting it again is impossible.
      const alreadyGranted =
        nested.type === 'acquire_lease' &&
        this.leases.has(leaseIdFor(merged.term, merged.index, nested.nonce));
      // A request id both sides know is one request, even if a client reused it for another
      // command: the main's stands (honourBackupAnswer keeps what the backup answered).
      if (this.requests.has(nested.requestId) || alreadyGranted) {
        duplicates += 1;
        this.honourBackupAnswer(nested, merged, effects, entry.index);
        continue;
      }
      const result = deepFreeze(this.executeMerged(nested, merged, effects, entry.index));
      this.note({ kind: 'executed', atMs: this.mergedTimeMs(merged), command: nested, result });
      this.remember(nested.requestId, entry.index, result, commandFingerprint(nested));
      this.recordAudit(nested, result, entry.index, {
        nodeId: command.sourceNodeId,
        index: merged.index,
        term: merged.term,
        timestampMs: merged.timestampMs,
      });
      // The main could not honour what the backup answered (the licence went away on the main):
      // the workstation holds the backup's answer, so it is kept beside the main's.
      if (merged.result !== undefined) this.keepOtherSideResult(nested.requestId, merged.result);
      applied += 1;
    }
    // The workstations' releases and renewals that reached this side before the leases did.
    this.journalCommand = 'lease_intent';
    this.applyLeaseIntents(effects);
    const incidentIds = this.openIncidents(command, entry, effects);
    return { ok: true, outcome: { kind: 'merged', applied, duplicates, skipped, incidentIds } };
  }

  /**
   * A request both sides executed (a workstation retried on the backup a request the main had
   * taken but not yet answered when the link was cut) counts once, but the workstation may have
   * kept either side's answer. So a lease the backup granted is kept under its own id beside the
   * main's (whichever the workstation does not renew expires), and usage the backup accepted is
   * counted when the main had refused it (the request then remembers the acceptance, which also
   * makes a repeated merge change nothing; for a lease, the lease existing does).
   */
  private honourBackupAnswer(
    command: Command,
    merged: MergedEntry,
    effects: MergeEffects,
    mergeIndex: number,
  ): void {
    const answered = merged.result;
    if (answered === undefined || !('requestId' in command)) return;
    const record = this.requests.get(command.requestId);
    if (record === undefined) return;
    const remembered = record.result;
    if (!answered.ok) {
      this.keepOtherSideResult(command.requestId, copyRejection(answered));
      return;
    }
    // A renewal, release or licence change both sides executed: each side's effect is already
    // there (the main's own, and the merged one is not executed again); only the answer is kept.
    // A renewal the main refused still kept the seat taken on the backup's side. One the main
    // answered (itself, or an earlier merge of this entry) needs nothing more: acting on it again
    // would make a repeated merge change the seat history.
    if (command.type === 'renew_lease' && !remembered.ok) this.honourBackupRenewal(merged, effects);
    // A release the backup executed and the main refused (the lease had ended here, and an earlier
    // entry of this merge brought it back: the backup handed it back to the workstation, or renewed
    // it): the workstation was told it is released, so it ends as the backup ended it (simulation
    // seed 217 in pair mode, found by the release_lost check).
    const releases =
      command.type === 'release_lease' ||
      command.type === 'revoke_lease' ||
      (command.type === 'lease_intent' && command.action === 'release');
    if (releases && !remembered.ok && answered.outcome.kind === 'lease') {
      const slot = this.leases.get(command.leaseId);
      if (slot !== undefined) {
        effects.seatLicences.add(slot.lease.licenceId);
        this.removeLease(slot, this.mergedTimeMs(merged));
      }
    }
    if (command.type !== 'acquire_lease' && command.type !== 'report_usage') {
      this.keepOtherSideResult(command.requestId, answered);
      return;
    }
    if (command.type === 'acquire_lease') {
      if (answered.outcome.kind !== 'lease') return;
      const backupLeaseId = answered.outcome.lease.leaseId;
      const sameLease =
        remembered.ok &&
        remembered.outcome.kind === 'lease' &&
        remembered.outcome.lease.leaseId === backupLeaseId;
      if (sameLease) return;
      // The request keeps the main's answer; the backup's lease only has to exist.
      // Only the first time: once the backup's answer is kept beside the main's, this merge entry
      // was honoured before, and a lease it brought that has since ended (a release, a recorded
      // intent) stays ended.
      if (!this.leases.has(backupLeaseId) && record.otherSideResult === undefined) {
        this.forcedAcquire(command, merged, effects);
      }
      this.keepOtherSideResult(command.requestId, answered);
      return;
    }
    // Both accepted it: counted once already, and the workstation got one of the two totals.
    if (remembered.ok) {
      this.keepOtherSideResult(command.requestId, answered);
      return;
    }
    const result = this.forcedReport(command, merged, effects);
    if (!result.ok) return;
    this.note({ kind: 'executed', atMs: this.mergedTimeMs(merged), command, result });
    // The acceptance replaces the main's refusal (which also makes a repeated merge change
    // nothing); the refusal is kept as the other side's answer.
    this.requests.delete(command.requestId);
    this.remember(command.requestId, mergeIndex, deepFreeze(result), record.fingerprint);
    this.keepOtherSideResult(command.requestId, remembered);
  }

  /**
   * Records beside a request's result the different answer the other side of a split brain gave
   * it (see RequestRecord.otherSideResult). A repeated merge finds it already recorded.
   */
  private keepOtherSideResult(requestId: string, other: Result): void {
    const record = this.requests.get(requestId);
    assert.ok(record !== undefined, `request ${requestId} is not remembered`);
    if (isDeepStrictEqual(record.result, other)) return;
    if (record.otherSideResult !== undefined) return;
    this.requests.replace(deepFreeze({ ...record, otherSideResult: other }));
  }

  private executeMerged(
    command: ClientCommand,
    merged: MergedEntry,
    effects: MergeEffects,
    mergeIndex: number,
  ): Result {
    switch (command.type) {
      case 'acquire_lease':
        return this.forcedAcquire(command, merged, effects);
      case 'report_usage':
        return this.forcedReport(command, merged, effects);
      case 'activate_licence':
        // Judged when the backup executed it: the workstations hold what the backup granted under
        // it, even if the file expired before the heal (simulation seed 851 in pair mode).
        return this.activateFromFile(command.licenceFile, this.mergedTimeMs(merged));
      case 'update_licence': {
        const result = this.update(command);
        if (result.ok) {
          effects.seatLicences.add(command.licenceId);
          effects.quotaLicences.add(command.licenceId);
        }
        return result;
      }
      case 'deactivate_licence':
        return this.deactivateLicence(command.licenceId);
      case 'renew_lease': {
        // A renewal made on the backup during the split may lengthen a lease the main holds, never
        // shorten it: the main may have renewed it since, and told its workstation a later expiry.
        // Run again now with its own TTL, the backup's older renewal ended the lease before that,
        // and the main granted the seat again (simulation seed 489 in pair mode).
        const live = this.leases.get(command.leaseId);
        const ttlMs = command.ttlMs === 0 ? live?.lease.ttlMs : command.ttlMs;
        if (live !== undefined && ttlMs !== undefined && live.lease.expiresAtMs >= this.clock + ttlMs) {
          return { ok: true, outcome: { kind: 'lease', lease: live.lease } };
        }
        const result = this.renewLease(command.leaseId, command.ttlMs);
        if (result.ok) return result;
        return this.honourBackupRenewal(merged, effects) ?? result;
      }
      case 'release_lease':
      case 'revoke_lease':
        return this.removeLeaseById(command.leaseId, this.mergedTimeMs(merged));
      case 'lease_intent':
        return this.leaseIntent(command, this.mergedTimeMs(merged), mergeIndex, effects);
      case 'audit_note':
        return { ok: true, outcome: { kind: 'noted' } };
      default:
        return assert.fail(`a merged command has unknown type ${String((command as Command).type)}`);
    }
  }

  /**
   * The backup renewed a lease the main no longer holds: its workstation was told the lease runs
   * until the expiry the backup answered, and goes on using it. A lease that only expired here
   * (its TTL ran out while its renewals went to the backup) and is still unexpired by that answer
   * is held again, as the backup answered (dated no later than now), even past the seats, like a
   * lease the backup granted: the workstation keeps its seat, and the seats held at once stay
   * true for the over-grant record. One the main released, revoked or deactivated before the
   * renewal stays ended (that decision stands), but the seat history keeps its longer lifetime, up
   * to now. Returns the lease held again, or null.
   */
  private honourBackupRenewal(merged: MergedEntry, effects: MergeEffects): Result | null {
    const answered = merged.result;
    if (answered === undefined || !answered.ok || answered.outcome.kind !== 'lease') return null;
    const backupLease = answered.outcome.lease;
    const grant = grantOf(backupLease.leaseId);
    const licence = this.licences.get(backupLease.licenceId);
    if (grant === null || licence === undefined || this.leases.has(backupLease.leaseId)) return null;
    effects.seatLicences.add(licence.licenceId);
    const ended = this.seatHistory.find(backupLease.leaseId);
    const renewedAtMs = Math.min(backupLease.renewedAtMs, this.clock);
    const expiresAtMs = Math.min(backupLease.expiresAtMs, this.clock + backupLease.ttlMs);
    const resumable =
      (ended === undefined || ended.expired) &&
      licence.status === 'active' &&
      expiresAtMs > this.clock &&
      this.leases.size < this.options.maxLeases;
    if (!resumable) {
      this.recordBackupHolding(backupLease, grant.grantTerm, ended, merged);
      return null;
    }
    // Live again: its lifetime is the live lease's now.
    this.seatHistory.forget(backupLease.leaseId);
    const lease: Lease = deepFreeze({
      leaseId: backupLease.leaseId,
      licenceId: licence.licenceId,
      workstationId: backupLease.workstationId,
      parameters: copyParameters(backupLease.parameters),
      grantedAtMs: Math.min(backupLease.grantedAtMs, renewedAtMs),
      renewedAtMs,
      expiresAtMs,
      ttlMs: backupLease.ttlMs,
    });
    this.addLease({ lease, grantIndex: grant.grantIndex, grantTerm: grant.grantTerm }, renewedAtMs);
    return { ok: true, outcome: { kind: 'lease', lease } };
  }

  /**
   * A lease the backup answered for (a renewal, or an acquire that handed back a lease its
   * workstation held) stays ended here: the seat history keeps the time the backup's answer held
   * the seat, up to now, so that the over-grant record sees it.
   */
  private recordBackupHolding(
    backupLease: Lease,
    grantTerm: number,
    ended: EndedLease | undefined,
    merged: MergedEntry,
  ): void {
    // Released or revoked here after the backup's answer: the record already covers it.
    if (ended !== undefined && !ended.expired && ended.endedAtMs >= this.mergedTimeMs(merged)) return;
    const grantedAtMs = Math.min(backupLease.grantedAtMs, this.clock);
    const renewedEndMs = Math.max(grantedAtMs, Math.min(backupLease.expiresAtMs, this.clock));
    // Expired here no earlier than this renewal ran out. An expiry record an earlier renewal of
    // the same merge extended is not enough: each renewal moves the end on (simulation seed 720
    // of the drain branch, pair mode: the second of two renewals was dropped and the over-grant
    // record lost the lease's grant term).
    if (ended !== undefined && ended.expired && ended.endedAtMs >= renewedEndMs) return;
    this.seatHistory.extend({
      leaseId: backupLease.leaseId,
      licenceId: backupLease.licenceId,
      grantTerm,
      grantedAtMs,
      endedAtMs: renewedEndMs,
      expired: ended?.expired ?? true,
    });
  }

  /** Entry times after the ledger's clock (a backup clock running ahead) are brought back to it. */
  private mergedTimeMs(merged: MergedEntry): number {
    return Math.min(merged.timestampMs, this.clock);
  }

  /**
   * Honours what the backup answered an acquire with. A refusal is recorded as this request's
   * result and changes nothing. A lease the backup granted (or handed back) is held under its own
   * id, which the workstation holds, dated by the backup: the seat limit, the validity window and
   * an open incident do not stop it, and an existing lease of the same workstation is not handed
   * back instead. The licence must still exist and be active on the main, and the ledger-wide
   * lease limit still holds. Without the backup's result, the entry is taken as granted by the
   * backup under `lease-<term>-<index>` of the merged entry.
   */
  private forcedAcquire(
    command: Extract<ClientCommand, { type: 'acquire_lease' }>,
    merged: MergedEntry,
    effects: MergeEffects,
  ): Result {
    const answered = merged.result;
    if (answered !== undefined && !answered.ok) return copyRejection(answered);
    const licence = this.licences.get(command.licenceId);
    if (licence === undefined) {
      return reject('licence_not_found', `licence ${command.licenceId} does not exist`);
    }
    if (licence.status === 'deactivated') {
      return reject('licence_deactivated', `licence ${licence.licenceId} is deactivated`);
    }
    let granted: Lease;
    if (answered === undefined) {
      const atMs = this.mergedTimeMs(merged);
      granted = {
        leaseId: leaseIdFor(merged.term, merged.index, command.nonce),
        licenceId: licence.licenceId,
        workstationId: command.workstationId,
        parameters: command.parameters,
        grantedAtMs: atMs,
        renewedAtMs: atMs,
        expiresAtMs: atMs + command.ttlMs,
        ttlMs: command.ttlMs,
      };
    } else {
      assert.ok(answered.outcome.kind === 'lease', 'validation admits only a lease for an acquire');
      granted = answered.outcome.lease;
    }

    const existing = this.leases.get(granted.leaseId);
    if (existing !== undefined) {
      // The backup handed back a lease both nodes knew: it stays, as late as either node had it.
      const { lease } = existing;
      if (lease.licenceId !== granted.licenceId || lease.workstationId !== granted.workstationId) {
        return reject('invalid_command', `lease ${lease.leaseId} is held by another workstation here`);
      }
      const expiresAtMs = Math.min(granted.expiresAtMs, this.clock + granted.ttlMs);
      if (expiresAtMs <= lease.expiresAtMs) return { ok: true, outcome: { kind: 'lease', lease } };
      const renewed: Lease = deepFreeze({
        ...lease,
        parameters: copyParameters(granted.parameters),
        renewedAtMs: Math.max(lease.renewedAtMs, Math.min(granted.renewedAtMs, this.clock)),
        expiresAtMs,
        ttlMs: granted.ttlMs,
      });
      this.replaceLease(existing, renewed);
      return { ok: true, outcome: { kind: 'lease', lease: renewed } };
    }

    // The backup handed back a lease this node ended by a release or a revoke during the split:
    // that end stands, as it does for a backup's renewal (honourBackupRenewal), whichever entry
    // is stamped later. The stamps come from two clocks, and the workstation may well have
    // released the lease here after its acquire there: held again, it would keep a seat nobody
    // holds for its TTL (simulation seed 253 in pair mode with late timers, the backup's clock
    // 130 ms ahead). The request keeps the backup's answer; the seat history keeps its time.
    const grant = grantOf(granted.leaseId);
    assert.ok(grant !== null, `validation admits only lease ids a ledger makes, not ${granted.leaseId}`);
    const ended = this.seatHistory.find(granted.leaseId);
    if (ended !== undefined && !ended.expired) {
      effects.seatLicences.add(licence.licenceId);
      this.recordBackupHolding(granted, grant.grantTerm, ended, merged);
      return { ok: true, outcome: { kind: 'lease', lease: granted } };
    }

    if (this.leases.size >= this.options.maxLeases) {
      return reject('seat_limit_reached', `the ledger holds its limit of ${this.options.maxLeases} leases`);
    }
    // Times after the clock (a backup clock running ahead) are brought back to it.
    const renewedAtMs = Math.min(granted.renewedAtMs, this.clock);
    const lease: Lease = deepFreeze({
      leaseId: granted.leaseId,
      licenceId: licence.licenceId,
      workstationId: granted.workstationId,
      parameters: copyParameters(granted.parameters),
      grantedAtMs: Math.min(granted.grantedAtMs, renewedAtMs),
      renewedAtMs,
      expiresAtMs: Math.min(granted.expiresAtMs, this.clock + granted.ttlMs),
      ttlMs: granted.ttlMs,
    });
    this.addLease({ lease, grantIndex: grant.grantIndex, grantTerm: grant.grantTerm }, lease.grantedAtMs);
    effects.seatLicences.add(licence.licenceId);
    return { ok: true, outcome: { kind: 'lease', lease } };
  }

  /**
   * Honours what the backup answered a usage report with: a refusal is recorded and counts
   * nothing; accepted units are added to the period of the backup's entry even past the quota, and
   * the backup's answer is recorded (it is what the workstation was told). Without the backup's
   * result the units are added as if accepted.
   */
  private forcedReport(
    command: Extract<ClientCommand, { type: 'report_usage' }>,
    merged: MergedEntry,
    effects: MergeEffects,
  ): Result {
    const answered = merged.result;
    if (answered !== undefined && !answered.ok) return copyRejection(answered);
    const licence = this.licences.get(command.licenceId);
    if (licence === undefined) {
      return reject('licence_not_found', `licence ${command.licenceId} does not exist`);
    }
    if (licence.status === 'deactivated') {
      return reject('licence_deactivated', `licence ${licence.licenceId} is deactivated`);
    }
    const atMs = this.mergedTimeMs(merged);
    const { result, key } = this.addUsage(licence, atMs, command.units, false);
    if (key === null) return result;
    let keys = effects.usagePeriods.get(licence.licenceId);
    if (keys === undefined) {
      keys = new Map();
      effects.usagePeriods.set(licence.licenceId, keys);
    }
    keys.set(key, Math.min(keys.get(key) ?? atMs, atMs));
    if (answered === undefined) return result;
    assert.ok(answered.outcome.kind === 'usage', 'validation admits only usage for a report');
    const { licenceId, periodStartMs, used, remaining } = answered.outcome;
    return { ok: true, outcome: { kind: 'usage', licenceId, periodStartMs, used, remaining } };
  }

  /**
   * Records an incident for every excess the split brain caused.
   * - Seats: for each licence that gained a lease (or had its seats changed), every stretch since the
   *   merged entries began during which the leases held at once across both histories, ordered by
   *   their leader timestamps, went over the seats (over-grant.ts): with its peak, start, end and
   *   grant terms. One that ended before the merge is recorded resolved; one that still lasts is
   *   open, and the licence grants no new lease until it is back within its seats.
   * - Usage: every period the merge added usage to (or the current period, when the merge changed
   *   the quota) that is over its quota.
   * An excess already recorded (an incident of the same licence and kind covering the same stretch
   * or period with at least this excess) gets no second one, so a repeated merge records nothing.
   */
  private openIncidents(command: MergeCommand, entry: LedgerEntry, effects: MergeEffects): string[] {
    const incidentIds: string[] = [];
    const record = (fields: {
      licenceId: string;
      kind: IncidentKind;
      limit: number;
      observed: number;
      period: UsagePeriod | null;
      startedAtMs: number | null;
      endedAtMs: number | null;
      grantTerms: number[];
    }): void => {
      const incidentId = incidentIdFor(entry.index, incidentIds.length + 1);
      this.incidentBook.add({
        incidentId,
        licenceId: fields.licenceId,
        kind: fields.kind,
        limit: fields.limit,
        observed: fields.observed,
        excess: fields.observed - fields.limit,
        mainTerm: entry.term,
        backupTerms: [...command.sourceTerms],
        sourceNodeId: command.sourceNodeId,
        mergeIndex: entry.index,
        openedAtMs: this.clock,
        // An over-grant that was over before the heal is recorded as it was: already resolved.
        resolvedAtMs: fields.kind === 'seats' && fields.endedAtMs !== null ? this.clock : null,
        periodStartMs: fields.period?.periodStartMs ?? null,
        periodEndMs: fields.period?.periodEndMs ?? null,
        startedAtMs: fields.startedAtMs,
        endedAtMs: fields.endedAtMs,
        grantTerms: fields.grantTerms,
      });
      incidentIds.push(incidentId);
    };

    // The split's window: from the earliest entry the merge carries.
    let windowStartMs = Number.POSITIVE_INFINITY;
    for (const merged of command.entries) windowStartMs = Math.min(windowStartMs, this.mergedTimeMs(merged));
    const licenceIds = new Set([
      ...effects.seatLicences,
      ...effects.quotaLicences,
      ...effects.usagePeriods.keys(),
    ]);
    for (const licenceId of [...licenceIds].sort(compareStrings)) {
      const licence = this.licences.get(licenceId);
      assert.ok(licence !== undefined, `the merge touched a missing licence ${licenceId}`);
      if (effects.seatLicences.has(licenceId) && Number.isFinite(windowStartMs)) {
        for (const stretch of overGrantStretches(
          this.seatIntervals(licenceId, windowStartMs),
          licence.seats,
        )) {
          if (this.overGrantRecorded(licenceId, stretch, stretch.peak - licence.seats)) continue;
          record({
            licenceId,
            kind: 'seats',
            limit: licence.seats,
            observed: stretch.peak,
            period: null,
            startedAtMs: stretch.startedAtMs,
            endedAtMs: stretch.endedAtMs,
            grantTerms: stretch.grantTerms,
          });
        }
      }
      const firstReportMs = effects.usagePeriods.get(licenceId) ?? new Map<string, number>();
      const keys = new Set(firstReportMs.keys());
      if (effects.quotaLicences.has(licenceId) && licence.quota !== null) {
        keys.add(
          usageKey(licence.quota.period, periodBounds(licence.quota.period, this.clock).periodStartMs),
        );
      }
      const slots = this.usageByLicence.get(licenceId);
      const written = [...keys]
        .map((key) => ({ key, slot: slots?.get(key) }))
        .filter((each): each is { key: string; slot: UsageSlot } => each.slot !== undefined)
        .sort((a, b) => compareUsage(a.slot, b.slot));
      for (const { key, slot } of written) {
        // The quota in force for the period: the licence's own while it still counts in this kind
        // of period, else the one recorded with the period's last report (0: no quota).
        const limit =
          licence.quota !== null && licence.quota.period === slot.period
            ? licence.quota.units
            : slot.usage.quota;
        const excess = slot.usage.used - limit;
        if (limit <= 0 || excess <= 0) continue;
        if (this.incidentBook.largestOpenExcess(licenceId, 'usage', slot.usage.periodStartMs) >= excess)
          continue;
        record({
          licenceId,
          kind: 'usage',
          limit,
          observed: slot.usage.used,
          period: slot.usage,
          startedAtMs: firstReportMs.get(key) ?? null,
          endedAtMs: null,
          grantTerms: [],
        });
      }
    }
    return incidentIds;
  }

  /**
   * The lifetimes of the licence's leases held at any time since `sinceMs`: the live ones (still
   * held, however close to expiry, as seatsInUse counts them) and those the seat history remembers.
   */
  private seatIntervals(licenceId: string, sinceMs: number): SeatInterval[] {
    const intervals: SeatInterval[] = [];
    for (const leaseId of this.leaseIdsByHolder.leaseIds(licenceId)) {
      const slot = this.leaseSlot(leaseId);
      intervals.push({ startMs: slot.lease.grantedAtMs, endMs: null, grantTerm: slot.grantTerm });
    }
    for (const ended of this.seatHistory.endedAfter(licenceId, sinceMs)) {
      intervals.push({ startMs: ended.grantedAtMs, endMs: ended.endedAtMs, grantTerm: ended.grantTerm });
    }
    return intervals;
  }

  /**
   * Whether an incident already covers this over-grant: a seats incident of the licence with at
   * least this excess, naming every grant term of the stretch, that began no later and lasted no
   * shorter (one still open lasts; one that lasts must be open). An incident from before the
   * ledger kept spans covers a stretch that lasts if it is open.
   */
  private overGrantRecorded(licenceId: string, stretch: OverGrantStretch, excess: number): boolean {
    const lasts = stretch.endedAtMs === null;
    return this.incidentBook.list(lasts).some((incident) => {
      if (incident.licenceId !== licenceId || incident.kind !== 'seats' || incident.excess < excess)
        return false;
      if (incident.startedAtMs === null) return lasts;
      if (incident.startedAtMs > stretch.startedAtMs) return false;
      if (!stretch.grantTerms.every((term) => incident.grantTerms.includes(term))) return false;
      if (lasts || incident.resolvedAtMs === null) return true;
      return (incident.endedAtMs ?? incident.resolvedAtMs) >= (stretch.endedAtMs as number);
    });
  }

  /** Resolves every open incident whose licence is back within the limit (or whose period is over). */
  private resolveIncidents(): void {
    if (this.incidentBook.openCount === 0) return;
    for (const incident of this.incidentBook.openIncidents()) {
      if (!this.stillOverdrawn(incident)) this.incidentBook.resolve(incident.incidentId, this.clock);
    }
  }

  private stillOverdrawn(incident: Incident): boolean {
    const licence = this.licences.get(incident.licenceId);
    assert.ok(licence !== undefined, `incident ${incident.incidentId} names a missing licence`);
    if (incident.kind === 'seats') return this.seatsInUse(licence.licenceId) > licence.seats;
    const { periodStartMs, periodEndMs } = incident;
    assert.ok(
      periodStartMs !== null && periodEndMs !== null,
      `usage incident ${incident.incidentId} has no period`,
    );
    if (this.clock >= periodEndMs) return false;
    // A quota removed, or counted in another kind of period, no longer limits this period.
    const quota = licence.quota;
    if (quota === null) return false;
    const bounds = periodBounds(quota.period, periodStartMs);
    if (bounds.periodStartMs !== periodStartMs || bounds.periodEndMs !== periodEndMs) return false;
    const used = this.usageByLicence.get(licence.licenceId)?.get(usageKey(quota.period, periodStartMs))
      ?.usage.used;
    return (used ?? 0) > quota.units;
  }

  // ---------------------------------------------------------------------------------------------
  // Request ids

  /** Forgets records as old as the window or older, in entry time (so every node forgets alike). */
  private forgetOldRequests(): void {
    const oldestKeptMs = this.clock - this.options.idempotencyWindowMs;
    for (let atMs = this.requests.oldestAtMs(); atMs !== undefined; atMs = this.requests.oldestAtMs()) {
      if (atMs > oldestKeptMs) break;
      this.requests.deleteOldest();
    }
  }

  private remember(requestId: string, index: number, result: Result, fingerprint: number): void {
    // Frozen like every record: a snapshot being written holds it (beginSnapshot).
    this.requests.add(Object.freeze({ requestId, index, atMs: this.clock, result, fingerprint }));
    const { idempotencyMaxEntries, idempotencyMaxBytes } = this.options;
    while (
      this.requests.size > idempotencyMaxEntries ||
      (this.requests.size > 1 && this.requests.bytes > idempotencyMaxBytes)
    ) {
      this.requests.deleteOldest();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The audit trail

  /** Forgets records as old as the retention or older, in entry time. */
  private forgetOldAudit(): void {
    const oldestKeptMs = this.clock - this.options.auditRetentionMs;
    for (let record = this.audit.oldest(); record !== undefined; record = this.audit.oldest()) {
      if (record.atMs > oldestKeptMs) break;
      this.audit.deleteOldest();
    }
  }

  /** Records an admin or operator command that names its actor, with its outcome. */
  private recordAudit(command: Command, result: Result, index: number, origin: AuditOrigin | null): void {
    if (!('actor' in command) || command.actor === null) return;
    let licenceId: string | null = null;
    let leaseId: string | null = null;
    let detail = '';
    switch (command.type) {
      case 'activate_licence': {
        const terms = this.termsOf(command.licenceFile);
        licenceId = terms.licenceId;
        detail = describeGrant(this.grantFromFile(command.licenceFile, terms));
        break;
      }
      case 'update_licence':
        licenceId = command.licenceId;
        detail =
          command.licenceFile === null
            ? describeChanges(command.changes)
            : describeGrant(this.grantFromFile(command.licenceFile, this.termsOf(command.licenceFile)));
        break;
      case 'deactivate_licence':
        licenceId = command.licenceId;
        break;
      case 'revoke_lease':
        leaseId = command.leaseId;
        licenceId = result.ok && result.outcome.kind === 'lease' ? result.outcome.lease.licenceId : null;
        detail = command.reason;
        break;
      case 'audit_note':
        detail = command.detail;
        break;
    }
    const record: AuditRecord = {
      index,
      atMs: this.clock,
      action: command.type === 'audit_note' ? command.action : command.type,
      actor: { ...command.actor },
      requestId: command.requestId,
      licenceId,
      leaseId,
      outcome: result.ok ? 'ok' : result.reason,
      detail,
      origin,
    };
    this.audit.add(deepFreeze(record));
    while (this.audit.size > this.options.auditMaxEntries) this.audit.deleteOldest();
  }

  // ---------------------------------------------------------------------------------------------
  // Queries. Every object returned is frozen; collections are sorted.

  getLicence(licenceId: string): Licence | undefined {
    return this.licences.get(licenceId);
  }

  /** Sorted by licence id. */
  listLicences(): Licence[] {
    return [...this.licences.values()].sort((a, b) => compareStrings(a.licenceId, b.licenceId));
  }

  licenceCount(): number {
    return this.licences.size;
  }

  getLease(leaseId: string): Lease | undefined {
    return this.leases.get(leaseId)?.lease;
  }

  /** Live leases, of one licence or of all, in grant order (by the index in the id, then the term). */
  listLeases(licenceId?: string): Lease[] {
    let slots: LeaseSlot[];
    if (licenceId === undefined) {
      slots = [...this.leases.values()];
    } else {
      slots = [...this.leaseIdsByHolder.leaseIds(licenceId)].map((leaseId) => this.leaseSlot(leaseId));
    }
    return slots.sort(compareGrants).map((slot) => slot.lease);
  }

  /** Live leases of the licence, including any past their expiry that no tick has expired yet. */
  seatsInUse(licenceId: string): number {
    return this.leaseIdsByHolder.leaseCount(licenceId);
  }

  /**
   * The earliest entry time at which a tick could expire a lease, or null when no lease is live.
   * It is never later than the true earliest expiry (a renewed lease's old index entry may make it
   * earlier, and the next tick discards that entry), so a leader may skip ticks until then.
   */
  nextExpiryMs(): number | null {
    if (this.leases.size === 0) return null;
    return this.expiryQueue.peekMs() ?? null;
  }

  leaseCount(): number {
    return this.leases.size;
  }

  /** Every recorded period of the licence, sorted by start (then end). */
  usage(licenceId: string): UsagePeriod[] {
    return [...(this.usageByLicence.get(licenceId)?.values() ?? [])]
      .sort(compareUsage)
      .map((slot) => slot.usage);
  }

  /**
   * The usage of the period that contains atMs, counted the way the licence counts now (its
   * quota's period, or UNMETERED_PERIOD). A period with no reports reads as zero used; null only
   * when the licence does not exist.
   */
  currentUsage(licenceId: string, atMs: number): UsagePeriod | null {
    const licence = this.licences.get(licenceId);
    if (licence === undefined) return null;
    const period = licence.quota?.period ?? UNMETERED_PERIOD;
    const bounds = periodBounds(period, atMs);
    const recorded = this.usageByLicence.get(licenceId)?.get(usageKey(period, bounds.periodStartMs));
    if (recorded !== undefined) return recorded.usage;
    return deepFreeze({ ...bounds, used: 0, quota: licence.quota?.units ?? 0, reports: 0 });
  }

  /**
   * Whether the lease ended here lately (released, revoked, expired: the seat history remembers it).
   * The edge answers a release or renewal of such a lease with not found rather than recording an
   * intent.
   */
  leaseEnded(leaseId: string): boolean {
    return this.seatHistory.find(leaseId) !== undefined;
  }

  /** The kept tombstones of releases and renewals (lease-intents.ts), in the order recorded. */
  leaseIntentRecords(): LeaseIntent[] {
    return this.leaseIntents.values();
  }

  /** The first result of a remembered request (as of the last applied entry). */
  lookupRequest(requestId: string): Result | undefined {
    return this.requests.get(requestId)?.result;
  }

  /**
   * Every answer the request was given: its result, then, after a split brain in which both sides
   * executed it and answered differently, the other side's answer. Empty when it is not remembered.
   */
  lookupRequestAnswers(requestId: string): Result[] {
    const record = this.requests.get(requestId);
    if (record === undefined) return [];
    return record.otherSideResult === undefined ? [record.result] : [record.result, record.otherSideResult];
  }

  rememberedRequestCount(): number {
    return this.requests.size;
  }

  /** The most recent audit records that match the query, oldest first. */
  auditRecords(query: AuditQuery = {}): AuditPage {
    return this.audit.query(query);
  }

  auditCount(): number {
    return this.audit.size;
  }

  /**
   * Overdraft incidents in the order they were opened (by merge index, then number): every open
   * one and up to MAX_RESOLVED_INCIDENTS of the most recently resolved, or only the open ones.
   */
  incidents(options: { openOnly?: boolean } = {}): Incident[] {
    return this.incidentBook.list(options.openOnly === true);
  }

  openIncidentCount(): number {
    return this.incidentBook.openCount;
  }

  /** True while the licence has an open seats incident: it grants no new lease. */
  isOverdrawn(licenceId: string): boolean {
    return this.incidentBook.hasOpenSeatsIncident(licenceId);
  }

  // ---------------------------------------------------------------------------------------------
  // Snapshots and hashing

  /**
   * `requests`: by default a copy of the request book that its later changes leave alone, for a
   * snapshot written over many turns; the state hash, read at once, passes the book's live records.
   */
  private snapshotState(requests: RequestRecordList = this.requests.view()): LedgerSnapshotState {
    const usage: UsageRecord[] = [];
    for (const licenceId of [...this.usageByLicence.keys()].sort(compareStrings)) {
      for (const slot of [...(this.usageByLicence.get(licenceId)?.values() ?? [])].sort(compareUsage)) {
        usage.push({ licenceId, period: slot.period, usage: slot.usage });
      }
    }
    return {
      appliedIndex: this.lastAppliedIndex,
      clockMs: this.clock,
      licences: this.listLicences(),
      leases: this.listLeases(),
      usage,
      requests,
      incidents: this.incidentBook.records(),
      clusterId: this.recordedClusterId,
      audit: this.audit.values(),
      endedLeases: this.seatHistory.values(),
      leaseIntents: this.leaseIntents.values(),
    };
  }

  /** Everything the ledger holds, so that restore() and then more entries equals never snapshotting. */
  snapshot(): Uint8Array {
    return encodeSnapshot(this.snapshotState());
  }

  /**
   * The same snapshot, written a slice at a time (SnapshotEncoder.writeSome) while this ledger goes
   * on applying entries: the bytes are those snapshot() gives now, at this applied index. It holds
   * arrays of the ledger's records, not copies: every record is frozen and later entries replace
   * records rather than change them, so the view cannot move. Taking it costs one pass over the
   * collections (the leases sorted in grant order, usually already in that order); the writing is
   * the expensive part, and the caller spreads it out.
   */
  beginSnapshot(): SnapshotEncoder {
    return new SnapshotEncoder(this.snapshotState());
  }

  /**
   * Rebuilds a ledger from snapshot() bytes. The options are not part of the snapshot: pass the
   * ones the cluster runs with. Throws LedgerDataError on bytes that are not a consistent snapshot.
   */
  static restore(bytes: Uint8Array, options?: Partial<LedgerOptions>): Ledger {
    const ledger = new Ledger(options);
    ledger.load(decodeSnapshotWith(bytes, () => new RequestRecordColumns()));
    return ledger;
  }

  private load(state: LedgerSnapshotState): void {
    assert.equal(this.licences.size + this.leases.size + this.requests.size, 0, 'load needs an empty ledger');
    if (state.appliedIndex < 0 || state.clockMs < 0 || state.clockMs > LIMITS.timeMaxMs) {
      throw snapshotError('applied index and clock must be non-negative');
    }
    this.lastAppliedIndex = state.appliedIndex;
    this.clock = state.clockMs;
    if (state.clusterId !== null && !isValidClusterId(state.clusterId)) {
      throw snapshotError('the cluster id is invalid');
    }
    this.recordedClusterId = state.clusterId;

    for (const licence of state.licences) {
      const invalid = checkLicenceSpec(licence, 'licence');
      if (invalid !== null) {
        throw snapshotError(`licence ${licence.licenceId}: ${invalid.field}: ${invalid.message}`);
      }
      this.checkRestoredGrant(licence);
      if (this.licences.has(licence.licenceId)) {
        throw snapshotError(`licence ${licence.licenceId} appears twice`);
      }
      const grant = { ...licence.grant, limits: copySpec(licence.grant.limits) };
      this.licences.set(
        licence.licenceId,
        deepFreeze({ ...licence, features: copyFeatures(licence.features), grant }),
      );
    }

    for (const lease of state.leases) {
      // A merged lease carries the backup's index, which may be above the main's applied index.
      const grant = grantOf(lease.leaseId);
      if (grant === null) throw snapshotError(`bad lease id ${lease.leaseId}`);
      if (this.leases.has(lease.leaseId)) throw snapshotError(`lease ${lease.leaseId} appears twice`);
      if (!isValidId(lease.workstationId) || lease.ttlMs < 1 || lease.expiresAtMs < lease.grantedAtMs) {
        throw snapshotError(`lease ${lease.leaseId} has an invalid workstation id, TTL or expiry`);
      }
      if (this.licences.get(lease.licenceId)?.status !== 'active') {
        throw snapshotError(`lease ${lease.leaseId} belongs to no active licence`);
      }
      // Fields named one by one: a spread would give each slot a separate property array.
      this.addLease({ lease: deepFreeze(lease), grantIndex: grant.grantIndex, grantTerm: grant.grantTerm });
    }

    for (const record of state.usage) {
      if (!this.licences.has(record.licenceId)) {
        throw snapshotError(`usage of unknown licence ${record.licenceId}`);
      }
      const bounds = periodBounds(record.period, record.usage.periodStartMs);
      if (
        bounds.periodStartMs !== record.usage.periodStartMs ||
        bounds.periodEndMs !== record.usage.periodEndMs
      ) {
        throw snapshotError(`usage of ${record.licenceId} has bounds that are not a ${record.period}`);
      }
      let slots = this.usageByLicence.get(record.licenceId);
      if (slots === undefined) {
        slots = new Map();
        this.usageByLicence.set(record.licenceId, slots);
      }
      const key = usageKey(record.period, record.usage.periodStartMs);
      if (slots.has(key)) throw snapshotError(`usage of ${record.licenceId} has period ${key} twice`);
      slots.set(key, { period: record.period, usage: deepFreeze(record.usage) });
    }

    let previous: RequestRecord | null = null;
    for (const record of state.requests) {
      if (!isValidId(record.requestId) || this.requests.has(record.requestId)) {
        throw snapshotError(`request id ${record.requestId} is invalid or appears twice`);
      }
      // The requests one merge re-applied share its index.
      const inOrder = previous === null || (record.index >= previous.index && record.atMs >= previous.atMs);
      if (!inOrder || record.index > state.appliedIndex || record.atMs > state.clockMs) {
        throw snapshotError(`request ${record.requestId} is out of order`);
      }
      if (
        !Number.isSafeInteger(record.fingerprint) ||
        record.fingerprint < 0 ||
        record.fingerprint > 0x3fffffff
      ) {
        throw snapshotError(`request ${record.requestId} has an impossible fingerprint`);
      }
      this.requests.add(deepFreeze(record));
      previous = record;
    }

    this.loadIncidents(state);
    this.loadAudit(state);
    this.loadSeatHistory(state);
    this.loadLeaseIntents(state);
  }

  /** Tombstones with well-formed lease and workstation ids and TTLs, within the bound and the clock. */
  private loadLeaseIntents(state: LedgerSnapshotState): void {
    if (state.leaseIntents.length > this.options.leaseIntentMaxEntries) {
      throw snapshotError(`the lease intents hold more than ${this.options.leaseIntentMaxEntries} records`);
    }
    for (const intent of state.leaseIntents) {
      const ttlFits =
        intent.action === 'release'
          ? intent.ttlMs === 0
          : intent.action === 'renew' && intent.ttlMs >= 0 && intent.ttlMs <= this.options.maxTtlMs;
      if (
        grantOf(intent.leaseId) === null ||
        !isValidId(intent.workstationId) ||
        !ttlFits ||
        intent.atMs < 0 ||
        intent.atMs > state.clockMs ||
        intent.index < 1 ||
        intent.index > state.appliedIndex
      ) {
        throw snapshotError(`lease intent for ${intent.leaseId} is inconsistent`);
      }
      this.leaseIntents.record(intent);
    }
  }

  /** Ended leases of known licences with sane lifetimes, within the bound and the clock. */
  private loadSeatHistory(state: LedgerSnapshotState): void {
    if (state.endedLeases.length > this.options.seatHistoryMaxEntries) {
      throw snapshotError(`the seat history holds more than ${this.options.seatHistoryMaxEntries} leases`);
    }
    for (const ended of state.endedLeases) {
      const grant = grantOf(ended.leaseId);
      if (
        grant === null ||
        grant.grantTerm !== ended.grantTerm ||
        !this.licences.has(ended.licenceId) ||
        ended.grantedAtMs < 0 ||
        ended.endedAtMs < ended.grantedAtMs ||
        ended.endedAtMs > state.clockMs
      ) {
        throw snapshotError(`ended lease ${ended.leaseId} is inconsistent`);
      }
      this.seatHistory.record(ended);
    }
  }

  /**
   * A signed licence's grant is what its file says; an unsigned one's names no vendor. Its limits
   * are a valid licence of the same id.
   */
  private checkRestoredGrant(licence: Licence): void {
    const { grant } = licence;
    const problem = (text: string) => snapshotError(`licence ${licence.licenceId} has a grant that ${text}`);
    const invalid = checkLicenceSpec(grant.limits, 'limits');
    if (invalid !== null) throw problem(`is invalid: ${invalid.field}: ${invalid.message}`);
    if (grant.limits.licenceId !== licence.licenceId) throw problem('names another licence');
    if (grant.serial === 0) {
      const unsigned = unsignedGrant(grant.limits);
      if (!isDeepStrictEqual({ ...grant, limits: unsigned.limits }, unsigned))
        throw problem('is unsigned but names a vendor');
      return;
    }
    const fileError = checkLicenceFile(grant.file);
    if (fileError !== null) throw problem(`has a bad file: ${fileError.message}`);
    const expected = this.grantFromFile(grant.file, this.termsOf(grant.file));
    if (!isDeepStrictEqual({ ...grant, limits: copySpec(grant.limits) }, expected))
      throw problem('differs from its file');
  }

  /** Oldest first, in time order, each with a valid actor and within the applied index and clock. */
  private loadAudit(state: LedgerSnapshotState): void {
    let previous: AuditRecord | null = null;
    for (const record of state.audit) {
      const problem = (text: string) => snapshotError(`audit record at index ${record.index} ${text}`);
      if (record.index < 1 || record.index > state.appliedIndex || record.atMs > state.clockMs) {
        throw problem('is after the applied index or the clock');
      }
      if (previous !== null && (record.index < previous.index || record.atMs < previous.atMs)) {
        throw problem('is out of order');
      }
      const actorError = validateCommand({
        type: 'audit_note',
        requestId: 'snapshot',
        action: 'snapshot',
        detail: '',
        actor: record.actor,
      });
      if (actorError !== null) throw problem(`has an invalid ${actorError.field}`);
      this.audit.add(deepFreeze(record));
      previous = record;
    }
  }

  /** Resolved incidents in resolution order, then open ones in opening order, each consistent. */
  private loadIncidents(state: LedgerSnapshotState): void {
    let previousResolvedAtMs = 0;
    let previousOpen: { mergeIndex: number; sequence: number } | null = null;
    let resolvedCount = 0;
    for (const incident of state.incidents) {
      const problem = (text: string) => snapshotError(`incident ${incident.incidentId} ${text}`);
      const id = parseIncidentId(incident.incidentId);
      if (id === null || id.mergeIndex !== incident.mergeIndex || incident.mergeIndex > state.appliedIndex) {
        throw problem('has a bad id or merge index');
      }
      if (this.incidentBook.has(incident.incidentId)) throw problem('appears twice');
      if (!this.licences.has(incident.licenceId)) throw problem('names an unknown licence');
      const termsAscending = incident.backupTerms.every(
        (term, position) => term > (incident.backupTerms[position - 1] ?? 0),
      );
      if (
        incident.limit < 1 ||
        incident.excess < 1 ||
        incident.observed !== incident.limit + incident.excess ||
        incident.mainTerm < 1 ||
        !termsAscending ||
        !isValidId(incident.sourceNodeId)
      ) {
        throw problem('has inconsistent figures');
      }
      const periodFits =
        incident.kind === 'seats'
          ? incident.periodStartMs === null && incident.periodEndMs === null
          : incident.periodStartMs !== null &&
            incident.periodEndMs !== null &&
            incident.periodStartMs < incident.periodEndMs;
      if (!periodFits) throw problem('has a period that does not fit its kind');
      const grantTermsAscending = incident.grantTerms.every(
        (term, position) => term > (incident.grantTerms[position - 1] ?? 0),
      );
      const spanFits =
        (incident.endedAtMs === null ||
          (incident.kind === 'seats' &&
            incident.startedAtMs !== null &&
            incident.endedAtMs >= incident.startedAtMs)) &&
        (incident.kind === 'seats' || incident.grantTerms.length === 0);
      if (!grantTermsAscending || !spanFits) throw problem('has an inconsistent span or grant terms');
      if (incident.openedAtMs > state.clockMs) throw problem('opened after the clock');
      if (incident.resolvedAtMs === null) {
        const inOrder =
          previousOpen === null ||
          id.mergeIndex > previousOpen.mergeIndex ||
          (id.mergeIndex === previousOpen.mergeIndex && id.sequence > previousOpen.sequence);
        if (!inOrder) throw problem('is out of order');
        previousOpen = id;
      } else {
        if (previousOpen !== null) throw problem('is resolved but listed after an open incident');
        if (
          incident.resolvedAtMs < incident.openedAtMs ||
          incident.resolvedAtMs > state.clockMs ||
          incident.resolvedAtMs < previousResolvedAtMs
        ) {
          throw problem('has a resolution time out of order');
        }
        previousResolvedAtMs = incident.resolvedAtMs;
        resolvedCount += 1;
        if (resolvedCount > MAX_RESOLVED_INCIDENTS)
          throw problem('is beyond the limit of resolved incidents');
      }
      this.incidentBook.add(incident);
    }
  }

  /**
   * sha256 (hex) of a canonical encoding of licences, leases, usage and remembered requests (see
   * state-hash.ts). The applied index and the clock are left out, so ledgers with equal content
   * hash equally and an entry that changes nothing leaves the hash alone.
   */
  stateHash(): string {
    return hashLedgerState(this.snapshotState(this.requests.live()));
  }

  /**
   * The same hash, of the state at this applied index, computed a slice at a time
   * (StateHasher.hashSome) while this ledger goes on applying entries. It reads the frozen view
   * beginSnapshot takes (a copy of the request book's columns, the rest arrays of frozen records).
   */
  beginStateHash(): StateHasher {
    return new StateHasher(this.snapshotState(), this.lastAppliedIndex);
  }
}
