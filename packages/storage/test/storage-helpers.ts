import type { Entry, EntryKind, HardState, Snapshot } from '@tandem/consensus';

const textEncoder = new TextEncoder();

export function makeEntry(index: number, term: number, kind: EntryKind = 'normal'): Entry {
  return { index, term, kind, data: textEncoder.encode(`entry ${index} of term ${term}`) };
}

/** Entries [fromIndex, toIndexInclusive], all of one term. */
export function makeEntries(fromIndex: number, toIndexInclusive: number, term: number): Entry[] {
  const entries: Entry[] = [];
  for (let index = fromIndex; index <= toIndexInclusive; index++) {
    entries.push(makeEntry(index, term));
  }
  return entries;
}

/** Deterministic bytes that differ at every position of interest (xorshift32). */
export function pseudoRandomBytes(seed: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let state = seed >>> 0 || 1;
  for (let offset = 0; offset < length; offset++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[offset] = state & 0xff;
  }
  return bytes;
}

export function makeSnapshot(index: number, term: number, dataBytes = 64): Snapshot {
  return {
    metadata: {
      index,
      term,
      configuration: { voters: ['node-a', 'node-b', 'node-c'], inSync: ['node-a', 'node-b'] },
    },
    data: pseudoRandomBytes(index * 7919 + term, dataBytes),
  };
}

export function hardState(term: number, votedFor: string | null, commitIndex: number): HardState {
  return { term, votedFor, commitIndex };
}

/** Byte-wise equality; chai's deep equality is slow on multi-MiB arrays. */
export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  return Buffer.from(left.buffer, left.byteOffset, left.byteLength).equals(
    Buffer.from(right.buffer, right.byteOffset, right.byteLength),
  );
}

/** The error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}
