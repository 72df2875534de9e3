// The state hash: sha256 over a compact canonical text of the ledger's content. Every record has a
// known shape, so it is written as a JSON array with its fields in a fixed position (strings through
// JSON.stringify, so any text is quoted unambiguously, lone surrogates included), one record per
// line, each section behind a header line that no record can look like. Equal content gives equal
// text and different content different text, without the cost of sorting the keys of every object.
import assert from 'node:assert/strict';
import { createHash, type Hash } from 'node:crypto';
import type { LeaseIntent } from './lease-intents.js';
import type { EndedLease } from './seat-history.js';
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

/** The parts of the ledger that the hash covers; the applied index and the clock are not among them. */
export interface HashedState {
  /** Sorted by licence id. */
  licences: Iterable<Licence>;
  /** In grant order. */
  leases: Iterable<Lease>;
  /** Sorted by licence id, then period start, end and kind. */
  usage: Iterable<UsageRecord>;
  /** In the order they were made; their entry index is left out like the applied index. */
  requests: Iterable<RequestRecord>;
  /** Resolved ones in resolution order, then open ones in opening order (as in the snapshot). */
  incidents: Iterable<Incident>;
  /** The seat history (seat-history.ts), in insertion order. */
  endedLeases: Iterable<EndedLease>;
  /** The lease intents (lease-intents.ts), in the order recorded; their entry index is left out. */
  leaseIntents: Iterable<LeaseIntent>;
  clusterId: string | null;
  /** Oldest first. */
  audit: Iterable<AuditRecord>;
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
 * Hex sha256 of the state. Records are JSON arrays, which start with "[", and JSON text never holds
 * a raw line break, so the header lines and the one-record-per-line layout cannot be confused.
 */
export function hashLedgerState(state: HashedState): string {
  const hash = new ChunkedHash();
  hash.write('tandem-ledger-state v5\ncluster\n');
  hash.write(`${state.clusterId === null ? 'null' : quote(state.clusterId)}\nlicences\n`);
  for (const licence of state.licences) hash.write(`${licenceText(licence)}\n`);
  hash.write('leases\n');
  for (const lease of state.leases) hash.write(`${leaseText(lease)}\n`);
  hash.write('usage\n');
  for (const record of state.usage) {
    hash.write(`[${quote(record.licenceId)},${quote(record.period)},${usagePeriodText(record.usage)}]\n`);
  }
  hash.write('requests\n');
  for (const record of state.requests) {
    const other = record.otherSideResult === undefined ? '' : `,${resultText(record.otherSideResult)}`;
    hash.write(
      `[${quote(record.requestId)},${numberText(record.atMs)},${numberText(record.fingerprint)},` +
        `${resultText(record.result)}${other}]\n`,
    );
  }
  hash.write('incidents\n');
  for (const incident of state.incidents) hash.write(`${incidentText(incident)}\n`);
  // The entry index is left out, like the requests': a merged record is at the merge's index.
  hash.write('audit\n');
  for (const record of state.audit) hash.write(`${auditText(record)}\n`);
  hash.write('ended leases\n');
  for (const ended of state.endedLeases) hash.write(`${endedLeaseText(ended)}\n`);
  hash.write('lease intents\n');
  for (const intent of state.leaseIntents) {
    hash.write(
      `[${quote(intent.leaseId)},${quote(intent.workstationId)},${quote(intent.action)},` +
        `${numberText(intent.ttlMs)},${numberText(intent.atMs)}]\n`,
    );
  }
  return hash.digestHex();
}
