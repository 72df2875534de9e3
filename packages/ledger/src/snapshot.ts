// The ledger's serialized state: JSON in UTF-8, with every collection written in a fixed order
// (licences and leases sorted, usage sorted, request records in the order they were made) so that
// equal ledgers give equal bytes. Decoding checks the shape; the ledger checks consistency.
import { isPeriod } from './period.js';
import { ShapeReader } from './shape.js';
import type { Lease, Licence, Period, Result, UsagePeriod } from './types.js';

const FORMAT = 'tandem-ledger-snapshot';
const FORMAT_VERSION = 1;

/** A usage period together with the kind of period it counts (day, week or month). */
export interface UsageRecord {
  licenceId: string;
  period: Period;
  usage: UsagePeriod;
}

/** A remembered request: the first result, and the entry (index, time) that produced it. */
export interface RequestRecord {
  requestId: string;
  index: number;
  atMs: number;
  result: Result;
}

export interface LedgerSnapshotState {
  appliedIndex: number;
  clockMs: number;
  licences: Licence[];
  leases: Lease[];
  usage: UsageRecord[];
  requests: RequestRecord[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const reader = new ShapeReader('SNAPSHOT_DECODE_FAILED', 'ledger snapshot');

export function encodeSnapshot(state: LedgerSnapshotState): Uint8Array {
  return encoder.encode(JSON.stringify({ format: FORMAT, v: FORMAT_VERSION, ...state }));
}

/** Throws LedgerDataError (code SNAPSHOT_DECODE_FAILED) naming the offending path on garbage. */
export function decodeSnapshot(bytes: Uint8Array): LedgerSnapshotState {
  if (!(bytes instanceof Uint8Array)) reader.fail('$', 'snapshot must be a Uint8Array');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
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
      };
    }),
  };
}
