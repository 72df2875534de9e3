// The ledger's serialized state: JSON in UTF-8, with every collection written in a fixed order
// (licences and leases sorted, usage sorted, request records in the order they were made) so that
// equal ledgers give equal bytes. Decoding checks the shape; the ledger checks consistency.
// Version 2 added overdraft incidents and lease ids of the form lease-<term>-<index>.
import { Buffer, isUtf8 } from 'node:buffer';
import { isPeriod } from './period.js';
import { ShapeReader } from './shape.js';
import type { Incident, Lease, Licence, Period, Result, UsagePeriod } from './types.js';

const FORMAT = 'tandem-ledger-snapshot';
const FORMAT_VERSION = 2;

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
  /**
   * Set only after a split brain, for a request both sides executed and answered differently: the
   * other side's answer. The workstation received one of the two and cannot be told which, so both
   * are kept (an auditor, or a history checker, may hold the ledger to either).
   */
  otherSideResult?: Result;
}

export interface LedgerSnapshotState {
  appliedIndex: number;
  clockMs: number;
  licences: Licence[];
  leases: Lease[];
  usage: UsageRecord[];
  requests: RequestRecord[];
  /** Resolved incidents in the order they resolved, then open ones in the order they opened. */
  incidents: Incident[];
}

const encoder = new TextEncoder();
const reader = new ShapeReader('SNAPSHOT_DECODE_FAILED', 'ledger snapshot');

export function encodeSnapshot(state: LedgerSnapshotState): Uint8Array {
  return encoder.encode(JSON.stringify({ format: FORMAT, v: FORMAT_VERSION, ...state }));
}

/**
 * The text of UTF-8 bytes, refusing malformed ones and skipping a byte order mark like a fatal
 * TextDecoder would. A snapshot can be tens of megabytes, and checking with isUtf8 and then
 * decoding through Buffer is markedly faster than TextDecoder for that size.
 */
function utf8Text(bytes: Uint8Array): string {
  if (!isUtf8(bytes)) throw new SyntaxError('the bytes are not valid UTF-8');
  const hasByteOrderMark = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const start = hasByteOrderMark ? 3 : 0;
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString('utf8');
}

/** Throws LedgerDataError (code SNAPSHOT_DECODE_FAILED) naming the offending path on garbage. */
export function decodeSnapshot(bytes: Uint8Array): LedgerSnapshotState {
  if (!(bytes instanceof Uint8Array)) reader.fail('$', 'snapshot must be a Uint8Array');
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8Text(bytes));
  } catch (error) {
    reader.fail('$', `not UTF-8 JSON (${(error as Error).message})`);
  }
  const root = reader.object(parsed, '$');
  if (root.format !== FORMAT) reader.fail('$.format', `expected ${FORMAT}`);
  if (root.v !== FORMAT_VERSION) reader.fail('$.v', `unsupported format version ${JSON.stringify(root.v)}`);
  return {
    appliedIndex: reader.integer(root.appliedIndex, '$.appliedIndex'),
    clockMs: reader.integer(root.clockMs, '$.clockMs'),
    licences: reader
      .array(root.licences, '$.licences')
      .map((value, position) => reader.licence(value, `$.licences[${position}]`)),
    leases: reader
      .array(root.leases, '$.leases')
      .map((value, position) => reader.lease(value, `$.leases[${position}]`)),
    usage: reader.array(root.usage, '$.usage').map((value, position): UsageRecord => {
      const path = `$.usage[${position}]`;
      const fields = reader.object(value, path);
      const period = reader.string(fields.period, `${path}.period`);
      if (!isPeriod(period)) return reader.fail(`${path}.period`, 'expected day, week or month');
      return {
        licenceId: reader.string(fields.licenceId, `${path}.licenceId`),
        period,
        usage: reader.usagePeriod(fields.usage, `${path}.usage`),
      };
    }),
    requests: reader.array(root.requests, '$.requests').map((value, position) => {
      const path = `$.requests[${position}]`;
      const fields = reader.object(value, path);
      return {
        requestId: reader.string(fields.requestId, `${path}.requestId`),
        index: reader.integer(fields.index, `${path}.index`),
        atMs: reader.integer(fields.atMs, `${path}.atMs`),
        result: reader.result(fields.result, `${path}.result`),
        ...(fields.otherSideResult === undefined
          ? {}
          : { otherSideResult: reader.result(fields.otherSideResult, `${path}.otherSideResult`) }),
      };
    }),
    incidents: reader
      .array(root.incidents, '$.incidents')
      .map((value, position) => reader.incident(value, `$.incidents[${position}]`)),
  };
}
