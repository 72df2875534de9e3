// The rules of the storage contract, in one place, so that LevelStorage and MemoryStorage cannot
// drift apart: a write is first planned against the current state (every check happens here,
// before anything is written) and the resulting plan is then carried out in one atomic batch.

import assert from 'node:assert/strict';
import type {
  Configuration,
  Entry,
  EntryKind,
  HardState,
  Snapshot,
  SnapshotMetadata,
} from '@tandem/consensus';

/** A non-empty, inclusive range of stored log indices. */
export interface LogRange {
  readonly first: number;
  readonly last: number;
}

/**
 * What storage keeps in memory about what it holds. Invariant: when entries are stored, they
 * reach from at most snapshotIndex + 1 to at least snapshotIndex, so the log after the snapshot
 * has no gap.
 */
export interface StorageState {
  readonly hardState: HardState | null;
  readonly snapshot: SnapshotMetadata | null;
  readonly stored: LogRange | null;
}

export const EMPTY_STORAGE_STATE: StorageState = { hardState: null, snapshot: null, stored: null };

/** The most entries one write may carry; a bigger batch must be split by the caller. */
export const DEFAULT_MAX_ENTRIES_PER_WRITE = 65_536;

const ENTRY_KINDS: ReadonlySet<EntryKind> = new Set<EntryKind>(['normal', 'noop', 'configuration']);

export function snapshotIndexOf(state: StorageState): number {
  return state.snapshot === null ? 0 : state.snapshot.index;
}

export function firstIndexOf(state: StorageState): number {
  return state.stored === null ? snapshotIndexOf(state) + 1 : state.stored.first;
}

export function lastIndexOf(state: StorageState): number {
  return state.stored === null ? snapshotIndexOf(state) : state.stored.last;
}

export function rangeIncludes(range: LogRange | null, index: number): boolean {
  return range !== null && range.first <= index && index <= range.last;
}

export function assertReadRange(state: StorageState, fromIndex: number, toIndexExclusive: number): void {
  assert(Number.isSafeInteger(fromIndex), `read: fromIndex ${fromIndex} is not an integer`);
  assert(
    Number.isSafeInteger(toIndexExclusive),
    `read: toIndexExclusive ${toIndexExclusive} is not an integer`,
  );
  const firstIndex = firstIndexOf(state);
  const lastIndex = lastIndexOf(state);
  assert(
    firstIndex <= fromIndex && fromIndex <= toIndexExclusive && toIndexExclusive <= lastIndex + 1,
    `read [${fromIndex}, ${toIndexExclusive}) is outside the log [${firstIndex}, ${lastIndex + 1})`,
  );
}

/**
 * The index whose stored entry's term planWrite needs for a snapshot at snapshotIndex, or null
 * when it needs none (the caller reads that one entry before planning).
 */
export function storedTermNeededFor(state: StorageState, snapshotIndex: number): number | null {
  if (snapshotIndex === 0 || snapshotIndex === snapshotIndexOf(state)) {
    return null;
  }
  return rangeIncludes(state.stored, snapshotIndex) ? snapshotIndex : null;
}

/** One write, as the public methods describe it. Parts are applied in the order listed. */
export interface WriteRequest {
  /**
   * Applied before everything else: every entry and the snapshot are removed, and the hard
   * state's commit index may go back (to 0). Only for a pair-mode backup whose solo entries the
   * main merged (see @tandem/consensus merge.ts); term and vote still never go back.
   */
  readonly discardHistory?: boolean;
  readonly snapshot?: Snapshot | null;
  /** For a snapshot the node took of its own log: the log must hold its last entry. */
  readonly requireSnapshotMatch?: boolean;
  readonly compactThrough?: number;
  readonly truncateFrom?: number;
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState | null;
}

/**
 * What to write, in this order: remove the entries of each deletion range, put the entries,
 * then the snapshot and the hard state. next is the state once the batch is applied.
 */
export interface WritePlan {
  readonly deletions: readonly LogRange[];
  readonly entries: readonly Entry[];
  readonly snapshot: Snapshot | null;
  readonly hardState: HardState | null;
  /** The stored snapshot is removed (discardHistory). */
  readonly snapshotRemoved: boolean;
  readonly next: StorageState;
}

/**
 * Checks a write against the contract and plans it. Throws an AssertionError, before anything
 * is written, when the write breaks the contract. storedTermAtSnapshotIndex is the term of the
 * stored entry at storedTermNeededFor(state, request.snapshot.metadata.index), when that is
 * not null.
 */
export function planWrite(
  state: StorageState,
  request: WriteRequest,
  storedTermAtSnapshotIndex: number | null,
  maxEntriesPerWrite: number,
): WritePlan {
  const discarding = request.discardHistory === true;
  // Entries committed before this write must survive it unless a snapshot covers them (or the
  // write discards the whole history on purpose).
  const committedIndex = state.hardState === null || discarding ? 0 : state.hardState.commitIndex;
  let snapshotMetadata = discarding ? null : state.snapshot;
  let stored = state.stored;
  const deletions: LogRange[] = [];
  if (discarding && stored !== null) {
    deletions.push({ first: stored.first, last: stored.last });
    stored = null;
  }

  const removePrefixThrough = (throughIndex: number): void => {
    if (stored === null || stored.first > throughIndex) {
      return;
    }
    const last = Math.min(throughIndex, stored.last);
    deletions.push({ first: stored.first, last });
    stored = last === stored.last ? null : { first: last + 1, last: stored.last };
  };

  const removeSuffixFrom = (fromIndex: number): void => {
    if (stored === null || fromIndex > stored.last) {
      return;
    }
    const first = Math.max(fromIndex, stored.first);
    const firstUncovered = Math.max(first, (snapshotMetadata === null ? 0 : snapshotMetadata.index) + 1);
    assert(
      firstUncovered > stored.last || firstUncovered > committedIndex,
      `removing entries from index ${first} would remove committed entry ${firstUncovered} ` +
        `(commit index ${committedIndex})`,
    );
    deletions.push({ first, last: stored.last });
    stored = first === stored.first ? null : { first: stored.first, last: first - 1 };
  };

  let snapshot: Snapshot | null = null;
  if (request.snapshot !== undefined && request.snapshot !== null) {
    snapshot = copySnapshot(request.snapshot);
    const { index, term } = snapshot.metadata;
    const previousIndex = snapshotMetadata === null ? 0 : snapshotMetadata.index;
    assert(index >= previousIndex, `snapshot index ${index} is below the kept snapshot's ${previousIndex}`);
    let termAtIndex: number | null;
    if (index === 0) {
      termAtIndex = 0;
    } else if (!discarding && state.snapshot !== null && state.snapshot.index === index) {
      termAtIndex = state.snapshot.term;
      assert.equal(
        term,
        termAtIndex,
        `snapshot at index ${index} has term ${term}, the kept one ${termAtIndex}`,
      );
    } else if (rangeIncludes(stored, index)) {
      assert(storedTermAtSnapshotIndex !== null, `the stored term at index ${index} was not supplied`);
      termAtIndex = storedTermAtSnapshotIndex;
    } else {
      termAtIndex = null;
    }
    const logHoldsSnapshotEntry = termAtIndex === term;
    if (request.requireSnapshotMatch === true) {
      assert(
        logHoldsSnapshotEntry,
        `snapshot (index ${index}, term ${term}) does not describe this log (term there: ${termAtIndex})`,
      );
    }
    snapshotMetadata = snapshot.metadata;
    if (!logHoldsSnapshotEntry && stored !== null) {
      removeSuffixFrom(stored.first);
    }
  }

  if (request.compactThrough !== undefined) {
    const throughIndex = request.compactThrough;
    const snapshotIndex = snapshotMetadata === null ? 0 : snapshotMetadata.index;
    assert(Number.isSafeInteger(throughIndex) && throughIndex >= 0, `compact through ${throughIndex}`);
    assert(
      throughIndex <= snapshotIndex,
      `compacting through ${throughIndex} would remove entries the snapshot (index ${snapshotIndex}) does not cover`,
    );
    removePrefixThrough(throughIndex);
  }

  if (request.truncateFrom !== undefined) {
    const fromIndex = request.truncateFrom;
    const snapshotIndex = snapshotMetadata === null ? 0 : snapshotMetadata.index;
    const lastIndex = stored === null ? snapshotIndex : stored.last;
    assert(Number.isSafeInteger(fromIndex), `truncate from ${fromIndex}`);
    assert(
      snapshotIndex < fromIndex && fromIndex <= lastIndex + 1,
      `truncate from ${fromIndex} is outside (${snapshotIndex}, ${lastIndex + 1}]`,
    );
    removeSuffixFrom(fromIndex);
  }

  const entries = request.entries ?? [];
  if (entries.length > 0) {
    assert(
      entries.length <= maxEntriesPerWrite,
      `${entries.length} entries exceed the limit of ${maxEntriesPerWrite} per write`,
    );
    assertContiguousEntries(entries);
    const firstNew = (entries[0] as Entry).index;
    const lastNew = (entries[entries.length - 1] as Entry).index;
    const snapshotIndex = snapshotMetadata === null ? 0 : snapshotMetadata.index;
    const lastIndex = stored === null ? snapshotIndex : stored.last;
    assert(
      snapshotIndex < firstNew && firstNew <= lastIndex + 1,
      `appending at index ${firstNew} would leave a gap or overwrite the snapshot: ` +
        `it must lie in (${snapshotIndex}, ${lastIndex + 1}]`,
    );
    // The entries being overwritten are replaced by the puts; only those after the batch go.
    removeSuffixFrom(lastNew + 1);
    stored = { first: stored === null ? firstNew : stored.first, last: lastNew };
  }

  let hardState: HardState | null = null;
  if (request.hardState !== undefined && request.hardState !== null) {
    hardState = copyHardState(request.hardState);
    assertHardStateFollows(state.hardState, hardState, discarding);
  }

  const next: StorageState = {
    hardState: hardState ?? state.hardState,
    snapshot: snapshotMetadata,
    stored,
  };
  assertStateInvariant(next);
  if (next.hardState !== null) {
    assert(
      next.hardState.commitIndex <= lastIndexOf(next),
      `commit index ${next.hardState.commitIndex} is beyond the last index ${lastIndexOf(next)}`,
    );
  }
  return {
    deletions,
    entries,
    snapshot,
    hardState,
    snapshotRemoved: discarding && state.snapshot !== null,
    next,
  };
}

export function assertStateInvariant(state: StorageState): void {
  if (state.stored === null) {
    return;
  }
  const snapshotIndex = snapshotIndexOf(state);
  assert(state.stored.first <= state.stored.last, 'stored range is empty');
  assert(
    state.stored.first <= snapshotIndex + 1 && state.stored.last >= snapshotIndex,
    `stored entries [${state.stored.first}, ${state.stored.last}] leave a gap after snapshot ${snapshotIndex}`,
  );
}

function assertContiguousEntries(entries: readonly Entry[]): void {
  let previous: Entry | null = null;
  for (const entry of entries) {
    assert(Number.isSafeInteger(entry.index) && entry.index >= 1, `entry index ${entry.index}`);
    assert(Number.isSafeInteger(entry.term) && entry.term >= 0, `entry ${entry.index}: term ${entry.term}`);
    assert(ENTRY_KINDS.has(entry.kind), `entry ${entry.index}: kind ${String(entry.kind)}`);
    assert(entry.data instanceof Uint8Array, `entry ${entry.index}: data is not a Uint8Array`);
    if (previous !== null) {
      assert.equal(entry.index, previous.index + 1, `entry ${entry.index} does not follow ${previous.index}`);
      assert(entry.term >= previous.term, `entry ${entry.index}: term ${entry.term} < ${previous.term}`);
    }
    previous = entry;
  }
}

function assertHardStateFollows(previous: HardState | null, next: HardState, discarding: boolean): void {
  assert(Number.isSafeInteger(next.term) && next.term >= 0, `hard state term ${next.term}`);
  assert(Number.isSafeInteger(next.commitIndex) && next.commitIndex >= 0, `commit index ${next.commitIndex}`);
  assert(
    next.votedFor === null || typeof next.votedFor === 'string',
    'votedFor is neither null nor a string',
  );
  if (previous === null) {
    return;
  }
  assert(next.term >= previous.term, `hard state term went back from ${previous.term} to ${next.term}`);
  if (next.term === previous.term && previous.votedFor !== null) {
    assert.equal(
      next.votedFor,
      previous.votedFor,
      `vote changed within term ${next.term} from ${previous.votedFor} to ${next.votedFor}`,
    );
  }
  assert(
    discarding || next.commitIndex >= previous.commitIndex,
    `commit index went back from ${previous.commitIndex} to ${next.commitIndex}`,
  );
}

export function copyHardState(state: HardState): HardState {
  return { term: state.term, votedFor: state.votedFor, commitIndex: state.commitIndex };
}

export function copySnapshotMetadata(metadata: SnapshotMetadata): SnapshotMetadata {
  const configuration: Configuration = {
    voters: [...metadata.configuration.voters],
    inSync: [...metadata.configuration.inSync],
  };
  const drained = metadata.configuration.drained ?? [];
  if (drained.length > 0) configuration.drained = [...drained];
  return { index: metadata.index, term: metadata.term, configuration };
}

function copySnapshot(snapshot: Snapshot): Snapshot {
  const { metadata, data } = snapshot;
  assert(Number.isSafeInteger(metadata.index) && metadata.index >= 0, `snapshot index ${metadata.index}`);
  assert(Number.isSafeInteger(metadata.term) && metadata.term >= 0, `snapshot term ${metadata.term}`);
  assert(metadata.index > 0 || metadata.term === 0, 'a snapshot at index 0 must have term 0');
  assert(data instanceof Uint8Array, 'snapshot data is not a Uint8Array');
  const { voters, inSync, drained } = metadata.configuration;
  for (const voter of [...voters, ...inSync, ...(drained ?? [])]) {
    assert(typeof voter === 'string', 'snapshot configuration holds a member that is not a string');
  }
  // The metadata is copied because storage keeps it; the data is not, because it may be large and
  // each implementation copies or encodes it anyway.
  return { metadata: copySnapshotMetadata(metadata), data };
}
