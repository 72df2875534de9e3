// The NodeStorage contract, run against every implementation (LevelStorage and MemoryStorage),
// so that the simulation's double behaves like the real thing.

import { AssertionError } from 'node:assert';
import type { Entry } from '@tandem/consensus';
import { expect } from 'chai';
import { StorageError } from '../src/errors.js';
import type { NodeStorage } from '../src/node-storage.js';
import {
  bytesEqual,
  hardState,
  makeEntries,
  makeEntry,
  makeSnapshot,
  pseudoRandomBytes,
  rejectionOf,
} from './storage-helpers.js';

export interface StorageHarness {
  /** A new, empty storage. */
  create(): Promise<NodeStorage>;
  /** Closes storage and opens what it left behind, as a restarted process would. */
  reopen(storage: NodeStorage): Promise<NodeStorage>;
  /** Releases everything create() and reopen() made. */
  cleanup(): Promise<void>;
}

async function expectAssertion(promise: Promise<unknown>, messagePart: string): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error).to.be.instanceOf(AssertionError);
  expect((error as Error).message).to.include(messagePart);
}

function termsOf(entries: Entry[]): Array<[number, number]> {
  return entries.map((entry) => [entry.index, entry.term]);
}

export function describeStorageContract(name: string, makeHarness: () => StorageHarness): void {
  describe(`${name} (NodeStorage contract)`, () => {
    let harness: StorageHarness;
    let storage: NodeStorage;

    beforeEach(async () => {
      harness = makeHarness();
      storage = await harness.create();
    });

    afterEach(async () => {
      await harness.cleanup();
    });

    describe('discarding the history (a backup after a merge)', () => {
      it('removes every entry and the snapshot in one write, keeps term and vote, and survives a restart', async () => {
        await storage.persist({ entries: makeEntries(1, 30, 2), hardState: hardState(2, 'backup', 30) });
        await storage.compact(makeSnapshot(20, 2, 3000));
        await storage.persist({ discardHistory: true, hardState: hardState(3, 'main', 0) });
        const expected = { hardState: hardState(3, 'main', 0), snapshot: null, entries: [] };
        expect(await storage.load()).to.deep.equal(expected);
        expect(storage.lastIndex()).to.equal(0);
        storage = await harness.reopen(storage);
        expect(await storage.load()).to.deep.equal(expected);
        // The node then catches up like a new one.
        await storage.persist({ entries: makeEntries(1, 3, 3), hardState: hardState(3, 'main', 3) });
        expect(termsOf((await storage.load()).entries)).to.deep.equal([
          [1, 3],
          [2, 3],
          [3, 3],
        ]);
      });

      it('still refuses a term that goes back', async () => {
        await storage.persist({ entries: makeEntries(1, 3, 2), hardState: hardState(2, 'backup', 3) });
        await expectAssertion(
          storage.persist({ discardHistory: true, hardState: hardState(1, null, 0) }),
          'term went back',
        );
      });

      it('without discardHistory, a commit index never goes back', async () => {
        await storage.persist({ entries: makeEntries(1, 3, 2), hardState: hardState(2, 'backup', 3) });
        await expectAssertion(
          storage.persist({ hardState: hardState(2, 'backup', 1) }),
          'commit index went back',
        );
      });
    });

    describe('log', () => {
      it('starts empty', async () => {
        expect(storage.firstIndex()).to.equal(1);
        expect(storage.lastIndex()).to.equal(0);
        expect(await storage.read(1, 1)).to.deep.equal([]);
        expect(await storage.load()).to.deep.equal({ hardState: null, snapshot: null, entries: [] });
      });

      it('appends and reads back entries of every kind, byte for byte', async () => {
        const entries = [
          makeEntry(1, 1, 'noop'),
          { index: 2, term: 1, kind: 'normal' as const, data: pseudoRandomBytes(2, 300) },
          { index: 3, term: 2, kind: 'configuration' as const, data: new Uint8Array(0) },
        ];
        await storage.append(entries);
        expect(storage.firstIndex()).to.equal(1);
        expect(storage.lastIndex()).to.equal(3);
        expect(await storage.read(1, 4)).to.deep.equal(entries);
        expect(await storage.read(2, 3)).to.deep.equal([entries[1]]);
        expect(await storage.read(3, 3)).to.deep.equal([]);
      });

      it('continues across appends and keeps writes in call order when not awaited', async () => {
        const first = storage.append(makeEntries(1, 3, 1));
        const second = storage.append(makeEntries(4, 6, 1));
        const third = storage.append(makeEntries(7, 7, 2));
        const read = storage.read(1, 8);
        await Promise.all([first, second, third]);
        expect(await read).to.deep.equal([...makeEntries(1, 6, 1), makeEntry(7, 2)]);
        expect(storage.lastIndex()).to.equal(7);
      });

      it('refuses a gap, a non-contiguous batch and a falling term, writing nothing', async () => {
        await storage.append(makeEntries(1, 3, 2));
        await expectAssertion(storage.append(makeEntries(5, 6, 2)), 'gap');
        await expectAssertion(storage.append([makeEntry(4, 2), makeEntry(6, 2)]), 'does not follow');
        await expectAssertion(storage.append([makeEntry(4, 3), makeEntry(5, 2)]), 'term');
        expect(storage.lastIndex()).to.equal(3);
        expect(await storage.read(1, 4)).to.deep.equal(makeEntries(1, 3, 2));
      });

      it('treats an empty append as a no-op', async () => {
        await storage.append(makeEntries(1, 2, 1));
        await storage.append([]);
        expect(storage.lastIndex()).to.equal(2);
      });

      it('replaces the stored suffix from the first new index', async () => {
        await storage.append(makeEntries(1, 10, 1));
        await storage.append(makeEntries(6, 7, 2));
        expect(storage.lastIndex()).to.equal(7);
        expect(termsOf(await storage.read(1, 8))).to.deep.equal([
          [1, 1],
          [2, 1],
          [3, 1],
          [4, 1],
          [5, 1],
          [6, 2],
          [7, 2],
        ]);
        // The replaced entries are gone from disk too, not only from the cached bounds.
        storage = await harness.reopen(storage);
        expect(storage.lastIndex()).to.equal(7);
        // A replacement that reaches past the old end extends the log.
        await storage.append(makeEntries(7, 12, 3));
        expect(storage.lastIndex()).to.equal(12);
        expect(await storage.read(6, 13)).to.deep.equal([makeEntry(6, 2), ...makeEntries(7, 12, 3)]);
      });

      it('never removes a committed entry when replacing a suffix', async () => {
        await storage.append(makeEntries(1, 10, 1));
        await storage.saveHardState(hardState(1, 'node-a', 8));
        await expectAssertion(storage.append(makeEntries(6, 7, 2)), 'committed');
        expect(storage.lastIndex()).to.equal(10);
        // Replacing only what lies after the commit index is fine.
        await storage.append(makeEntries(9, 9, 2));
        expect(storage.lastIndex()).to.equal(9);
      });

      it('truncates a suffix, but never a committed entry', async () => {
        await storage.append(makeEntries(1, 10, 1));
        await storage.truncateSuffix(11);
        expect(storage.lastIndex()).to.equal(10);
        await storage.truncateSuffix(7);
        expect(storage.lastIndex()).to.equal(6);
        expect(await storage.read(1, 7)).to.deep.equal(makeEntries(1, 6, 1));
        await expectAssertion(storage.read(1, 8), 'outside the log');
        await storage.saveHardState(hardState(1, null, 5));
        await expectAssertion(storage.truncateSuffix(5), 'committed');
        await expectAssertion(storage.truncateSuffix(9), 'outside');
        await storage.truncateSuffix(6);
        expect(storage.lastIndex()).to.equal(5);
        storage = await harness.reopen(storage);
        expect(storage.lastIndex()).to.equal(5);
        expect((await storage.load()).entries).to.deep.equal(makeEntries(1, 5, 1));
      });

      it('refuses reads outside [firstIndex, lastIndex + 1)', async () => {
        await storage.append(makeEntries(1, 5, 1));
        await expectAssertion(storage.read(0, 2), 'outside the log');
        await expectAssertion(storage.read(3, 7), 'outside the log');
        await expectAssertion(storage.read(4, 3), 'outside the log');
      });

      it('keeps its own copy of entry data', async () => {
        const entry = makeEntry(1, 1);
        const original = new Uint8Array(entry.data);
        await storage.append([entry]);
        entry.data.fill(0);
        const [read] = await storage.read(1, 2);
        expect(bytesEqual((read as Entry).data, original)).to.equal(true);
        (read as Entry).data.fill(1);
        const [readAgain] = await storage.read(1, 2);
        expect(bytesEqual((readAgain as Entry).data, original)).to.equal(true);
      });
    });

    describe('compaction', () => {
      it('compacts a prefix only under a saved snapshot', async () => {
        await storage.append(makeEntries(1, 10, 1));
        await expectAssertion(storage.compactPrefix(5), 'does not cover');
        await storage.saveSnapshot(makeSnapshot(5, 1));
        // Saving a snapshot that the log agrees with keeps the log.
        expect(storage.firstIndex()).to.equal(1);
        await storage.compactPrefix(3);
        expect(storage.firstIndex()).to.equal(4);
        await expectAssertion(storage.compactPrefix(6), 'does not cover');
        await storage.compactPrefix(5);
        expect(storage.firstIndex()).to.equal(6);
        expect(storage.lastIndex()).to.equal(10);
        storage = await harness.reopen(storage);
        expect(storage.firstIndex()).to.equal(6);
        expect(await storage.read(6, 11)).to.deep.equal(makeEntries(6, 10, 1));
        await expectAssertion(storage.read(5, 6), 'outside the log');
        const loaded = await storage.load();
        expect(loaded.snapshot?.metadata.index).to.equal(5);
        expect(loaded.entries).to.deep.equal(makeEntries(6, 10, 1));
      });

      it('compact() saves the snapshot and removes what it covers in one call', async () => {
        await storage.append(makeEntries(1, 10, 1));
        const snapshot = makeSnapshot(7, 1, 1000);
        await storage.compact(snapshot);
        expect(storage.firstIndex()).to.equal(8);
        expect(storage.lastIndex()).to.equal(10);
        const loaded = await storage.load();
        expect(loaded.entries).to.deep.equal(makeEntries(8, 10, 1));
        expect(loaded.snapshot?.metadata).to.deep.equal(snapshot.metadata);
        expect(bytesEqual((loaded.snapshot as { data: Uint8Array }).data, snapshot.data)).to.equal(true);
      });

      it('compact() refuses a snapshot that does not describe the log', async () => {
        await storage.append(makeEntries(1, 10, 1));
        await expectAssertion(storage.compact(makeSnapshot(7, 2)), 'does not describe this log');
        await expectAssertion(storage.compact(makeSnapshot(11, 1)), 'does not describe this log');
        expect(await storage.loadSnapshot()).to.equal(null);
        expect(storage.firstIndex()).to.equal(1);
      });

      it('after compacting everything, the log is empty and continues after the snapshot', async () => {
        await storage.append(makeEntries(1, 10, 1));
        await storage.compact(makeSnapshot(10, 1));
        expect(storage.firstIndex()).to.equal(11);
        expect(storage.lastIndex()).to.equal(10);
        expect(await storage.read(11, 11)).to.deep.equal([]);
        await expectAssertion(storage.append(makeEntries(10, 10, 2)), 'snapshot');
        await expectAssertion(storage.append(makeEntries(12, 12, 2)), 'gap');
        await storage.append(makeEntries(11, 12, 2));
        expect(storage.lastIndex()).to.equal(12);
        expect((await storage.load()).entries).to.deep.equal(makeEntries(11, 12, 2));
      });
    });

    describe('hard state', () => {
      it('round-trips, including a null vote and a non-ASCII node id', async () => {
        expect(await storage.loadHardState()).to.equal(null);
        await storage.append(makeEntries(1, 4, 1));
        await storage.saveHardState(hardState(1, null, 0));
        expect(await storage.loadHardState()).to.deep.equal(hardState(1, null, 0));
        await storage.saveHardState(hardState(1, 'nœud-ü', 3));
        expect(await storage.loadHardState()).to.deep.equal(hardState(1, 'nœud-ü', 3));
        await storage.saveHardState(hardState(2 ** 40, null, 4));
        expect(await storage.loadHardState()).to.deep.equal(hardState(2 ** 40, null, 4));
      });

      it('refuses what a correct node never writes', async () => {
        await storage.append(makeEntries(1, 10, 3));
        await storage.saveHardState(hardState(3, 'node-a', 5));
        await expectAssertion(storage.saveHardState(hardState(2, 'node-a', 5)), 'term went back');
        await expectAssertion(storage.saveHardState(hardState(3, 'node-b', 5)), 'vote changed');
        await expectAssertion(storage.saveHardState(hardState(3, 'node-a', 4)), 'commit index went back');
        await expectAssertion(storage.saveHardState(hardState(3, 'node-a', 11)), 'beyond the last index');
        expect(await storage.loadHardState()).to.deep.equal(hardState(3, 'node-a', 5));
        // A new term may carry a new vote.
        await storage.saveHardState(hardState(4, 'node-b', 5));
        expect(await storage.loadHardState()).to.deep.equal(hardState(4, 'node-b', 5));
      });
    });

    describe('snapshot', () => {
      it('round-trips metadata and data, and keeps only the latest', async () => {
        expect(await storage.loadSnapshot()).to.equal(null);
        const first = makeSnapshot(4, 2, 10);
        await storage.saveSnapshot(first);
        expect(await storage.loadSnapshot()).to.deep.equal(first);
        const second = makeSnapshot(9, 3, 0);
        await storage.saveSnapshot(second);
        expect(await storage.loadSnapshot()).to.deep.equal(second);
        await expectAssertion(storage.saveSnapshot(makeSnapshot(8, 3)), 'below');
        await expectAssertion(storage.saveSnapshot(makeSnapshot(9, 4)), 'term');
      });

      it('round-trips a multi-MiB snapshot exactly', async () => {
        const large = makeSnapshot(100, 5, 3.5 * 1024 * 1024 + 17);
        await storage.saveSnapshot(large);
        const loaded = await storage.loadSnapshot();
        expect(loaded?.metadata).to.deep.equal(large.metadata);
        expect(loaded?.data.byteLength).to.equal(large.data.byteLength);
        expect(bytesEqual((loaded as { data: Uint8Array }).data, large.data)).to.equal(true);
        // A smaller snapshot replaces it completely.
        const small = makeSnapshot(120, 5, 1000);
        await storage.saveSnapshot(small);
        expect(await storage.loadSnapshot()).to.deep.equal(small);
      });

      it('stands for the empty prefix at index 0', async () => {
        await storage.append(makeEntries(1, 3, 1));
        await storage.saveSnapshot(makeSnapshot(0, 0));
        expect(storage.firstIndex()).to.equal(1);
        expect((await storage.load()).entries).to.deep.equal(makeEntries(1, 3, 1));
      });

      it('removes a log that disagrees with or falls short of a saved snapshot', async () => {
        await storage.append(makeEntries(1, 5, 1));
        await storage.saveSnapshot(makeSnapshot(3, 2));
        expect(storage.firstIndex()).to.equal(4);
        expect(storage.lastIndex()).to.equal(3);
        await storage.append(makeEntries(4, 6, 2));
        await storage.saveSnapshot(makeSnapshot(20, 2));
        expect(storage.firstIndex()).to.equal(21);
        expect(storage.lastIndex()).to.equal(20);
        expect((await storage.load()).entries).to.deep.equal([]);
      });
    });

    describe('persist', () => {
      it('writes hard state, entries and a received snapshot together', async () => {
        await storage.append(makeEntries(1, 10, 1));
        const snapshot = makeSnapshot(6, 1, 2048);
        await storage.persist({
          snapshot,
          entries: [makeEntry(9, 2), makeEntry(10, 2), makeEntry(11, 2)],
          hardState: hardState(2, 'node-b', 8),
        });
        expect(storage.firstIndex()).to.equal(7);
        expect(storage.lastIndex()).to.equal(11);
        const loaded = await storage.load();
        expect(loaded.hardState).to.deep.equal(hardState(2, 'node-b', 8));
        expect(loaded.snapshot).to.deep.equal(snapshot);
        expect(loaded.entries).to.deep.equal([makeEntry(7, 1), makeEntry(8, 1), ...makeEntries(9, 11, 2)]);
      });

      it('drops the whole log for a received snapshot it disagrees with', async () => {
        await storage.append(makeEntries(1, 10, 1));
        await storage.persist({ hardState: hardState(1, null, 2) });
        await storage.persist({
          snapshot: makeSnapshot(6, 2),
          entries: makeEntries(7, 8, 2),
          hardState: hardState(2, null, 6),
        });
        expect(storage.firstIndex()).to.equal(7);
        expect(storage.lastIndex()).to.equal(8);
        expect((await storage.load()).entries).to.deep.equal(makeEntries(7, 8, 2));
      });

      it('is atomic: when one part is wrong, nothing is written', async () => {
        await storage.append(makeEntries(1, 5, 1));
        await storage.saveHardState(hardState(1, null, 1));
        const before = await storage.load();
        await expectAssertion(
          storage.persist({
            hardState: hardState(2, 'node-c', 3),
            snapshot: makeSnapshot(3, 1),
            entries: makeEntries(8, 9, 2),
          }),
          'gap',
        );
        await expectAssertion(
          storage.persist({ hardState: hardState(1, null, 0), entries: makeEntries(6, 7, 1) }),
          'commit index went back',
        );
        expect(await storage.load()).to.deep.equal(before);
        expect(storage.firstIndex()).to.equal(1);
        expect(storage.lastIndex()).to.equal(5);
      });

      it('replaces a suffix and checks the hard state against the resulting log', async () => {
        await storage.append(makeEntries(1, 6, 1));
        await storage.persist({ entries: makeEntries(4, 4, 2), hardState: hardState(2, 'node-a', 4) });
        expect(storage.lastIndex()).to.equal(4);
        await expectAssertion(
          storage.persist({ hardState: hardState(2, 'node-a', 5) }),
          'beyond the last index',
        );
        await storage.persist({ entries: makeEntries(5, 5, 2), hardState: hardState(2, 'node-a', 5) });
        expect((await storage.load()).entries).to.deep.equal([
          ...makeEntries(1, 3, 1),
          ...makeEntries(4, 5, 2),
        ]);
      });

      it('accepts an empty update', async () => {
        await storage.persist({});
        await storage.persist({ hardState: null, snapshot: null, entries: [] });
        expect(await storage.load()).to.deep.equal({ hardState: null, snapshot: null, entries: [] });
      });
    });

    describe('restart', () => {
      it('keeps everything across close and reopen', async () => {
        await storage.persist({ entries: makeEntries(1, 20, 1), hardState: hardState(1, 'node-a', 10) });
        await storage.compact(makeSnapshot(8, 1, 100_000));
        await storage.persist({ entries: makeEntries(18, 25, 2), hardState: hardState(2, 'node-b', 12) });
        const before = await storage.load();
        storage = await harness.reopen(storage);
        expect(storage.firstIndex()).to.equal(9);
        expect(storage.lastIndex()).to.equal(25);
        expect(await storage.loadHardState()).to.deep.equal(hardState(2, 'node-b', 12));
        const after = await storage.load();
        expect(after).to.deep.equal(before);
        expect(after.entries).to.have.length(17);
        // The reopened storage enforces the same invariants.
        await expectAssertion(storage.truncateSuffix(12), 'committed');
        await storage.append(makeEntries(26, 26, 2));
        expect(storage.lastIndex()).to.equal(26);
      });

      it('rejects every call after close', async () => {
        await storage.append(makeEntries(1, 2, 1));
        await storage.close();
        for (const call of [
          () => storage.read(1, 2),
          () => storage.append(makeEntries(3, 3, 1)),
          () => storage.load(),
          () => storage.loadHardState(),
        ]) {
          const error = await rejectionOf(call());
          expect(error).to.be.instanceOf(StorageError);
          expect((error as StorageError).code).to.equal('closed');
        }
        expect(() => storage.lastIndex()).to.throw(StorageError);
      });
    });
  });
}
