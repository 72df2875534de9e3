// The ledger's serialized state in UTF-8, with every collection written in a fixed order (licences
// and leases sorted, usage sorted, request records in the order they were made) so that equal
// ledgers give equal bytes. Decoding checks the shape; the ledger checks consistency.
//
// Version 5 (written now) is version 4 with the over-grant record and the lease intents: incidents
// carry when the excess started and ended and the terms that granted the leases, the seat history
// (ended leases with their lifetimes) follows the audit trail, and the lease intents (tombstones of
// releases and renewals, lease-intents.ts) follow the seat history, one array per line. Version 4
// is still read: its incidents have no such times, and its ledger remembers no ended lease and no
// intent.
//
// Version 4 is version 3 with what the trust work added: the header names the
// cluster id and counts audit records, licences carry their grant (what the vendor signed),
// remembered requests their fingerprint, and the audit trail follows the incidents, one record per
// line. Versions 3 and 2 are still read: their licences become unsigned ones, their requests have
// no fingerprint (any retry matches), and they have no audit trail and no cluster id.
//
// Version 3 is one JSON value per line: a header with the counts of each section,
// then one line per record. Leases, and the lease and usage results of remembered requests, are
// arrays with their fields in a fixed position, and a remembered lease result that equals the live
// lease of the same id names it instead of copying it. Written and read a line at a time, a snapshot
// of 100,000 leases never exists as one string or one parsed tree, which was the high-water mark of
// a node's memory; and it is less than half the size of version 2.
// Version 2 (still read) is one JSON document; it added overdraft incidents and lease ids of the
// form lease-<term>-<index>.
import assert from 'node:assert/strict';
import { Buffer, isUtf8 } from 'node:buffer';
import { UNKNOWN_FINGERPRINT } from './fingerprint.js';
import type { LeaseIntent } from './lease-intents.js';
import { isPeriod } from './period.js';
import type { EndedLease } from './seat-history.js';
import { type Fields, ShapeReader } from './shape.js';
import { type Section, SlicedSections } from './sliced-sections.js';
import { endedLeaseText, numberText, quote } from './state-hash.js';
import type {
  AuditRecord,
  Incident,
  Lease,
  LeaseIntentAction,
  Licence,
  Period,
  Result,
  UsagePeriod,
} from './types.js';

const FORMAT = 'tandem-ledger-snapshot';
const FORMAT_VERSION = 5;
/** Still read: without the over-grant record. */
const TRUST_FORMAT_VERSION = 4;
/** Still read: one JSON value per line, without the trust work's records. */
const LINES_FORMAT_VERSION = 3;
/** Still read: one JSON document. */
const DOCUMENT_FORMAT_VERSION = 2;

/** A usage period together with the kind of period it counts (day, week or month). */
export interface UsageRecord {
  licenceId: string;
  period: Period;
  usage: UsagePeriod;
}

/**
 * A remembered request: the first result, and the entry (index, time) that produced it. The
 * requests a merge re-applied all share the merge entry's index and time.
 */
export interface RequestRecord {
  requestId: string;
  index: number;
  atMs: number;
  result: Result;
  /** The request's fingerprint (fingerprint.ts); 0 for a record restored from before fingerprints. */
  fingerprint: number;
  /**
   * Set only after a split brain, for a request both sides executed and answered differently: the
   * other side's answer. The workstation received one of the two and cannot be told which, so both
   * are kept (an auditor, or a history checker, may hold the ledger to either).
   */
  otherSideResult?: Result;
}

/**
 * Remembered requests in order: an array, or the ledger's compact copy of its request book
 * (request-book.ts), which rebuilds a record when it is read.
 */
export interface RequestRecordList extends Iterable<RequestRecord> {
  readonly length: number;
  at(position: number): RequestRecord | undefined;
}

export interface LedgerSnapshotState {
  appliedIndex: number;
  clockMs: number;
  licences: Licence[];
  leases: Lease[];
  usage: UsageRecord[];
  requests: RequestRecordList;
  /** Resolved incidents in the order they resolved, then open ones in the order they opened. */
  incidents: Incident[];
  clusterId: string | null;
  /** Oldest first. */
  audit: AuditRecord[];
  /** The seat history, in insertion order. */
  endedLeases: EndedLease[];
  /** The lease intents, in the order recorded. */
  leaseIntents: LeaseIntent[];
}

/** A decoded snapshot: its remembered requests as an array. */
export interface DecodedSnapshotState extends LedgerSnapshotState {
  requests: RequestRecord[];
}

const reader = new ShapeReader('SNAPSHOT_DECODE_FAILED', 'ledger snapshot');
const LINE_FEED = 0x0a;
/** Lines are gathered into pieces of about this many characters before they are encoded to bytes. */
const PIECE_CHARACTERS = 1 << 16;

function leaseFromArray(value: unknown, path: string): Lease {
  const fields = reader.array(value, path);
  if (fields.length !== 11) reader.fail(path, 'expected a lease of 11 fields');
  return reader.lease(
    {
      leaseId: fields[0],
      licenceId: fields[1],
      workstationId: fields[2],
      parameters: { host: fields[3], user: fields[4], cores: fields[5], productVersion: fields[6] },
      grantedAtMs: fields[7],
      renewedAtMs: fields[8],
      expiresAtMs: fields[9],
      ttlMs: fields[10],
    },
    path,
  );
}

function sameLease(a: Lease, b: Lease): boolean {
  return (
    a === b ||
    (a.leaseId === b.leaseId &&
      a.licenceId === b.licenceId &&
      a.workstationId === b.workstationId &&
      a.parameters.host === b.parameters.host &&
      a.parameters.user === b.parameters.user &&
      a.parameters.cores === b.parameters.cores &&
      a.parameters.productVersion === b.parameters.productVersion &&
      a.grantedAtMs === b.grantedAtMs &&
      a.renewedAtMs === b.renewedAtMs &&
      a.expiresAtMs === b.expiresAtMs &&
      a.ttlMs === b.ttlMs)
  );
}

/**
 * A lease as a JSON array of its fields in their fixed position (the parameters flattened in after
 * the ids). Written directly rather than through JSON.stringify, which gives the same text more
 * slowly: the leader takes snapshots on its own thread.
 */
function leaseText(lease: Lease): string {
  const { parameters } = lease;
  return (
    `[${quote(lease.leaseId)},${quote(lease.licenceId)},${quote(lease.workstationId)},` +
    `${quote(parameters.host)},${quote(parameters.user)},${numberText(parameters.cores)},` +
    `${quote(parameters.productVersion)},${numberText(lease.grantedAtMs)},${numberText(lease.renewedAtMs)},` +
    `${numberText(lease.expiresAtMs)},${numberText(lease.ttlMs)}]`
  );
}

/**
 * A result as written in version 3: a lease outcome as ["lease", id] when it equals the live lease
 * of that id, else ["lease", fields...]; a usage outcome as ["usage", licence, start, used,
 * remaining]; anything else as the Result object itself.
 */
function resultText(result: Result, liveLeases: ReadonlyMap<string, Lease>): string {
  if (!result.ok) return JSON.stringify(result);
  const { outcome } = result;
  if (outcome.kind === 'lease') {
    const live = liveLeases.get(outcome.lease.leaseId);
    return live !== undefined && sameLease(live, outcome.lease)
      ? `["lease",${quote(outcome.lease.leaseId)}]`
      : `["lease",${leaseText(outcome.lease)}]`;
  }
  if (outcome.kind === 'usage') {
    const remaining = outcome.remaining === null ? 'null' : numberText(outcome.remaining);
    return (
      `["usage",${quote(outcome.licenceId)},${numberText(outcome.periodStartMs)},` +
      `${numberText(outcome.used)},${remaining}]`
    );
  }
  return JSON.stringify(result);
}

function resultFromValue(value: unknown, path: string, liveLeases: ReadonlyMap<string, Lease>): Result {
  if (!Array.isArray(value)) return reader.result(value, path);
  const kind = value[0];
  if (kind === 'lease' && value.length === 2) {
    if (Array.isArray(value[1])) {
      return { ok: true, outcome: { kind: 'lease', lease: leaseFromArray(value[1], `${path}[1]`) } };
    }
    const leaseId = reader.string(value[1], `${path}[1]`);
    const lease = liveLeases.get(leaseId);
    if (lease === undefined) return reader.fail(`${path}[1]`, `names lease ${leaseId}, which is not live`);
    return { ok: true, outcome: { kind: 'lease', lease } };
  }
  if (kind === 'usage' && value.length === 5) {
    return reader.result(
      {
        ok: true,
        outcome: {
          kind: 'usage',
          licenceId: value[1],
          periodStartMs: value[2],
          used: value[3],
          remaining: value[4],
        },
      },
      path,
    );
  }
  return reader.fail(path, 'expected a result');
}

/** Collects lines and encodes them to bytes a piece at a time. */
class LineWriter {
  private readonly pieces: Buffer[] = [];
  private pending = '';
  private byteCount = 0;

  line(value: unknown): void {
    this.text(JSON.stringify(value));
  }

  /** A line already written as JSON text. */
  text(json: string): void {
    this.pending += `${json}\n`;
    if (this.pending.length >= PIECE_CHARACTERS) this.flush();
  }

  /** Everything written, after `prefix` (one copy: a snapshot is tens of megabytes). */
  bytes(prefix?: Uint8Array): Uint8Array {
    this.flush();
    const pieces = prefix === undefined ? this.pieces : [prefix, ...this.pieces];
    const whole = Buffer.concat(pieces, this.byteCount + (prefix?.byteLength ?? 0));
    this.pieces.length = 0;
    return new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const piece = Buffer.from(this.pending, 'utf8');
    this.pieces.push(piece);
    this.byteCount += piece.byteLength;
    this.pending = '';
  }
}

export function encodeSnapshot(state: LedgerSnapshotState): Uint8Array {
  const encoder = new SnapshotEncoder(state);
  encoder.writeSome(Number.POSITIVE_INFINITY);
  return encoder.bytes();
}

/**
 * Writes the snapshot of a state a slice at a time, so that a node can take a snapshot across many
 * turns of its event loop while it goes on applying entries (see Ledger.beginSnapshot). The state
 * handed in must not change meanwhile: the ledger hands in arrays of its frozen records, which later
 * entries replace rather than change. The bytes are the same as encodeSnapshot's, however sliced.
 */
export class SnapshotEncoder {
  /** The applied index of the state being written. */
  readonly appliedIndex: number;
  private readonly writer = new LineWriter();
  private readonly walk: SlicedSections;

  constructor(state: LedgerSnapshotState) {
    this.appliedIndex = state.appliedIndex;
    const writer = this.writer;
    writer.line({
      format: FORMAT,
      v: FORMAT_VERSION,
      appliedIndex: state.appliedIndex,
      clockMs: state.clockMs,
      licences: state.licences.length,
      leases: state.leases.length,
      usage: state.usage.length,
      requests: state.requests.length,
      incidents: state.incidents.length,
      audit: state.audit.length,
      endedLeases: state.endedLeases.length,
      leaseIntents: state.leaseIntents.length,
      clusterId: state.clusterId,
    });
    // Filled as the leases are written, which all come before the requests that name them.
    const liveLeases = new Map<string, Lease>();
    const of = <T>(
      records: { readonly length: number; at(position: number): T | undefined },
      write: (record: T) => void,
    ): Section => ({
      size: records.length,
      take: (position) => write(records.at(position) as T),
    });
    this.walk = new SlicedSections([
      of(state.licences, (licence) => writer.line(licence)),
      of(state.leases, (lease) => {
        liveLeases.set(lease.leaseId, lease);
        writer.text(leaseText(lease));
      }),
      of(state.usage, (record) => writer.line(record)),
      of(state.requests, (record) => {
        const other =
          record.otherSideResult === undefined ? '' : `,${resultText(record.otherSideResult, liveLeases)}`;
        writer.text(
          `[${quote(record.requestId)},${numberText(record.index)},${numberText(record.atMs)},` +
            `${numberText(record.fingerprint)},${resultText(record.result, liveLeases)}${other}]`,
        );
      }),
      of(state.incidents, (incident) => writer.line(incident)),
      of(state.audit, (record) => writer.line(record)),
      of(state.endedLeases, (ended) => writer.text(endedLeaseText(ended))),
      of(state.leaseIntents, (intent) =>
        writer.text(
          `[${quote(intent.leaseId)},${quote(intent.workstationId)},${quote(intent.action)},` +
            `${numberText(intent.ttlMs)},${numberText(intent.atMs)},${numberText(intent.index)}]`,
        ),
      ),
    ]);
  }

  /** Records in the snapshot (the header not counted). */
  get recordCount(): number {
    return this.walk.total;
  }

  /** Records written so far. */
  get recordsWritten(): number {
    return this.walk.recordsTaken;
  }

  get finished(): boolean {
    return this.walk.finished;
  }

  /** Writes up to maxRecords more records; true once every record is written. */
  writeSome(maxRecords: number): boolean {
    return this.walk.takeSome(maxRecords);
  }

  /**
   * The whole snapshot, only once every record is written; after `prefix` when given (the driver's
   * header), which saves copying tens of megabytes once more.
   */
  bytes(prefix?: Uint8Array): Uint8Array {
    assert.ok(
      this.finished,
      `the snapshot is not written yet (${this.recordsWritten} of ${this.recordCount} records)`,
    );
    return this.writer.bytes(prefix);
  }
}

/** Reads the bytes a line at a time; each line is one JSON value. */
class LineReader {
  private position: number;
  private lineNumber = 0;

  constructor(
    private readonly bytes: Buffer,
    start: number,
  ) {
    this.position = start;
  }

  /** The next line parsed, or a failure naming path when there is none or it is not JSON. */
  next(path: string): unknown {
    if (this.position >= this.bytes.length) reader.fail(path, 'the snapshot ends early');
    let end = this.bytes.indexOf(LINE_FEED, this.position);
    if (end === -1) end = this.bytes.length;
    const text = this.bytes.toString('utf8', this.position, end);
    this.position = end + 1;
    this.lineNumber += 1;
    try {
      return JSON.parse(text);
    } catch (error) {
      return reader.fail(path, `line ${this.lineNumber} is not UTF-8 JSON (${(error as Error).message})`);
    }
  }

  get atEnd(): boolean {
    return this.position >= this.bytes.length;
  }
}

/** The bytes as a Buffer after any byte order mark, refusing malformed UTF-8. */
function utf8Bytes(bytes: Uint8Array): Buffer {
  if (!isUtf8(bytes)) reader.fail('$', 'not UTF-8 JSON (the bytes are not valid UTF-8)');
  const hasByteOrderMark = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const start = hasByteOrderMark ? 3 : 0;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start);
}

function count(header: Fields, name: string): number {
  const value = reader.integer(header[name], `$.${name}`);
  if (value < 0) reader.fail(`$.${name}`, 'expected a count');
  return value;
}

function usageRecord(value: unknown, path: string): UsageRecord {
  const fields = reader.object(value, path);
  const period = reader.string(fields.period, `${path}.period`);
  if (!isPeriod(period)) return reader.fail(`${path}.period`, 'expected day, week or month');
  return {
    licenceId: reader.string(fields.licenceId, `${path}.licenceId`),
    period,
    usage: reader.usagePeriod(fields.usage, `${path}.usage`),
  };
}

/** Somewhere to put the remembered requests as they are decoded. */
export interface RequestSink extends RequestRecordList {
  push(record: RequestRecord): void;
}

/** Throws LedgerDataError (code SNAPSHOT_DECODE_FAILED) naming the offending path on garbage. */
export function decodeSnapshot(bytes: Uint8Array): DecodedSnapshotState {
  return decodeSnapshotWith(bytes, (): RequestRecord[] => []);
}

/**
 * The same, with the remembered requests put into `makeRequests()` as they are decoded: Ledger.restore
 * passes a compact list (request-book.ts), so that 200,000 requests are not all objects at once
 * while the snapshot is read, which was the high-water mark of a restore.
 */
export function decodeSnapshotWith<L extends RequestSink>(
  bytes: Uint8Array,
  makeRequests: () => L,
): LedgerSnapshotState & { requests: L } {
  if (!(bytes instanceof Uint8Array)) reader.fail('$', 'snapshot must be a Uint8Array');
  const text = utf8Bytes(bytes);
  const lines = new LineReader(text, 0);
  const firstLine = text.indexOf(LINE_FEED);
  // Version 2 is one JSON document on one line; a JSON string never holds a raw line break.
  if (firstLine === -1 || firstLine === text.length - 1) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.toString('utf8'));
    } catch (error) {
      reader.fail('$', `not UTF-8 JSON (${(error as Error).message})`);
    }
    const root = reader.object(parsed, '$');
    if (root.format !== FORMAT) reader.fail('$.format', `expected ${FORMAT}`);
    if (root.v === DOCUMENT_FORMAT_VERSION) {
      const state = decodeVersion2(root);
      const requests = makeRequests();
      for (const record of state.requests) requests.push(record);
      return { ...state, requests };
    }
    if (root.v !== FORMAT_VERSION && root.v !== TRUST_FORMAT_VERSION && root.v !== LINES_FORMAT_VERSION) {
      reader.fail('$.v', `unsupported format version ${JSON.stringify(root.v)}`);
    }
  }
  const header = reader.object(lines.next('$'), '$');
  if (header.format !== FORMAT) reader.fail('$.format', `expected ${FORMAT}`);
  if (header.v !== FORMAT_VERSION && header.v !== TRUST_FORMAT_VERSION && header.v !== LINES_FORMAT_VERSION)
    reader.fail('$.v', `unsupported format version ${JSON.stringify(header.v)}`);
  // Versions 4 and 5 have the trust work's records; version 5 the seat history.
  const current = header.v !== LINES_FORMAT_VERSION;
  const withSeatHistory = header.v === FORMAT_VERSION;
  const requests = makeRequests();
  const state: LedgerSnapshotState & { requests: L } = {
    appliedIndex: reader.integer(header.appliedIndex, '$.appliedIndex'),
    clockMs: reader.integer(header.clockMs, '$.clockMs'),
    licences: [],
    leases: [],
    usage: [],
    requests,
    incidents: [],
    clusterId: current && header.clusterId !== null ? reader.string(header.clusterId, '$.clusterId') : null,
    audit: [],
    endedLeases: [],
    leaseIntents: [],
  };
  const sizes = {
    licences: count(header, 'licences'),
    leases: count(header, 'leases'),
    usage: count(header, 'usage'),
    requests: count(header, 'requests'),
    incidents: count(header, 'incidents'),
    audit: current ? count(header, 'audit') : 0,
    endedLeases: withSeatHistory ? count(header, 'endedLeases') : 0,
    leaseIntents: withSeatHistory ? count(header, 'leaseIntents') : 0,
  };
  for (let position = 0; position < sizes.licences; position++) {
    const path = `$.licences[${position}]`;
    state.licences.push(reader.licence(lines.next(path), path));
  }
  const liveLeases = new Map<string, Lease>();
  for (let position = 0; position < sizes.leases; position++) {
    const path = `$.leases[${position}]`;
    const lease = leaseFromArray(lines.next(path), path);
    state.leases.push(lease);
    liveLeases.set(lease.leaseId, lease);
  }
  for (let position = 0; position < sizes.usage; position++) {
    const path = `$.usage[${position}]`;
    state.usage.push(usageRecord(lines.next(path), path));
  }
  for (let position = 0; position < sizes.requests; position++) {
    const path = `$.requests[${position}]`;
    const fields = reader.array(lines.next(path), path);
    // Version 4 has the fingerprint after the time.
    const at = current ? 1 : 0;
    if (fields.length !== 4 + at && fields.length !== 5 + at) {
      reader.fail(path, `expected a request of ${4 + at} or ${5 + at} fields`);
    }
    const record: RequestRecord = {
      requestId: reader.string(fields[0], `${path}[0]`),
      index: reader.integer(fields[1], `${path}[1]`),
      atMs: reader.integer(fields[2], `${path}[2]`),
      fingerprint: current ? reader.integer(fields[3], `${path}[3]`) : UNKNOWN_FINGERPRINT,
      result: resultFromValue(fields[3 + at], `${path}[${3 + at}]`, liveLeases),
    };
    if (fields.length === 5 + at) {
      record.otherSideResult = resultFromValue(fields[4 + at], `${path}[${4 + at}]`, liveLeases);
    }
    requests.push(record);
  }
  for (let position = 0; position < sizes.incidents; position++) {
    const path = `$.incidents[${position}]`;
    state.incidents.push(reader.incident(lines.next(path), path));
  }
  for (let position = 0; position < sizes.audit; position++) {
    const path = `$.audit[${position}]`;
    state.audit.push(reader.auditRecord(lines.next(path), path));
  }
  for (let position = 0; position < sizes.endedLeases; position++) {
    const path = `$.endedLeases[${position}]`;
    const fields = reader.array(lines.next(path), path);
    if (fields.length !== 6) reader.fail(path, 'expected an ended lease of 6 fields');
    state.endedLeases.push({
      leaseId: reader.string(fields[0], `${path}[0]`),
      licenceId: reader.string(fields[1], `${path}[1]`),
      grantTerm: reader.integer(fields[2], `${path}[2]`),
      grantedAtMs: reader.integer(fields[3], `${path}[3]`),
      endedAtMs: reader.integer(fields[4], `${path}[4]`),
      expired: reader.boolean(fields[5], `${path}[5]`),
    });
  }
  for (let position = 0; position < sizes.leaseIntents; position++) {
    const path = `$.leaseIntents[${position}]`;
    const fields = reader.array(lines.next(path), path);
    if (fields.length !== 6) reader.fail(path, 'expected a lease intent of 6 fields');
    const action = reader.string(fields[2], `${path}[2]`);
    if (action !== 'release' && action !== 'renew') reader.fail(`${path}[2]`, 'expected release or renew');
    state.leaseIntents.push({
      leaseId: reader.string(fields[0], `${path}[0]`),
      workstationId: reader.string(fields[1], `${path}[1]`),
      action: action as LeaseIntentAction,
      ttlMs: reader.integer(fields[3], `${path}[3]`),
      atMs: reader.integer(fields[4], `${path}[4]`),
      index: reader.integer(fields[5], `${path}[5]`),
    });
  }
  if (!lines.atEnd) reader.fail('$', 'the snapshot goes on after its last record');
  return state;
}

function decodeVersion2(root: Fields): DecodedSnapshotState {
  return {
    appliedIndex: reader.integer(root.appliedIndex, '$.appliedIndex'),
    clockMs: reader.integer(root.clockMs, '$.clockMs'),
    licences: reader
      .array(root.licences, '$.licences')
      .map((value, position) => reader.licence(value, `$.licences[${position}]`)),
    leases: reader
      .array(root.leases, '$.leases')
      .map((value, position) => reader.lease(value, `$.leases[${position}]`)),
    usage: reader
      .array(root.usage, '$.usage')
      .map((value, position) => usageRecord(value, `$.usage[${position}]`)),
    requests: reader.array(root.requests, '$.requests').map((value, position) => {
      const path = `$.requests[${position}]`;
      const fields = reader.object(value, path);
      return {
        requestId: reader.string(fields.requestId, `${path}.requestId`),
        index: reader.integer(fields.index, `${path}.index`),
        atMs: reader.integer(fields.atMs, `${path}.atMs`),
        fingerprint: UNKNOWN_FINGERPRINT,
        result: reader.result(fields.result, `${path}.result`),
        ...(fields.otherSideResult === undefined
          ? {}
          : { otherSideResult: reader.result(fields.otherSideResult, `${path}.otherSideResult`) }),
      };
    }),
    incidents: reader
      .array(root.incidents, '$.incidents')
      .map((value, position) => reader.incident(value, `$.incidents[${position}]`)),
    clusterId: null,
    audit: [],
    endedLeases: [],
    leaseIntents: [],
  };
}
