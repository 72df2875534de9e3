// The on-disk layout of LevelStorage. Every key starts with a prefix byte; every value is a
// record: a big-endian CRC-32 of the payload, then the payload. Entries are encoded in binary
// because appending and reading them is the hot path.
//
//   0x00                      format:             version u32
//   0x01 index u64            log entry:          index u64, term u64, kind u8, data
//   0x02                      hard state:         term u64, commitIndex u64, hasVote u8, votedFor utf8
//   0x03                      snapshot metadata:  index u64, term u64, dataBytes u64, chunkBytes u32,
//                                                 chunkCount u32, voters, inSync (count u32, then
//                                                 length u32 + utf8 per member), then drained (the
//                                                 same, present only when a node is drained)
//   0x04 chunkNumber u32      snapshot chunk:     snapshotIndex u64, chunkNumber u32, bytes
//
// The payload repeats what the key says (index, chunk number) so that a record found under the
// wrong key is detected as well as a damaged one.

import type { Configuration, Entry, EntryKind, HardState, SnapshotMetadata } from '@tandem/consensus';
import { crc32 } from './crc32.js';
import { CorruptRecordError } from './errors.js';

export const FORMAT_VERSION = 1;

const FORMAT_PREFIX = 0x00;
const LOG_PREFIX = 0x01;
const HARD_STATE_PREFIX = 0x02;
const SNAPSHOT_METADATA_PREFIX = 0x03;
const SNAPSHOT_CHUNK_PREFIX = 0x04;

export const FORMAT_KEY: Uint8Array = Uint8Array.of(FORMAT_PREFIX);
export const HARD_STATE_KEY: Uint8Array = Uint8Array.of(HARD_STATE_PREFIX);
export const SNAPSHOT_METADATA_KEY: Uint8Array = Uint8Array.of(SNAPSHOT_METADATA_PREFIX);
/** Upper bounds (exclusive) of the log and chunk key ranges. */
export const LOG_KEYS_END: Uint8Array = Uint8Array.of(LOG_PREFIX + 1);
export const SNAPSHOT_CHUNK_KEYS_END: Uint8Array = Uint8Array.of(SNAPSHOT_CHUNK_PREFIX + 1);

const CHECKSUM_BYTES = 4;
const UINT64_BYTES = 8;
const UINT32_BYTES = 4;
const TWO_TO_THE_32 = 2 ** 32;
const ENTRY_HEADER_BYTES = UINT64_BYTES + UINT64_BYTES + 1;
/** Limits on what a snapshot's configuration may hold, so a damaged count cannot run away. */
const MAX_CONFIGURATION_MEMBERS = 1_024;

const KIND_CODES: Readonly<Record<EntryKind, number>> = { normal: 0, noop: 1, configuration: 2 };
const KINDS_BY_CODE: readonly EntryKind[] = ['normal', 'noop', 'configuration'];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

type CorruptionReporter = (detail: string) => CorruptRecordError;

function writeUint64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / TWO_TO_THE_32));
  view.setUint32(offset + UINT32_BYTES, value >>> 0);
}

function readUint64(view: DataView, offset: number): number {
  return view.getUint32(offset) * TWO_TO_THE_32 + view.getUint32(offset + UINT32_BYTES);
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A record with room for payloadBytes after the checksum; fill it, then seal it. */
function allocateRecord(payloadBytes: number): { record: Uint8Array; view: DataView } {
  const record = new Uint8Array(CHECKSUM_BYTES + payloadBytes);
  return { record, view: viewOf(record) };
}

function sealRecord(record: Uint8Array, view: DataView): Uint8Array {
  view.setUint32(0, crc32(record.subarray(CHECKSUM_BYTES)));
  return record;
}

/** Verifies a record's checksum and returns a view of it (payload offsets start at 4). */
function unsealRecord(
  record: Uint8Array,
  minimumPayloadBytes: number,
  corrupt: CorruptionReporter,
): DataView {
  if (record.byteLength < CHECKSUM_BYTES + minimumPayloadBytes) {
    throw corrupt(`record of ${record.byteLength} bytes is too short`);
  }
  const view = viewOf(record);
  const storedChecksum = view.getUint32(0);
  const computedChecksum = crc32(record.subarray(CHECKSUM_BYTES));
  if (storedChecksum !== computedChecksum) {
    throw corrupt(
      `checksum mismatch (stored 0x${storedChecksum.toString(16)}, computed 0x${computedChecksum.toString(16)})`,
    );
  }
  return view;
}

/** A plain Uint8Array over part of a record, without copying it. */
function bytesOf(record: Uint8Array, offset: number): Uint8Array {
  return new Uint8Array(record.buffer, record.byteOffset + offset, record.byteLength - offset);
}

export function encodeLogKey(index: number): Uint8Array {
  const key = new Uint8Array(1 + UINT64_BYTES);
  key[0] = LOG_PREFIX;
  writeUint64(viewOf(key), 1, index);
  return key;
}

/** The index a log key names, or null when the key is not a well-formed log key. */
export function decodeLogKey(key: Uint8Array): number | null {
  if (key.byteLength !== 1 + UINT64_BYTES || key[0] !== LOG_PREFIX) {
    return null;
  }
  const index = readUint64(viewOf(key), 1);
  return Number.isSafeInteger(index) ? index : null;
}

export function encodeSnapshotChunkKey(chunkNumber: number): Uint8Array {
  const key = new Uint8Array(1 + UINT32_BYTES);
  key[0] = SNAPSHOT_CHUNK_PREFIX;
  viewOf(key).setUint32(1, chunkNumber);
  return key;
}

export function decodeSnapshotChunkKey(key: Uint8Array): number | null {
  if (key.byteLength !== 1 + UINT32_BYTES || key[0] !== SNAPSHOT_CHUNK_PREFIX) {
    return null;
  }
  return viewOf(key).getUint32(1);
}

export function encodeFormatRecord(): Uint8Array {
  const { record, view } = allocateRecord(UINT32_BYTES);
  view.setUint32(CHECKSUM_BYTES, FORMAT_VERSION);
  return sealRecord(record, view);
}

export function decodeFormatRecord(record: Uint8Array): number {
  const corrupt: CorruptionReporter = (detail) => new CorruptRecordError('format', null, detail);
  const view = unsealRecord(record, UINT32_BYTES, corrupt);
  return view.getUint32(CHECKSUM_BYTES);
}

export function encodeEntryRecord(entry: Entry): Uint8Array {
  const { record, view } = allocateRecord(ENTRY_HEADER_BYTES + entry.data.byteLength);
  let offset = CHECKSUM_BYTES;
  writeUint64(view, offset, entry.index);
  offset += UINT64_BYTES;
  writeUint64(view, offset, entry.term);
  offset += UINT64_BYTES;
  view.setUint8(offset, KIND_CODES[entry.kind]);
  offset += 1;
  record.set(entry.data, offset);
  return sealRecord(record, view);
}

/** Decodes the record stored under the key for index; the entry's data is a view of the record. */
export function decodeEntryRecord(record: Uint8Array, index: number): Entry {
  const corrupt: CorruptionReporter = (detail) => new CorruptRecordError('log entry', index, detail);
  const view = unsealRecord(record, ENTRY_HEADER_BYTES, corrupt);
  let offset = CHECKSUM_BYTES;
  const storedIndex = readUint64(view, offset);
  offset += UINT64_BYTES;
  const term = readUint64(view, offset);
  offset += UINT64_BYTES;
  const kindCode = view.getUint8(offset);
  offset += 1;
  if (storedIndex !== index) {
    throw corrupt(`the record holds index ${storedIndex}`);
  }
  const kind = KINDS_BY_CODE[kindCode];
  if (kind === undefined || !Number.isSafeInteger(term)) {
    throw corrupt(`unknown kind ${kindCode} or term out of range`);
  }
  return { index, term, kind, data: bytesOf(record, offset) };
}

export function encodeHardStateRecord(state: HardState): Uint8Array {
  const vote = state.votedFor === null ? new Uint8Array(0) : utf8Encoder.encode(state.votedFor);
  const { record, view } = allocateRecord(UINT64_BYTES + UINT64_BYTES + 1 + vote.byteLength);
  let offset = CHECKSUM_BYTES;
  writeUint64(view, offset, state.term);
  offset += UINT64_BYTES;
  writeUint64(view, offset, state.commitIndex);
  offset += UINT64_BYTES;
  view.setUint8(offset, state.votedFor === null ? 0 : 1);
  offset += 1;
  record.set(vote, offset);
  return sealRecord(record, view);
}

export function decodeHardStateRecord(record: Uint8Array): HardState {
  const corrupt: CorruptionReporter = (detail) => new CorruptRecordError('hard state', null, detail);
  const view = unsealRecord(record, UINT64_BYTES + UINT64_BYTES + 1, corrupt);
  let offset = CHECKSUM_BYTES;
  const term = readUint64(view, offset);
  offset += UINT64_BYTES;
  const commitIndex = readUint64(view, offset);
  offset += UINT64_BYTES;
  const hasVote = view.getUint8(offset);
  offset += 1;
  if (!Number.isSafeInteger(term) || !Number.isSafeInteger(commitIndex) || hasVote > 1) {
    throw corrupt('field out of range');
  }
  const votedFor = hasVote === 1 ? decodeUtf8(bytesOf(record, offset), corrupt) : null;
  if (hasVote === 0 && offset !== record.byteLength) {
    throw corrupt('trailing bytes after an empty vote');
  }
  return { term, votedFor, commitIndex };
}

/** How a snapshot's data is laid out in chunks, kept next to its metadata. */
export interface SnapshotLayout {
  readonly metadata: SnapshotMetadata;
  readonly dataBytes: number;
  readonly chunkBytes: number;
  readonly chunkCount: number;
}

export function chunkCountFor(dataBytes: number, chunkBytes: number): number {
  return Math.ceil(dataBytes / chunkBytes);
}

export function encodeSnapshotMetadataRecord(layout: SnapshotLayout): Uint8Array {
  const voters = layout.metadata.configuration.voters.map((member) => utf8Encoder.encode(member));
  const inSync = layout.metadata.configuration.inSync.map((member) => utf8Encoder.encode(member));
  const drained = (layout.metadata.configuration.drained ?? []).map((member) => utf8Encoder.encode(member));
  const lists = drained.length === 0 ? [voters, inSync] : [voters, inSync, drained];
  const listBytes = (list: Uint8Array[]): number =>
    UINT32_BYTES + list.reduce((sum, member) => sum + UINT32_BYTES + member.byteLength, 0);
  const fixedBytes = UINT64_BYTES * 3 + UINT32_BYTES * 2;
  const { record, view } = allocateRecord(fixedBytes + lists.reduce((sum, list) => sum + listBytes(list), 0));
  let offset = CHECKSUM_BYTES;
  writeUint64(view, offset, layout.metadata.index);
  offset += UINT64_BYTES;
  writeUint64(view, offset, layout.metadata.term);
  offset += UINT64_BYTES;
  writeUint64(view, offset, layout.dataBytes);
  offset += UINT64_BYTES;
  view.setUint32(offset, layout.chunkBytes);
  offset += UINT32_BYTES;
  view.setUint32(offset, layout.chunkCount);
  offset += UINT32_BYTES;
  for (const list of lists) {
    view.setUint32(offset, list.length);
    offset += UINT32_BYTES;
    for (const member of list) {
      view.setUint32(offset, member.byteLength);
      offset += UINT32_BYTES;
      record.set(member, offset);
      offset += member.byteLength;
    }
  }
  return sealRecord(record, view);
}

export function decodeSnapshotMetadataRecord(record: Uint8Array): SnapshotLayout {
  const corrupt: CorruptionReporter = (detail) => new CorruptRecordError('snapshot', null, detail);
  const fixedBytes = UINT64_BYTES * 3 + UINT32_BYTES * 2;
  const view = unsealRecord(record, fixedBytes + UINT32_BYTES * 2, corrupt);
  let offset = CHECKSUM_BYTES;
  const index = readUint64(view, offset);
  offset += UINT64_BYTES;
  const term = readUint64(view, offset);
  offset += UINT64_BYTES;
  const dataBytes = readUint64(view, offset);
  offset += UINT64_BYTES;
  const chunkBytes = view.getUint32(offset);
  offset += UINT32_BYTES;
  const chunkCount = view.getUint32(offset);
  offset += UINT32_BYTES;
  if (
    !Number.isSafeInteger(index) ||
    !Number.isSafeInteger(term) ||
    !Number.isSafeInteger(dataBytes) ||
    chunkBytes === 0 ||
    chunkCount !== chunkCountFor(dataBytes, chunkBytes)
  ) {
    throw corrupt('metadata field out of range');
  }
  const readList = (): string[] => {
    if (offset + UINT32_BYTES > record.byteLength) {
      throw corrupt('configuration is truncated');
    }
    const count = view.getUint32(offset);
    offset += UINT32_BYTES;
    if (count > MAX_CONFIGURATION_MEMBERS) {
      throw corrupt(`configuration lists ${count} members`);
    }
    const members: string[] = [];
    for (let member = 0; member < count; member++) {
      if (offset + UINT32_BYTES > record.byteLength) {
        throw corrupt('configuration is truncated');
      }
      const length = view.getUint32(offset);
      offset += UINT32_BYTES;
      if (offset + length > record.byteLength) {
        throw corrupt('configuration is truncated');
      }
      members.push(decodeUtf8(record.subarray(offset, offset + length), corrupt));
      offset += length;
    }
    return members;
  };
  const voters = readList();
  const inSync = readList();
  // A record written before drains existed, or with no node drained, ends here.
  const drained = offset < record.byteLength ? readList() : [];
  if (offset !== record.byteLength) {
    throw corrupt('trailing bytes after the configuration');
  }
  const configuration: Configuration = { voters, inSync };
  if (drained.length > 0) configuration.drained = drained;
  return { metadata: { index, term, configuration }, dataBytes, chunkBytes, chunkCount };
}

export function encodeSnapshotChunkRecord(
  snapshotIndex: number,
  chunkNumber: number,
  bytes: Uint8Array,
): Uint8Array {
  const { record, view } = allocateRecord(UINT64_BYTES + UINT32_BYTES + bytes.byteLength);
  writeUint64(view, CHECKSUM_BYTES, snapshotIndex);
  view.setUint32(CHECKSUM_BYTES + UINT64_BYTES, chunkNumber);
  record.set(bytes, CHECKSUM_BYTES + UINT64_BYTES + UINT32_BYTES);
  return sealRecord(record, view);
}

/** The bytes of a chunk, verified to belong to the snapshot at snapshotIndex at chunkNumber. */
export function decodeSnapshotChunkRecord(
  record: Uint8Array,
  snapshotIndex: number,
  chunkNumber: number,
): Uint8Array {
  const corrupt: CorruptionReporter = (detail) =>
    new CorruptRecordError('snapshot', null, `chunk ${chunkNumber}: ${detail}`);
  const view = unsealRecord(record, UINT64_BYTES + UINT32_BYTES, corrupt);
  const storedIndex = readUint64(view, CHECKSUM_BYTES);
  const storedChunkNumber = view.getUint32(CHECKSUM_BYTES + UINT64_BYTES);
  if (storedIndex !== snapshotIndex || storedChunkNumber !== chunkNumber) {
    throw corrupt(`the record belongs to snapshot ${storedIndex}, chunk ${storedChunkNumber}`);
  }
  return record.subarray(CHECKSUM_BYTES + UINT64_BYTES + UINT32_BYTES);
}

function decodeUtf8(bytes: Uint8Array, corrupt: CorruptionReporter): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (error) {
    throw corrupt(`invalid UTF-8 (${String(error)})`);
  }
}
