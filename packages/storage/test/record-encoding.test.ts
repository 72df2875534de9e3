import { expect } from 'chai';
import { CorruptRecordError } from '../src/errors.js';
import {
  decodeEntryRecord,
  decodeHardStateRecord,
  decodeLogKey,
  decodeSnapshotChunkRecord,
  decodeSnapshotMetadataRecord,
  encodeEntryRecord,
  encodeHardStateRecord,
  encodeLogKey,
  encodeSnapshotChunkRecord,
  encodeSnapshotMetadataRecord,
} from '../src/record-encoding.js';
import { pseudoRandomBytes } from './storage-helpers.js';

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  return Buffer.compare(Buffer.from(left), Buffer.from(right));
}

describe('record encoding', () => {
  it('encodes log keys so that byte order is index order', () => {
    const indices = [1, 2, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1];
    for (let position = 1; position < indices.length; position++) {
      const lower = encodeLogKey(indices[position - 1] as number);
      const higher = encodeLogKey(indices[position] as number);
      expect(compareBytes(lower, higher)).to.equal(-1);
    }
    for (const index of indices) {
      expect(decodeLogKey(encodeLogKey(index))).to.equal(index);
    }
    expect(decodeLogKey(Uint8Array.of(0x02))).to.equal(null);
  });

  it('round-trips an entry with large index and term', () => {
    const entry = {
      index: 2 ** 40 + 3,
      term: 2 ** 35,
      kind: 'configuration' as const,
      data: pseudoRandomBytes(1, 77),
    };
    expect(decodeEntryRecord(encodeEntryRecord(entry), entry.index)).to.deep.equal(entry);
  });

  it('detects a flipped bit anywhere in an entry record, naming the index', () => {
    const record = encodeEntryRecord({ index: 9, term: 2, kind: 'normal', data: pseudoRandomBytes(2, 12) });
    for (let offset = 0; offset < record.byteLength; offset++) {
      const damaged = new Uint8Array(record);
      damaged[offset] = (damaged[offset] as number) ^ 0x01;
      const decode = (): unknown => decodeEntryRecord(damaged, 9);
      expect(decode).to.throw(CorruptRecordError, 'index 9');
    }
    expect(() => decodeEntryRecord(record.subarray(0, 10), 9)).to.throw(CorruptRecordError, 'too short');
  });

  it('round-trips the hard state with and without a vote', () => {
    for (const state of [
      { term: 0, votedFor: null, commitIndex: 0 },
      { term: 7, votedFor: '', commitIndex: 3 },
      { term: 2 ** 50, votedFor: 'node-ü', commitIndex: 2 ** 45 },
    ]) {
      expect(decodeHardStateRecord(encodeHardStateRecord(state))).to.deep.equal(state);
    }
  });

  it('round-trips snapshot metadata and chunks, and refuses a chunk of another snapshot', () => {
    const layout = {
      metadata: { index: 500, term: 4, configuration: { voters: ['a', 'b', 'c'], inSync: ['a'] } },
      dataBytes: 3_000_000,
      chunkBytes: 1_048_576,
      chunkCount: 3,
    };
    expect(decodeSnapshotMetadataRecord(encodeSnapshotMetadataRecord(layout))).to.deep.equal(layout);
    const bytes = pseudoRandomBytes(3, 100);
    const chunk = encodeSnapshotChunkRecord(500, 2, bytes);
    expect(decodeSnapshotChunkRecord(chunk, 500, 2)).to.deep.equal(bytes);
    expect(() => decodeSnapshotChunkRecord(chunk, 501, 2)).to.throw(CorruptRecordError, 'snapshot');
    expect(() => decodeSnapshotChunkRecord(chunk, 500, 1)).to.throw(CorruptRecordError, 'chunk 1');
  });

  it('round-trips the drained nodes of a snapshot configuration, and writes none when none is drained', () => {
    const plain = {
      metadata: {
        index: 9,
        term: 2,
        configuration: { voters: ['backup', 'main'], inSync: ['backup', 'main'] },
      },
      dataBytes: 10,
      chunkBytes: 1024,
      chunkCount: 1,
    };
    const drained = {
      ...plain,
      metadata: { ...plain.metadata, configuration: { ...plain.metadata.configuration, drained: ['main'] } },
    };
    const plainRecord = encodeSnapshotMetadataRecord(plain);
    const drainedRecord = encodeSnapshotMetadataRecord(drained);
    expect(decodeSnapshotMetadataRecord(drainedRecord)).to.deep.equal(drained);
    // The record of an undrained configuration is the one written before drains existed.
    expect(decodeSnapshotMetadataRecord(plainRecord)).to.deep.equal(plain);
    expect(drainedRecord.byteLength - plainRecord.byteLength).to.equal(4 + 4 + 'main'.length);
    expect(
      encodeSnapshotMetadataRecord({
        ...plain,
        metadata: { ...plain.metadata, configuration: { ...plain.metadata.configuration, drained: [] } },
      }),
    ).to.deep.equal(plainRecord);
  });
});
