import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { ClassicLevel } from 'classic-level';
import { CorruptRecordError, StorageDirectoryError, StorageError } from '../src/errors.js';
import { AREA_OPERATIONS_PER_TURN, LevelStorage } from '../src/level-storage.js';
import type { NodeStorage } from '../src/node-storage.js';
import { encodeLogKey, HARD_STATE_KEY } from '../src/record-encoding.js';
import type { StorageWrite } from '../src/storage-observer.js';
import { CRASH_TEST_BATCH_ENTRIES, crashTestEntry } from './fixtures/crash-test-entries.js';
import { describeStorageContract, type StorageHarness } from './storage-contract.js';
import { bytesEqual, hardState, makeEntries, makeSnapshot, rejectionOf } from './storage-helpers.js';

const testDirectory = dirname(fileURLToPath(import.meta.url));
const packageDirectory = dirname(testDirectory);

async function makeTemporaryDirectory(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'tandem-storage-'));
}

class LevelHarness implements StorageHarness {
  private readonly directories: string[] = [];
  private readonly handles: LevelStorage[] = [];

  async create(): Promise<NodeStorage> {
    const directory = await makeTemporaryDirectory();
    this.directories.push(directory);
    return this.open(directory);
  }

  async reopen(storage: NodeStorage): Promise<NodeStorage> {
    const level = storage as LevelStorage;
    await level.close();
    return this.open(level.directory);
  }

  async cleanup(): Promise<void> {
    for (const handle of this.handles) {
      await handle.close();
    }
    for (const directory of this.directories) {
      await rm(directory, { recursive: true, force: true });
    }
  }

  private async open(directory: string): Promise<LevelStorage> {
    const storage = await LevelStorage.open(directory);
    this.handles.push(storage);
    return storage;
  }
}

describeStorageContract('LevelStorage', () => new LevelHarness());

/** Runs change on the raw LevelDB database in directory, while no LevelStorage has it open. */
async function withRawDatabase(
  directory: string,
  change: (database: ClassicLevel<Uint8Array, Uint8Array>) => Promise<void>,
): Promise<void> {
  const database = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await database.open();
  try {
    await change(database);
  } finally {
    await database.close();
  }
}

async function flipOneByte(database: ClassicLevel<Uint8Array, Uint8Array>, key: Uint8Array): Promise<void> {
  const value = await database.get(key);
  expect(value, 'the record to corrupt exists').to.not.equal(undefined);
  const corrupted = new Uint8Array(value as Uint8Array);
  const offset = corrupted.byteLength - 1;
  corrupted[offset] = (corrupted[offset] as number) ^ 0x40;
  await database.put(key, corrupted);
}

describe('LevelStorage', () => {
  let directory: string;
  const opened: LevelStorage[] = [];

  async function open(): Promise<LevelStorage> {
    const storage = await LevelStorage.open(directory, { snapshotChunkBytes: 1024 * 1024 });
    opened.push(storage);
    return storage;
  }

  beforeEach(async () => {
    directory = await makeTemporaryDirectory();
  });

  afterEach(async () => {
    for (const storage of opened.splice(0)) {
      await storage.close();
    }
    await rm(directory, { recursive: true, force: true });
  });

  describe('an area batch larger than one turn takes', () => {
    const keys = (count: number, from = 0) =>
      Array.from({ length: count }, (_, position) => `k!${String(from + position).padStart(6, '0')}`);
    async function areaKeys(storage: LevelStorage): Promise<string[]> {
      const found: string[] = [];
      for await (const [key] of storage.area('reports').entries({ gte: '', lt: '\uffff' })) found.push(key);
      return found;
    }

    it('writes every operation of a batch built over several turns, puts and deletions in order', async () => {
      const count = 2 * AREA_OPERATIONS_PER_TURN + 7;
      const storage = await open();
      const area = storage.area('reports');
      await area.batch(keys(count).map((key) => ({ type: 'put', key, value: `v${key}` })));
      expect(await areaKeys(storage)).to.deep.equal(keys(count));
      // Delete the first half, put a new tail, and put then delete one key within the same batch.
      const half = Math.floor(count / 2);
      await area.batch([
        ...keys(half).map((key) => ({ type: 'del' as const, key })),
        ...keys(half, count).map((key) => ({ type: 'put' as const, key, value: 'tail' })),
        { type: 'put', key: 'x!gone', value: 'soon' },
        { type: 'del', key: 'x!gone' },
      ]);
      expect(await areaKeys(storage)).to.deep.equal([...keys(count - half, half), ...keys(half, count)]);
      expect(await area.get(keys(1, count)[0] as string)).to.equal('tail');
    });

    it('writes a batch called before close() whole, although close() comes while it is built', async () => {
      const storage = await open();
      const count = 3 * AREA_OPERATIONS_PER_TURN;
      const batch = storage
        .area('reports')
        .batch(keys(count).map((key) => ({ type: 'put', key, value: 'v' })));
      await storage.close();
      await batch;
      const reopened = await open();
      expect(await areaKeys(reopened)).to.deep.equal(keys(count));
    });
  });

  describe('compaction deletes the log under the snapshot in steps of its own', () => {
    /** Log keys on disk, read with LevelDB directly once the storage is closed. */
    async function logKeysOnDisk(): Promise<number[]> {
      const database = new ClassicLevel<Uint8Array, Uint8Array>(directory, {
        keyEncoding: 'view',
        valueEncoding: 'view',
      });
      await database.open();
      const keys = await database
        .keys({ gte: encodeLogKey(0), lt: encodeLogKey(Number.MAX_SAFE_INTEGER) })
        .all();
      await database.close();
      return keys.map((key) => Number(Buffer.from(key).readBigUInt64BE(1)));
    }

    it('answers at once as compacted, and deletes the entries in later writes', async () => {
      const storage = await open();
      for (let first = 1; first <= 10_000; first += 2000)
        await storage.append(makeEntries(first, first + 1999, 1));
      await storage.compact(makeSnapshot(9000, 1, 3000));
      expect(storage.firstIndex()).to.equal(9001);
      expect((await storage.load()).entries).to.deep.equal(makeEntries(9001, 10_000, 1));
      // Three steps of LOG_DELETIONS_PER_WRITE (4096) each go behind one of these writes at most.
      for (let index = 10_001; index <= 10_006; index++) await storage.append(makeEntries(index, index, 1));
      await storage.close();
      const keys = await logKeysOnDisk();
      expect(keys[0]).to.equal(9001);
      expect(keys).to.have.length(1006);
    });

    it('after a crash before the deletions, the node opens with the snapshot and the log after it', async () => {
      const storage = await open();
      await storage.append(makeEntries(1, 9000, 1));
      await storage.compact(makeSnapshot(8000, 1, 3000));
      // Closed at once: no deletion step ran (close stops them), as if the process died here.
      await storage.close();
      expect((await logKeysOnDisk())[0]).to.be.below(8000);
      const reopened = await open();
      const loaded = await reopened.load();
      expect(loaded.snapshot?.metadata.index).to.equal(8000);
      expect(loaded.entries).to.deep.equal(makeEntries(8001, 9000, 1));
      // The next compaction deletes what the first one left behind too.
      await reopened.append(makeEntries(9001, 9100, 1));
      await reopened.compact(makeSnapshot(9050, 1, 3000));
      for (let index = 9101; index <= 9106; index++) await reopened.append(makeEntries(index, index, 1));
      await reopened.close();
      expect((await logKeysOnDisk())[0]).to.equal(9051);
    });

    it('a discarded history takes the trailing entries with it', async () => {
      const storage = await open();
      await storage.append(makeEntries(1, 9000, 1));
      await storage.compact(makeSnapshot(8999, 1, 3000));
      await storage.persist({
        discardHistory: true,
        entries: makeEntries(1, 5, 2),
        hardState: hardState(2, null, 0),
      });
      await storage.close();
      expect(await logKeysOnDisk()).to.deep.equal([1, 2, 3, 4, 5]);
      const reopened = await open();
      expect((await reopened.load()).entries).to.deep.equal(makeEntries(1, 5, 2));
    });
  });

  describe('observer', () => {
    it('is told each durable write: its entries, bytes, duration and snapshot size', async () => {
      const writes: StorageWrite[] = [];
      const storage = await LevelStorage.open(directory, {
        observer: { onWrite: (write) => writes.push(write) },
      });
      opened.push(storage);
      await storage.persist({ entries: makeEntries(1, 3, 1), hardState: hardState(1, null, 0) });
      await storage.compact(makeSnapshot(2, 1, 5000));
      // A write with nothing to store reaches no disk and is not reported.
      await storage.persist({});
      expect(writes).to.have.length(2);
      const [append, compaction] = writes as [StorageWrite, StorageWrite];
      expect(append.entries).to.equal(3);
      expect(append.snapshotBytes).to.equal(null);
      // Three entry records and the hard state: more than the entries' own data.
      expect(append.bytes).to.be.greaterThan(3 * 'entry 1 of term 1'.length);
      expect(append.durationMs).to.be.at.least(0);
      expect(compaction.entries).to.equal(0);
      expect(compaction.snapshotBytes).to.equal(5000);
      expect(compaction.bytes).to.be.greaterThan(5000);
    });

    it('is not told of a write that failed its contract', async () => {
      const writes: StorageWrite[] = [];
      const storage = await LevelStorage.open(directory, {
        observer: { onWrite: (write) => writes.push(write) },
      });
      opened.push(storage);
      // Index 5 after an empty log leaves a gap: refused before anything is written.
      await rejectionOf(storage.persist({ entries: makeEntries(5, 5, 1) }));
      expect(writes).to.deep.equal([]);
    });
  });

  describe('corruption', () => {
    it('reports a damaged entry by its index on load and on read, and never skips it', async () => {
      const storage = await open();
      await storage.persist({ entries: makeEntries(1, 100, 1), hardState: hardState(1, 'node-a', 50) });
      await storage.close();
      await withRawDatabase(directory, (database) => flipOneByte(database, encodeLogKey(42)));

      const reopened = await open();
      expect(reopened.lastIndex()).to.equal(100);
      const error = await rejectionOf(reopened.load());
      expect(error).to.be.instanceOf(CorruptRecordError);
      const corrupt = error as CorruptRecordError;
      expect(corrupt.code).to.equal('corrupt_record');
      expect(corrupt.retryable).to.equal(false);
      expect(corrupt.index).to.equal(42);
      expect(corrupt.message).to.include('index 42');
      expect(corrupt.message).to.include('checksum');
      expect(await rejectionOf(reopened.read(40, 45))).to.be.instanceOf(CorruptRecordError);
      // The entries around it are intact, and the damaged one is still there, still refused.
      expect(await reopened.read(1, 42)).to.deep.equal(makeEntries(1, 41, 1));
      expect(await reopened.read(43, 101)).to.deep.equal(makeEntries(43, 100, 1));
      expect(reopened.lastIndex()).to.equal(100);
      expect(((await rejectionOf(reopened.read(42, 43))) as CorruptRecordError).index).to.equal(42);
    });

    it('reports a gap in the log by the missing index', async () => {
      const storage = await open();
      await storage.append(makeEntries(1, 30, 1));
      await storage.close();
      await withRawDatabase(directory, (database) => database.del(encodeLogKey(17)));

      const reopened = await open();
      const error = (await rejectionOf(reopened.load())) as CorruptRecordError;
      expect(error).to.be.instanceOf(CorruptRecordError);
      expect(error.index).to.equal(17);
      expect(error.message).to.include('index 17');
      expect(error.message).to.include('gap');
    });

    it('reports a record found under the wrong key', async () => {
      const storage = await open();
      await storage.append(makeEntries(1, 10, 1));
      await storage.close();
      await withRawDatabase(directory, async (database) => {
        await database.put(encodeLogKey(6), (await database.get(encodeLogKey(5))) as Uint8Array);
      });

      const reopened = await open();
      const error = (await rejectionOf(reopened.load())) as CorruptRecordError;
      expect(error).to.be.instanceOf(CorruptRecordError);
      expect(error.index).to.equal(6);
    });

    it('refuses to open with a damaged hard state', async () => {
      const storage = await open();
      await storage.persist({ entries: makeEntries(1, 3, 1), hardState: hardState(1, 'node-a', 2) });
      await storage.close();
      await withRawDatabase(directory, (database) => flipOneByte(database, HARD_STATE_KEY));

      const error = (await rejectionOf(open())) as CorruptRecordError;
      expect(error).to.be.instanceOf(CorruptRecordError);
      expect(error.record).to.equal('hard state');
      expect(error.message).to.include('hard state');
    });

    it('reports a damaged or missing snapshot chunk', async () => {
      const storage = await open();
      await storage.saveSnapshot(makeSnapshot(10, 1, 2.5 * 1024 * 1024));
      await storage.close();
      const chunkKey = (chunkNumber: number): Uint8Array => Uint8Array.of(0x04, 0, 0, 0, chunkNumber);
      await withRawDatabase(directory, (database) => flipOneByte(database, chunkKey(1)));

      let reopened = await open();
      let error = (await rejectionOf(reopened.loadSnapshot())) as CorruptRecordError;
      expect(error).to.be.instanceOf(CorruptRecordError);
      expect(error.message).to.include('snapshot');
      expect(error.message).to.include('chunk 1');
      expect(await rejectionOf(reopened.load())).to.be.instanceOf(CorruptRecordError);
      await reopened.close();

      // Flipping the byte back repairs chunk 1; then the last chunk goes missing.
      await withRawDatabase(directory, async (database) => {
        await flipOneByte(database, chunkKey(1));
        await database.del(chunkKey(2));
      });
      reopened = await open();
      error = (await rejectionOf(reopened.loadSnapshot())) as CorruptRecordError;
      expect(error).to.be.instanceOf(CorruptRecordError);
      expect(error.message).to.include('snapshot');
      expect(error.message).to.include('chunk 2 of 3 is missing');
    });
  });

  describe('layout', () => {
    it('stores entries compactly in binary: 21 bytes of header per entry', async () => {
      const storage = await open();
      const data = new Uint8Array(10).fill(7);
      await storage.append([{ index: 1, term: 1, kind: 'normal', data }]);
      await storage.close();
      await withRawDatabase(directory, async (database) => {
        const record = await database.get(encodeLogKey(1));
        expect(record?.byteLength).to.equal(4 + 8 + 8 + 1 + data.byteLength);
      });
    });

    it('keys sort by index, so reads cross byte boundaries in order', async () => {
      const storage = await open();
      await storage.append(makeEntries(1, 600, 1));
      expect(await storage.read(250, 520)).to.deep.equal(makeEntries(250, 519, 1));
    });

    it('stores a snapshot in chunks and removes the chunks a smaller one no longer needs', async () => {
      const storage = await open();
      const large = makeSnapshot(10, 1, 3.5 * 1024 * 1024);
      await storage.saveSnapshot(large);
      await storage.saveSnapshot(makeSnapshot(11, 1, 1000));
      await storage.close();
      await withRawDatabase(directory, async (database) => {
        const chunkKeys = await database.keys({ gte: Uint8Array.of(0x04), lt: Uint8Array.of(0x05) }).all();
        expect(chunkKeys).to.have.length(1);
      });
      const reopened = await open();
      expect((await reopened.loadSnapshot())?.data.byteLength).to.equal(1000);
    });

    it('stores a 3.5 MiB snapshot as 4 chunks of at most 1 MiB', async () => {
      const storage = await open();
      const large = makeSnapshot(10, 1, 3.5 * 1024 * 1024);
      await storage.saveSnapshot(large);
      await storage.close();
      await withRawDatabase(directory, async (database) => {
        const chunks = await database.values({ gte: Uint8Array.of(0x04), lt: Uint8Array.of(0x05) }).all();
        expect(chunks.map((chunk) => chunk.byteLength)).to.deep.equal([
          16 + 1024 * 1024,
          16 + 1024 * 1024,
          16 + 1024 * 1024,
          16 + 512 * 1024,
        ]);
      });
      const reopened = await open();
      const loaded = await reopened.loadSnapshot();
      expect(bytesEqual((loaded as { data: Uint8Array }).data, large.data)).to.equal(true);
    });
  });

  describe('opening', () => {
    it('names a directory that cannot be created', async () => {
      const file = join(directory, 'a-file');
      await writeFile(file, 'not a directory');
      const target = join(file, 'storage');
      const error = (await rejectionOf(LevelStorage.open(target))) as StorageDirectoryError;
      expect(error).to.be.instanceOf(StorageDirectoryError);
      expect(error.code).to.equal('directory_unavailable');
      expect(error.retryable).to.equal(false);
      expect(error.directory).to.equal(target);
      expect(error.message).to.include(target);
    });

    it('creates missing ancestors, and names a directory under /proc at once rather than hanging', async () => {
      const nested = join(directory, 'a', 'b', 'c');
      const storage = await LevelStorage.open(nested);
      await storage.close();
      // Node's recursive mkdir never returns for a path under /proc.
      const error = (await rejectionOf(
        LevelStorage.open('/proc/tandem-storage-test'),
      )) as StorageDirectoryError;
      expect(error).to.be.instanceOf(StorageDirectoryError);
      expect(error.message).to.include('/proc/tandem-storage-test');
    });

    it('names a path that is a file, not a directory', async () => {
      const file = join(directory, 'a-file');
      await writeFile(file, 'not a directory');
      const error = (await rejectionOf(LevelStorage.open(file))) as StorageDirectoryError;
      expect(error).to.be.instanceOf(StorageDirectoryError);
      expect(error.message).to.include(file);
    });

    it('refuses a directory another handle holds open', async () => {
      await open();
      const error = (await rejectionOf(LevelStorage.open(directory))) as StorageError;
      expect(error).to.be.instanceOf(StorageError);
      expect(error.code).to.equal('locked');
      expect(error.message).to.include(directory);
    });

    it('refuses a LevelDB database that is not Tandem storage', async () => {
      await withRawDatabase(directory, (database) => database.put(Uint8Array.of(0x7a), Uint8Array.of(1)));
      const error = (await rejectionOf(LevelStorage.open(directory))) as StorageError;
      expect(error).to.be.instanceOf(StorageError);
      expect(error.code).to.equal('unsupported_format');
    });
  });

  describe('crash', () => {
    const fixture = join(testDirectory, 'fixtures', 'append-writer.ts');
    const minimumAcknowledgedIndex = 1000;

    /** Starts the writer, kills it with SIGKILL after a random delay, returns the acknowledged indices. */
    function runWriterUntilKilled(): Promise<number[]> {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', fixture, directory], {
          cwd: packageDirectory,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const acknowledged: number[] = [];
        let pendingLine = '';
        let stderr = '';
        let killScheduled = false;
        const safetyTimer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (chunk: string) => {
          const lines = (pendingLine + chunk).split('\n');
          pendingLine = lines.pop() ?? '';
          for (const line of lines) {
            acknowledged.push(Number(line));
          }
          const highest = acknowledged[acknowledged.length - 1] ?? 0;
          if (!killScheduled && highest >= minimumAcknowledgedIndex) {
            killScheduled = true;
            setTimeout(() => child.kill('SIGKILL'), 50 + Math.floor(Math.random() * 300));
          }
        });
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk: string) => {
          stderr += chunk;
        });
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(safetyTimer);
          if (signal !== 'SIGKILL' || !killScheduled) {
            reject(new Error(`writer ended with code ${code}, signal ${signal}: ${stderr}`));
            return;
          }
          resolve(acknowledged);
        });
      });
    }

    for (let iteration = 1; iteration <= 3; iteration++) {
      it(`keeps every acknowledged entry when the writer is killed (run ${iteration})`, async () => {
        const acknowledged = await runWriterUntilKilled();
        const highestAcknowledged = acknowledged[acknowledged.length - 1] as number;
        expect(highestAcknowledged).to.be.at.least(minimumAcknowledgedIndex);
        // Acknowledgements arrive in order, one per batch.
        acknowledged.forEach((lastIndex, position) => {
          expect(lastIndex).to.equal((position + 1) * CRASH_TEST_BATCH_ENTRIES);
        });

        const storage = await open();
        const { entries, hardState: recovered } = await storage.load();
        // load() itself asserts contiguity; check that it starts at 1 and covers every acknowledgement.
        expect(entries[0]?.index).to.equal(1);
        const lastIndex = storage.lastIndex();
        expect(entries).to.have.length(lastIndex);
        expect(lastIndex).to.be.at.least(highestAcknowledged);
        // Batches are atomic: a batch in flight at the kill is wholly present or wholly absent.
        expect(lastIndex % CRASH_TEST_BATCH_ENTRIES).to.equal(0);
        for (const entry of entries) {
          const expected = crashTestEntry(entry.index);
          if (
            entry.term !== expected.term ||
            entry.kind !== expected.kind ||
            !bytesEqual(entry.data, expected.data)
          ) {
            expect.fail(`entry ${entry.index} was recovered with the wrong contents`);
          }
        }
        // The hard state was written in the same batch as the last entries.
        expect(recovered?.commitIndex).to.equal(lastIndex - CRASH_TEST_BATCH_ENTRIES);
      });
    }
  });
});
