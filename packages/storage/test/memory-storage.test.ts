import { AssertionError } from 'node:assert';
import { expect } from 'chai';
import { StorageError } from '../src/errors.js';
import { MemoryStorage } from '../src/memory-storage.js';
import type { NodeStorage } from '../src/node-storage.js';
import { describeStorageContract, type StorageHarness } from './storage-contract.js';
import { hardState, makeEntries, makeSnapshot, rejectionOf } from './storage-helpers.js';

class MemoryHarness implements StorageHarness {
  async create(): Promise<NodeStorage> {
    return new MemoryStorage();
  }

  async reopen(storage: NodeStorage): Promise<NodeStorage> {
    const memory = storage as MemoryStorage;
    await memory.close();
    return memory.reopen();
  }

  async cleanup(): Promise<void> {}
}

describeStorageContract('MemoryStorage', () => new MemoryHarness());

/** Lets every queued promise callback run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn++) {
    await Promise.resolve();
  }
}

describe('MemoryStorage crash model', () => {
  it('resolves a write at once in immediate mode', async () => {
    const storage = new MemoryStorage();
    let resolved = false;
    void storage.append(makeEntries(1, 2, 1)).then(() => {
      resolved = true;
    });
    await settle();
    expect(resolved).to.equal(true);
    expect(storage.pendingWriteCount).to.equal(0);
    const restarted = storage.crash();
    expect(restarted.lastIndex()).to.equal(2);
  });

  it('in manual mode, a write is visible at once but acknowledged only by flush()', async () => {
    const storage = new MemoryStorage({ durability: 'manual' });
    let resolved = false;
    const write = storage.persist({ entries: makeEntries(1, 3, 1), hardState: hardState(1, 'node-a', 0) });
    void write.then(() => {
      resolved = true;
    });
    await settle();
    expect(resolved).to.equal(false);
    expect(storage.pendingWriteCount).to.equal(1);
    expect(storage.lastIndex()).to.equal(3);
    expect(await storage.read(1, 4)).to.deep.equal(makeEntries(1, 3, 1));
    storage.flush();
    await write;
    expect(resolved).to.equal(true);
    expect(storage.pendingWriteCount).to.equal(0);
  });

  it('crash() loses the writes not yet flushed, and only those', async () => {
    const storage = new MemoryStorage({ durability: 'manual' });
    const first = storage.persist({ entries: makeEntries(1, 3, 1), hardState: hardState(1, 'node-a', 0) });
    const second = storage.persist({ entries: makeEntries(4, 6, 1), hardState: hardState(1, 'node-a', 3) });
    const third = storage.persist({ snapshot: makeSnapshot(5, 1) });
    storage.flush(1);
    await first;
    expect(storage.pendingWriteCount).to.equal(2);

    const restarted = storage.crash();
    expect(restarted.firstIndex()).to.equal(1);
    expect(restarted.lastIndex()).to.equal(3);
    expect(await restarted.load()).to.deep.equal({
      hardState: hardState(1, 'node-a', 0),
      snapshot: null,
      entries: makeEntries(1, 3, 1),
    });
    // The crashed handle is dead; its lost writes never settle.
    let lostSettled = false;
    void Promise.race([second, third]).finally(() => {
      lostSettled = true;
    });
    await settle();
    expect(lostSettled).to.equal(false);
    const error = (await rejectionOf(storage.read(1, 2))) as StorageError;
    expect(error).to.be.instanceOf(StorageError);
    expect(error.code).to.equal('closed');
    expect(() => storage.flush()).to.throw(StorageError);
  });

  it('a restarted handle keeps the durability mode and writes to the same disk', async () => {
    const storage = new MemoryStorage({ durability: 'manual' });
    const restarted = storage.crash();
    const write = restarted.append(makeEntries(1, 1, 1));
    expect(restarted.pendingWriteCount).to.equal(1);
    restarted.flush();
    await write;
    const again = restarted.crash();
    expect(again.lastIndex()).to.equal(1);
  });

  it('close() flushes the pending writes, and reopen() sees them', async () => {
    const storage = new MemoryStorage({ durability: 'manual' });
    const write = storage.append(makeEntries(1, 4, 2));
    await storage.close();
    await write;
    const reopened = storage.reopen();
    expect(reopened.lastIndex()).to.equal(4);
    expect(() => reopened.reopen()).to.throw(AssertionError);
  });

  it('bounds the writes waiting for flush()', async () => {
    const storage = new MemoryStorage({ durability: 'manual', maxPendingWrites: 2 });
    void storage.append(makeEntries(1, 1, 1));
    void storage.append(makeEntries(2, 2, 1));
    expect(await rejectionOf(storage.append(makeEntries(3, 3, 1)))).to.be.instanceOf(AssertionError);
    expect(storage.lastIndex()).to.equal(2);
    expect(() => storage.flush(3)).to.throw(AssertionError);
    storage.flush(2);
    expect(storage.pendingWriteCount).to.equal(0);
  });

  it('a refused write leaves nothing pending', async () => {
    const storage = new MemoryStorage({ durability: 'manual' });
    expect(await rejectionOf(storage.append(makeEntries(2, 2, 1)))).to.be.instanceOf(AssertionError);
    expect(storage.pendingWriteCount).to.equal(0);
  });
});
