// The state hash: sha256 over a compact canonical text of the ledger's content. Every record has a
// known shape, so it is written as a JSON array with its fields in a fixed position (strings through
// JSON.stringify, so any text is quoted unambiguously, lone surrogates included), one record per
// line, each section behind a header line that no record can look like. Equal content gives equal
// text and different content different text, without the cost of sorting the keys of every object.
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import type { LeaseIntent } from './lease-intents.js';
import type { EndedLease } from './seat-history.js';
import { type Section, SlicedSections } from './sliced-sections.js';
import type { RequestRecord, UsageRecord } from './snapshot.js';
import type {
  AuditRecord,
  Incident,
  Lease,
  Licence,
  LicenceSpec,
  Outcome,
  Result,
  UsagePeriod,
} from './types.js';

/** Text is handed to the hash in chunks of about this size: one update per record costs more. */
const CHUNK_CHARACTERS = 1 << 16;

/** Records read by position: an array, or the request book's list. */
export interface Sequence<T> {
  readonly length: number;
  at(position: number): T | undefined;
}

/** The parts of the ledger that the hash covers; the applied index and the clock are not among them. */
export interface HashedState {
  /** Sorted by licence id. */
  licences: Sequence<Licence>;
  /** In grant order. */
  leases: Sequence<Lease>;
  /** Sorted by licence id, then period start, end and kind. */
  usage: Sequence<UsageRecord>;
  /** In the order they were made; their entry index is left out like the applied index. */
  requests: Sequence<RequestRecord>;
  /** Resolved ones in resolution order, then open ones in opening order (as in the snapshot). */
  incidents: Sequence<Incident>;
  /** The seat history (seat-history.ts), in insertion order. */
  endedLeases: Sequence<EndedLease>;
  /** The lease intents (lease-intents.ts), in the order recorded; their entry index is left out. */
  leaseIntents: Sequence<LeaseIntent>;
  clusterId: string | null;
  /** Oldest first. */
  audit: Sequence<AuditRecord>;
}

/** Collects text and feeds the hash a chunk at a time. */
class ChunkedHash {
  private readonly hash: Hash = createHash('sha256');
  private pending = '';

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= CHUNK_CHARACTERS) this.flush();
  }

  digestHex(): string {
    this.flush();
    return this.hash.digest('hex');
  }

  private flush(): void {
    if (this.pending.length > 0) this.hash.update(this.pending, 'utf8');
    this.pending = '';
  }
}

/** The JSON form of a finite number, as the previous canonical JSON wrote it (-0 reads as 0). */
export function numberText(value: number): string {
  assert.ok(Number.isFinite(value), `the state hash cannot hold ${value}`);
  return String(value);
}

/**
 * The JSON form of a string. Most strings here are ids and plain words that need no escaping, and
 * JSON.stringify is slow for them, so they are quoted directly after one scan for characters JSON
 * escapes (quote, backslash, control characters) or that UTF-8 cannot carry alone (surrogates).
 */
export function quote(text: string): string {
  for (let position = 0; position < text.length; position++) {
    const code = text.charCodeAt(position);
    if (code < 0x20 || code === 0x22 || code === 0x5c || (code >= 0xd800 && code <= 0xdfff)) {
      return JSON.stringify(text);
    }
  }
  return `"${text}"`;
}

/** Feature keys sorted by UTF-16 code units, whatever order the object holds them in. */
function featuresText(features: Readonly<Record<string, string>>): string {
  const keys = Object.keys(features);
  if (keys.length === 0) return '[]';
  keys.sort();
  let text = '';
  for (const key of keys) {
    const value = features[key];
    assert.ok(typeof value === 'string', `feature ${key} must be a string`);
    text += `${text === '' ? '' : ','}[${quote(key)},${quote(value)}]`;
  }
  return `[${text}]`;
}

function specText(spec: LicenceSpec): string {
  const quota =
    spec.quota === null ? 'null' : `[${numberText(spec.quota.units)},${quote(spec.quota.period)}]`;
  return (
    `${quote(spec.licenceId)},${quote(spec.product)},${numberText(spec.seats)},${quota},` +
    `${numberText(spec.validFromMs)},${numberText(spec.validUntilMs)},${spec.redundancy},` +
    `${featuresText(spec.features)}`
  );
}

function licenceText(licence: Licence): string {
  const { grant } = licence;
  return (
    `[${specText(licence)},${quote(licence.status)},${numberText(licence.activatedAtMs)},` +
    `${numberText(licence.updatedAtMs)},[${numberText(grant.serial)},${quote(grant.vendor)},` +
    `${quote(grant.keyId)},${numberText(grant.issuedAtMs)},${quote(grant.clusterId)},[${specText(grant.limits)}],` +
    `${quote(grant.file)}]]`
  );
}

function auditText(record: AuditRecord): string {
  const { actor, origin } = record;
  const nullable = (text: string | null) => (text === null ? 'null' : quote(text));
  const originText =
    origin === null
      ? 'null'
      : `[${quote(origin.nodeId)},${numberText(origin.index)},${numberText(origin.term)},${numberText(origin.timestampMs)}]`;
  return (
    `[${numberText(record.atMs)},${quote(record.action)},[${quote(actor.name)},${quote(actor.role)},` +
    `${quote(actor.via)},${quote(actor.from)}],${nullable(record.requestId)},${nullable(record.licenceId)},` +
    `${nullable(record.leaseId)},${quote(record.outcome)},${quote(record.detail)},${originText}]`
  );
}

function leaseText(lease: Lease): string {
  const { parameters } = lease;
  return (
    `[${quote(lease.leaseId)},${quote(lease.licenceId)},${quote(lease.workstationId)},` +
    `[${quote(parameters.host)},${quote(parameters.user)},${numberText(parameters.cores)},` +
    `${quote(parameters.productVersion)}],${numberText(lease.grantedAtMs)},${numberText(lease.renewedAtMs)},` +
    `${numberText(lease.expiresAtMs)},${numberText(lease.ttlMs)}]`
  );
}

function usagePeriodText(usage: UsagePeriod): string {
  return (
    `[${numberText(usage.periodStartMs)},${numberText(usage.periodEndMs)},${numberText(usage.used)},` +
    `${numberText(usage.quota)},${numberText(usage.reports)}]`
  );
}

/** Tagged by kind, so outcomes of different kinds can never read alike. */
function outcomeText(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'licence':
      return `["licence",${licenceText(outcome.licence)}]`;
    case 'lease':
      return `["lease",${leaseText(outcome.lease)}]`;
    case 'usage':
      return (
        `["usage",${quote(outcome.licenceId)},${numberText(outcome.periodStartMs)},` +
        `${numberText(outcome.used)},${outcome.remaining === null ? 'null' : numberText(outcome.remaining)}]`
      );
    case 'intent':
      return `["intent",${quote(outcome.leaseId)},${quote(outcome.action)}]`;
    case 'tick':
      return `["tick",[${outcome.expiredLeaseIds.map(quote).join(',')}]]`;
    case 'extended':
      return `["extended",${numberText(outcome.leaseCount)}]`;
    case 'cluster':
      return `["cluster",${quote(outcome.clusterId)}]`;
    case 'noted':
      return '["noted"]';
    case 'merged':
      return (
        `["merged",${numberText(outcome.applied)},${numberText(outcome.duplicates)},` +
        `${numberText(outcome.skipped)},[${outcome.incidentIds.map(quote).join(',')}]]`
      );
    default:
      return assert.fail(`unknown outcome kind ${String((outcome as Outcome).kind)}`);
  }
}

function nullableNumberText(value: number | null): string {
  return value === null ? 'null' : numberText(value);
}

function incidentText(incident: Incident): string {
  return (
    `[${quote(incident.incidentId)},${quote(incident.licenceId)},${quote(incident.kind)},` +
    `${numberText(incident.limit)},${numberText(incident.observed)},${numberText(incident.excess)},` +
    `${numberText(incident.mainTerm)},[${incident.backupTerms.map(numberText).join(',')}],` +
    `${quote(incident.sourceNodeId)},${numberText(incident.mergeIndex)},${numberText(incident.openedAtMs)},` +
    `${nullableNumberText(incident.resolvedAtMs)},${nullableNumberText(incident.periodStartMs)},` +
    `${nullableNumberText(incident.periodEndMs)},${nullableNumberText(incident.startedAtMs)},` +
    `${nullableNumberText(incident.endedAtMs)},[${incident.grantTerms.map(numberText).join(',')}]]`
  );
}

/**
 * An ended lease as the snapshot writes it: [leaseId, licenceId, grantTerm, grantedAtMs, endedAtMs,
 * expired].
 */
export function endedLeaseText(ended: EndedLease): string {
  return (
    `[${quote(ended.leaseId)},${quote(ended.licenceId)},${numberText(ended.grantTerm)},` +
    `${numberText(ended.grantedAtMs)},${numberText(ended.endedAtMs)},${ended.expired}]`
  );
}

function resultText(result: Result): string {
  return result.ok
    ? `[true,${outcomeText(result.outcome)}]`
    : `[false,${quote(result.reason)},${quote(result.message)}]`;
}

/**
 * Hashes a state a slice at a time, so that a node can hash a large ledger across many turns of its
 * event loop while it goes on applying entries (Ledger.beginStateHash; the Status answer's hash,
 * admin-service.ts). The state handed in must not change meanwhile: the ledger hands in the frozen
 * view it takes for a snapshot. The digest is the same however the work is sliced.
 *
 * Records are JSON arrays, which start with "[", and JSON text never holds a raw line break, so the
 * header lines and the one-record-per-line layout cannot be confused.
 */
export class StateHasher {
  private readonly hash = new ChunkedHash();
  private readonly walk: SlicedSections;

  /** @param appliedIndex the index the state is of (not hashed; handed back to the caller). */
  constructor(
    state: HashedState,
    readonly appliedIndex: number,
  ) {
    this.hash.write('tandem-ledger-state v5\ncluster\n');
    this.hash.write(`${state.clusterId === null ? 'null' : quote(state.clusterId)}\n`);
    // Each section: the line that names it, then one line per record.
    const of = <T>(header: string, records: Sequence<T>, text: (record: T) => string): Section => ({
      size: records.length,
      begin: () => this.hash.write(`${header}\n`),
      take: (position) => this.hash.write(`${text(records.at(position) as T)}\n`),
    });
    this.walk = new SlicedSections([
      of('licences', state.licences, licenceText),
      of('leases', state.leases, leaseText),
      of(
        'usage',
        state.usage,
        (record) => `[${quote(record.licenceId)},${quote(record.period)},${usagePeriodText(record.usage)}]`,
      ),
      of('requests', state.requests, (record) => {
        const other = record.otherSideResult === undefined ? '' : `,${resultText(record.otherSideResult)}`;
        return (
          `[${quote(record.requestId)},${numberText(record.atMs)},${numberText(record.fingerprint)},` +
          `${resultText(record.result)}${other}]`
        );
      }),
      of('incidents', state.incidents, incidentText),
      // The entry index is left out, like the requests': a merged record is at the merge's index.
      of('audit', state.audit, auditText),
      of('ended leases', state.endedLeases, endedLeaseText),
      of(
        'lease intents',
        state.leaseIntents,
        (intent) =>
          `[${quote(intent.leaseId)},${quote(intent.workstationId)},${quote(intent.action)},` +
          `${numberText(intent.ttlMs)},${numberText(intent.atMs)}]`,
      ),
    ]);
  }

  /** Records to hash in all (the header lines not counted). */
  get recordCount(): number {
    return this.walk.total;
  }

  get finished(): boolean {
    return this.walk.finished;
  }

  /** Hashes up to maxRecords more records; true once every record is hashed. */
  hashSome(maxRecords: number): boolean {
    return this.walk.takeSome(maxRecords);
  }

  /** Hex sha256 of the state, once every record is hashed. */
  digestHex(): string {
    assert.ok(
      this.finished,
      `the state is not hashed yet (${this.walk.recordsTaken} of ${this.recordCount} records)`,
    );
    return this.hash.digestHex();
  }
}

/** Hex sha256 of the state, in one go. */
export function hashLedgerState(state: HashedState): string {
  const hasher = new StateHasher(state, 0);
  hasher.hashSome(Number.POSITIVE_INFINITY);
  return hasher.digestHex();
}
