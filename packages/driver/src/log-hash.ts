// A hash chain over the applied log, compared by `tandemctl verify` next to the state hash. Two
// ledgers can be equal while their logs differ (a forged entry and its undoing, an entry both
// nodes applied that only one of them should have), and a state hash cannot see that; the chain
// sees any entry that differs in index, term, kind or bytes.
//
// hash(i) = sha256(hash(i-1) || index u64 || term u64 || kind u8 || length u32 || data), starting
// from 32 zero bytes before index 1. Every applied entry extends it (noops and configuration
// entries too). A snapshot carries the chain at its index (see encodeNodeSnapshot), so a node that
// restored one, from its own disk or from its leader, continues it. A pair-mode backup that
// discards its history after a merge starts the chain again from zero, like its log, and then
// applies the main's log (or a snapshot of it): from then on its chain is the main's.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { Entry } from '@tandem/consensus';
import { SnapshotDataError } from './errors.js';

export interface LogHash {
  /** The last index the chain covers. */
  index: number;
  /** sha256 in lower-case hex. */
  hash: string;
}

export const GENESIS_LOG_HASH: LogHash = { index: 0, hash: '0'.repeat(64) };

const KIND_BYTE: Record<Entry['kind'], number> = { normal: 1, noop: 2, configuration: 3 };
const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** The chain extended by one entry. */
export function chainEntry(previous: LogHash, entry: Entry): LogHash {
  return { index: entry.index, hash: chainBytes(Buffer.from(previous.hash, 'hex'), entry).toString('hex') };
}

/** Reused for every entry: a hash takes the bytes synchronously. */
const HEADER = Buffer.alloc(8 + 8 + 1 + 4);

/** The same on raw digests: every applied entry goes through here, so no hex on the way. */
function chainBytes(previous: Buffer, entry: Entry): Buffer {
  writeUint64(HEADER, entry.index, 0);
  writeUint64(HEADER, entry.term, 8);
  HEADER.writeUInt8(KIND_BYTE[entry.kind], 16);
  HEADER.writeUInt32BE(entry.data.byteLength, 17);
  return createHash('sha256').update(previous).update(HEADER).update(entry.data).digest();
}

/** A safe integer as 8 bytes, big-endian. */
function writeUint64(buffer: Buffer, value: number, offset: number): void {
  buffer.writeUInt32BE(Math.floor(value / 2 ** 32), offset);
  buffer.writeUInt32BE(value >>> 0, offset + 4);
}

/** How many recent chain values a node remembers, so that Verify can answer at a common index. */
const REMEMBERED_HASHES = 4096;

/**
 * The chain at the node's applied index, and the values at recent indices. The chain is unknown
 * (null) on a node whose snapshot was written before snapshots carried it, until it restores a
 * snapshot that does, or discards its history.
 */
export class LogHashChain {
  private head: { index: number; digest: Buffer } | null = fromLogHash(GENESIS_LOG_HASH);
  private readonly recent = new Map<number, Buffer>();

  get current(): LogHash | null {
    return this.head === null ? null : { index: this.head.index, hash: this.head.digest.toString('hex') };
  }

  /** Starts over from a snapshot's chain value (null: unknown) or from nothing (GENESIS_LOG_HASH). */
  restore(hash: LogHash | null): void {
    this.head = hash === null ? null : fromLogHash(hash);
    this.recent.clear();
    if (this.head !== null) this.remember(this.head.index, this.head.digest);
  }

  /** Applies one entry; entries come in log order, one index after the other. */
  extend(entry: Entry): void {
    const head = this.head;
    if (head === null) return;
    if (entry.index !== head.index + 1) {
      // Not reachable while entries are applied in order; an unknown chain beats a wrong one.
      this.restore(null);
      return;
    }
    const digest = chainBytes(head.digest, entry);
    this.head = { index: entry.index, digest };
    this.remember(entry.index, digest);
  }

  /** The chain through index, if this node still remembers it. */
  at(index: number): LogHash | null {
    const digest = this.recent.get(index);
    return digest === undefined ? null : { index, hash: digest.toString('hex') };
  }

  private remember(index: number, digest: Buffer): void {
    this.recent.set(index, digest);
    if (this.recent.size > REMEMBERED_HASHES) {
      const oldest = this.recent.keys().next();
      if (oldest.done !== true) this.recent.delete(oldest.value);
    }
  }
}

function fromLogHash(hash: LogHash): { index: number; digest: Buffer } {
  return { index: hash.index, digest: Buffer.from(hash.hash, 'hex') };
}

// ---------------------------------------------------------------------------------------------
// The snapshot a data node stores and streams: one header line naming the chain at the snapshot's
// index, then the ledger's own snapshot bytes. A snapshot without the header (written before the
// chain existed) is all ledger, and its chain is unknown.

const FORMAT = 'tandem-node-snapshot';
const HEADER_PREFIX = Buffer.from(`{"format":"${FORMAT}"`);
const NEWLINE = 0x0a;
/** The header is one short line; a longer first line is not a header. */
const MAX_HEADER_BYTES = 512;

export interface NodeSnapshot {
  logHash: LogHash | null;
  /** The ledger's snapshot bytes (a view into the data, not a copy). */
  ledger: Uint8Array;
}

export function encodeNodeSnapshot(logHash: LogHash | null, ledger: Uint8Array): Uint8Array {
  const header = nodeSnapshotHeader(logHash);
  const data = new Uint8Array(header.byteLength + ledger.byteLength);
  data.set(header, 0);
  data.set(ledger, header.byteLength);
  return data;
}

/** The header line encodeNodeSnapshot puts before the ledger's bytes. */
export function nodeSnapshotHeader(logHash: LogHash | null): Uint8Array {
  return Buffer.from(`${JSON.stringify({ format: FORMAT, version: 1, logHash })}\n`);
}

/** Splits a stored or received snapshot; throws SnapshotDataError on a bad header. */
export function decodeNodeSnapshot(data: Uint8Array, snapshotIndex: number): NodeSnapshot {
  const prefix = data.subarray(0, HEADER_PREFIX.byteLength);
  if (!Buffer.from(prefix.buffer, prefix.byteOffset, prefix.byteLength).equals(HEADER_PREFIX)) {
    return { logHash: null, ledger: data };
  }
  const end = data.subarray(0, MAX_HEADER_BYTES).indexOf(NEWLINE);
  if (end < 0) throw new SnapshotDataError('the snapshot header has no end');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(data.buffer, data.byteOffset, end).toString('utf8'));
  } catch {
    throw new SnapshotDataError('the snapshot header is not JSON');
  }
  const { version, logHash } = header as { version?: unknown; logHash?: unknown };
  if (version !== 1) throw new SnapshotDataError(`unknown snapshot header version ${String(version)}`);
  return { logHash: checkedLogHash(logHash, snapshotIndex), ledger: data.subarray(end + 1) };
}

function checkedLogHash(value: unknown, snapshotIndex: number): LogHash | null {
  if (value === null) return null;
  const { index, hash } = (value ?? {}) as { index?: unknown; hash?: unknown };
  if (index !== snapshotIndex || typeof hash !== 'string' || !HASH_PATTERN.test(hash)) {
    throw new SnapshotDataError(`the snapshot's log hash is not one for index ${snapshotIndex}`);
  }
  return { index, hash };
}
