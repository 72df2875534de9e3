// The witness's durable state, on the same LevelDB storage as a data node (LevelStorage: every
// write one batch with sync: true, CRC-checked records). A witness has no log, so its whole state
// is a snapshot at index 0 (which stands for the empty log) whose data is the witness record (the
// in-sync set, the acknowledged index and the record's order), and its term and vote are the hard
// state. save() writes both in one batch, durable before it resolves.
import assert from 'node:assert/strict';
import { copyWitnessState, type NodeId, type WitnessState } from '@tandem/consensus';
import { LevelStorage } from '@tandem/storage';

/** The version of the record's encoding, so that a later format is recognised rather than misread. */
const RECORD_FORMAT = 1;
/** The configuration stored with the snapshot: the witness votes, the data nodes are in sync. */
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

interface StoredRecord {
  format: number;
  inSync: NodeId[];
  acknowledgedIndex: number;
  recordTerm: number;
  recordConfigurationIndex: number;
}

export class WitnessStorage {
  private constructor(
    private readonly storage: LevelStorage,
    private readonly witnessId: NodeId,
    private readonly dataNodeIds: readonly NodeId[],
  ) {}

  static async open(
    directory: string,
    witnessId: NodeId,
    dataNodeIds: readonly NodeId[],
  ): Promise<WitnessStorage> {
    return new WitnessStorage(await LevelStorage.open(directory), witnessId, dataNodeIds);
  }

  /** The saved state, or null when nothing was ever saved. Throws on a damaged or foreign record. */
  async load(): Promise<WitnessState | null> {
    const loaded = await this.storage.load();
    if (loaded.entries.length > 0 || (loaded.snapshot !== null && loaded.snapshot.metadata.index !== 0)) {
      throw new Error(
        `the data directory ${this.storage.directory} holds a data node's log, not a witness's state; use an empty directory`,
      );
    }
    if (loaded.snapshot === null) {
      if (loaded.hardState !== null) throw new Error('the witness state has a term but no record');
      return null;
    }
    const hardState = loaded.hardState;
    if (hardState === null) throw new Error('the witness state has a record but no term');
    const record = decodeRecord(loaded.snapshot.data);
    for (const id of [...record.inSync, ...(hardState.votedFor === null ? [] : [hardState.votedFor])]) {
      if (!this.dataNodeIds.includes(id)) {
        throw new Error(
          `the witness state names "${id}", which is not a data node of this cluster (${this.dataNodeIds.join(', ')}); use an empty directory`,
        );
      }
    }
    return {
      term: hardState.term,
      votedFor: hardState.votedFor,
      inSync: record.inSync,
      acknowledgedIndex: record.acknowledgedIndex,
      recordTerm: record.recordTerm,
      recordConfigurationIndex: record.recordConfigurationIndex,
    };
  }

  /** Writes the whole state in one synced batch. */
  async save(state: WitnessState): Promise<void> {
    const copy = copyWitnessState(state);
    const record: StoredRecord = {
      format: RECORD_FORMAT,
      inSync: copy.inSync,
      acknowledgedIndex: copy.acknowledgedIndex,
      recordTerm: copy.recordTerm,
      recordConfigurationIndex: copy.recordConfigurationIndex,
    };
    await this.storage.persist({
      hardState: { term: copy.term, votedFor: copy.votedFor, commitIndex: 0 },
      snapshot: {
        metadata: {
          index: 0,
          term: 0,
          configuration: { voters: [...this.dataNodeIds, this.witnessId], inSync: [...copy.inSync] },
        },
        data: encoder.encode(JSON.stringify(record)),
      },
    });
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}

function decodeRecord(data: Uint8Array): StoredRecord {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  assert.ok(typeof parsed === 'object' && parsed !== null, 'the witness record is a JSON object');
  const record = parsed as Partial<StoredRecord>;
  if (record.format !== RECORD_FORMAT)
    throw new Error(`unknown witness record format ${String(record.format)}`);
  const count = (value: unknown, name: string): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw new Error(`the witness record's ${name} is not a count: ${String(value)}`);
    }
    return value;
  };
  if (
    !Array.isArray(record.inSync) ||
    record.inSync.length === 0 ||
    !record.inSync.every((id) => typeof id === 'string')
  ) {
    throw new Error('the witness record has no valid in-sync set');
  }
  return {
    format: RECORD_FORMAT,
    inSync: [...record.inSync],
    acknowledgedIndex: count(record.acknowledgedIndex, 'acknowledgedIndex'),
    recordTerm: count(record.recordTerm, 'recordTerm'),
    recordConfigurationIndex: count(record.recordConfigurationIndex, 'recordConfigurationIndex'),
  };
}
